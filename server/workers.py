"""Synthesis in worker processes: every core advances sessions (threads of one process share the GIL).

``ProcessWorkers(n)`` starts ``n`` processes (spawned, each warmed up once); ``open(request, block)``
places a new `say` on the least busy one and returns a :class:`RemoteSynth`, which has the interface
of :class:`~psigraph.server.speak.Synth` (``start_fields``, ``step``, ``done``, ``now``, ``close``,
``abort``). Calls block (the server makes them from its thread pool). Workers ignore SIGINT/SIGTERM:
the server ends their streams itself, then tells them to stop.
"""
from __future__ import annotations

import itertools
import multiprocessing
import queue
import threading
import time
from concurrent.futures import Future

from psigraph.errors import PsigraphError


class RemoteError(PsigraphError):
    """An error raised in a worker, carried over as its one line."""

    def __init__(self, line: str, code: str):
        self._line = line
        super().__init__(line, code=code or "error")

    def line(self) -> str:
        return getattr(self, "_line", "") or super().line()


def _serve_worker(conn) -> None:
    """The worker process: warm up, then answer (op, key, arg) requests until told to stop."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    from . import speak
    speak.warm_up()
    conn.send(("ok", "ready"))
    synths: dict = {}
    while True:
        try:
            op, key, arg = conn.recv()
        except EOFError:                       # the server died: drop everything
            break
        try:
            if op == "stop":
                break
            if op == "open":
                syn = synths[key] = speak.Synth(*arg)
                reply = syn.start_fields()
            elif op == "step":
                syn = synths[key]
                reply = (syn.step(arg), syn.done, syn.now)
            elif op in ("close", "abort"):
                syn = synths.pop(key, None)
                if syn is not None:
                    getattr(syn, op)()
                reply = None
            else:
                raise PsigraphError(f"unknown worker request {op!r}")
            conn.send(("ok", reply))
        except PsigraphError as e:
            synths.pop(key, None) if op == "open" else None
            conn.send(("err", e.line(), e.code))
        except Exception as e:  # noqa: BLE001 - one line back to the server
            conn.send(("err", f"internal error in a worker: {type(e).__name__}: {e}", "internal"))
    for syn in synths.values():
        syn.close()


class _Worker:
    """One synthesis process and the thread that talks to it.

    Requests wait in a priority queue ordered by deadline, earliest first: a stream's next block is
    due when the audio it has delivered runs out in real time, so a stream that is only just ahead of
    its listener goes before one that is seconds ahead (no stream starves while others race ahead)."""

    def __init__(self, ctx):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve_worker, args=(child,), daemon=True, name="psigraph-serve-worker")
        self.process.start()
        child.close()
        self.lock = threading.Lock()
        self.open = 0
        self._queue: queue.PriorityQueue = queue.PriorityQueue()
        self._seq = itertools.count()
        self._thread = threading.Thread(target=self._pump, daemon=True, name="psigraph-worker-pipe")
        self._thread.start()

    def call(self, op: str, key: int, arg=None, deadline: float = 0.0):
        """Send one request and wait for its reply (requests with earlier deadlines go first)."""
        fut: Future = Future()
        self._queue.put((deadline, next(self._seq), fut, op, key, arg))
        return fut.result()

    def stop(self) -> None:
        self._queue.put((float("inf"), next(self._seq), None, "stop", 0, None))
        self._thread.join(30)

    def _pump(self) -> None:
        while True:
            _, _, fut, op, key, arg = self._queue.get()
            try:
                self.conn.send((op, key, arg))
                if fut is None:                        # stop: no reply
                    return
                reply = self.conn.recv()
            except (EOFError, OSError, BrokenPipeError):
                if fut is None:
                    return
                fut.set_exception(PsigraphError("a synthesis worker process died", code="internal"))
                continue
            if reply[0] == "err":
                fut.set_exception(RemoteError(reply[1], reply[2]))
            else:
                fut.set_result(reply[1])


class RemoteSynth:
    """A `say` running in a worker process (see :class:`~psigraph.server.speak.Synth`)."""

    def __init__(self, worker: _Worker, key: int, fields: dict):
        self._worker, self._key, self._fields = worker, key, fields
        self.done, self.now = False, 0
        self._t0, self._rate = time.monotonic(), float(fields["master_rate"])

    def start_fields(self) -> dict:
        return dict(self._fields)

    def step(self, sid) -> list:
        deadline = self._t0 + self.now / self._rate          # when the audio delivered so far runs out
        msgs, self.done, self.now = self._worker.call("step", self._key, sid, deadline)
        return msgs

    def _finish(self, op: str) -> None:
        if self._worker is not None:
            w, self._worker = self._worker, None
            try:
                w.call(op, self._key)
            finally:
                with w.lock:
                    w.open -= 1

    def close(self) -> None:
        self._finish("close")

    def abort(self) -> None:
        self._finish("abort")


class ProcessWorkers:
    """``n`` synthesis processes; ``open`` puts a `say` on the least busy."""

    def __init__(self, n: int):
        self.n = int(n)
        self._keys = itertools.count(1)
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        """Spawn and warm up every worker (blocks until all are ready)."""
        ctx = multiprocessing.get_context("spawn")
        self._workers = [_Worker(ctx) for _ in range(self.n)]
        for w in self._workers:
            if w.conn.recv() != ("ok", "ready"):
                raise PsigraphError("a synthesis worker failed to start")

    def _replace_dead(self) -> None:
        """A worker that died (killed, out of memory) is replaced by a fresh, warmed one."""
        for i, w in enumerate(self._workers):
            if not w.process.is_alive():
                w.stop()
                new = _Worker(multiprocessing.get_context("spawn"))
                if new.conn.recv() != ("ok", "ready"):
                    raise PsigraphError("a synthesis worker failed to start")
                self._workers[i] = new

    def open(self, request, block: int) -> RemoteSynth:
        with self._lock:
            self._replace_dead()
        w = min(self._workers, key=lambda x: x.open)
        with w.lock:
            w.open += 1
        key = next(self._keys)
        try:
            fields = w.call("open", key, (request, block))
        except BaseException:
            with w.lock:
                w.open -= 1
            raise
        return RemoteSynth(w, key, fields)

    def close(self) -> None:
        """Stop every worker (their open streams are closed: recordings committed)."""
        for w in self._workers:
            w.stop()
        for w in self._workers:
            w.process.join(30)
            if w.process.is_alive():
                w.process.kill()
        self._workers = []
