"""Where clips run: any ``concurrent.futures.Executor``. A local process pool by default; Dask with
``--cluster local`` (a LocalCluster, no services) or ``--scheduler tcp://HOST:PORT`` (an existing
cluster), through ``Client.get_executor()``. The batch loop only submits, waits and, after a worker
died, asks for a fresh executor; :class:`Pool` hides which kind it is.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from psigraph.errors import PsigraphError

from .worker import init_process, worker_env

#: a LocalCluster for CPU-bound clips: Dask's diagnostics (a 100 Hz statistical profiler in every
#: worker, 20 ms event-loop ticks and 100 ms work stealing in every process, frequent system and memory
#: polls) took ~10 % of a core idle on a 2-core machine, core time the clips need; results do not
#: depend on any of it. Workers of an existing cluster take theirs from their own configuration
#: (docs/BATCH.md gives the environment variables).
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "500ms",
    "distributed.scheduler.work-stealing": False,
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "500ms",
}


class Pool:
    """An executor and how to replace it: ``kind`` is "process", "dask-local" or "dask"."""

    def __init__(self, workers: int | None = None, scheduler: str | None = None, cluster: str | None = None,
                 retries: int = 2):
        self.requested = workers or os.cpu_count() or 1
        self.scheduler, self.cluster, self.retries = scheduler, cluster, retries
        self.kind = "dask" if scheduler else "dask-local" if cluster else "process"
        self._client = self._cluster = None
        self._executor: Executor | None = None

    @property
    def executor(self) -> Executor:
        """The executor, started on first use (a rerun with every clip complete starts no worker)."""
        if self._executor is None:
            self._executor = self._open()
        return self._executor

    @property
    def workers(self) -> int:
        """How many worker processes take clips (the cluster's count for Dask)."""
        if self._client is not None:
            return len(self._client.scheduler_info().get("workers", {})) or self.requested
        return self.requested

    def _open(self) -> Executor:
        if self.kind == "process":
            for k, v in worker_env().items():     # spawned workers read their thread pools' sizes at import
                os.environ.setdefault(k, v)
            return ProcessPoolExecutor(self.requested, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=init_process)
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError:
            raise PsigraphError("--scheduler and --cluster need Dask, which is not installed",
                                hint="pip install 'psigraph[batch]'") from None
        dask.config.set({"distributed.scheduler.allowed-failures": self.retries})
        if self._client is None:
            try:
                if self.kind == "dask-local":
                    with dask.config.set(LOCAL_CLUSTER_CONFIG):    # read once, as the cluster starts
                        self._cluster = LocalCluster(n_workers=self.requested, threads_per_worker=1,
                                                     processes=True, dashboard_address=None, host="127.0.0.1",
                                                     env=worker_env(), silence_logs=logging.ERROR)
                        self._client = Client(self._cluster)       # report.json has what matters
                else:
                    self._client = Client(self.scheduler, timeout="20s")
            except OSError as e:
                self.close()
                raise PsigraphError(f"cannot reach the Dask scheduler: {e}", where=self.scheduler or "--cluster",
                                    hint="start one with `dask scheduler` and workers with `dask worker ADDRESS`") from None
        return self._client.get_executor(pure=False)

    def prepare(self, clip) -> None:
        """Start the workers and set every Dask worker up now (numba caches, graph, renderer) instead of
        at its first clip, e.g. to time the batch apart from the cluster's start-up."""
        self.executor.submit(len, ()).result()          # the workers are up
        if self._client is not None:
            from .worker import warm_up
            self._client.run(warm_up, clip)

    @staticmethod
    def broken(exc: BaseException) -> bool:
        """True when ``exc`` means the worker running the task died (the clip may be retried)."""
        if isinstance(exc, BrokenProcessPool):
            return True
        try:
            from distributed.scheduler import KilledWorker
        except ImportError:
            return False
        return isinstance(exc, KilledWorker)

    def renew(self) -> None:
        """A fresh executor after a worker died (a process pool cannot take work once broken)."""
        if self.kind == "process" and self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = self._open()

    def abort(self) -> None:
        """Stop now (Ctrl-C): drop queued clips and end running ones; their files stay temporary."""
        if self._executor is None:
            return
        if self.kind == "process":
            processes = list(getattr(self._executor, "_processes", {}).values())   # no public API before 3.14
            self._executor.shutdown(wait=False, cancel_futures=True)
            for p in processes:
                p.kill()
        else:
            self._executor.shutdown(wait=False)   # closing the client below releases its tasks
        self.close()

    def close(self) -> None:
        if self.kind == "process":
            if self._executor is not None:
                self._executor.shutdown(wait=True)
            return
        for thing in (self._client, self._cluster):
            if thing is not None:
                try:
                    thing.close()
                except Exception:  # noqa: BLE001, S110 - closing is best effort; the results are known
                    pass
        self._client = self._cluster = None
