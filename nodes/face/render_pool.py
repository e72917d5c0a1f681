"""Render frames in worker processes that write into shared-memory frame slots.

The GL draw holds the GIL between its many small calls, so a render thread and an
encode thread in one process mostly take turns; separate processes avoid that.

:class:`RenderPool` keeps ``workers`` processes alive (each with its own off-screen
GL context, shaders compiled once) until :meth:`RenderPool.close`. Each call hands out
frames one at a time to whichever worker has a free slot; a worker draws the frame
straight into its slot of one shared memory block and says which slot, and the caller
copies the image out. Every frame is a pure function of its blendshape row, so the
images are bit-identical to :meth:`.render.FaceRenderer.render` in this process,
whichever worker drew them.

One plain ``python -c`` process (not multiprocessing's spawn, which re-imports the
caller's ``__main__`` script in every child) imports the renderer and loads the head once,
then forks the workers, which share that head copy-on-write (start-up CPU and memory are
paid once, not per worker) and each open their own GL context after the fork; it stays
behind only to reap them and report how each one ended. Each worker talks to the pool over
a socket pair with :class:`multiprocessing.connection.Connection`; the frame memory is an
anonymous ``memfd`` (freed by the kernel with the last process that maps it, so nothing
leaks even after a crash, and not limited by the size of /dev/shm). A worker that raises,
crashes or is killed makes the pool raise one :class:`.render.RenderError`.

``render_frames_parallel(rows, size)`` (a pool for one sequence) yields the same
images as :func:`.render.render_frames`, in order.
"""
from __future__ import annotations

import json
import mmap
import os
import signal
import subprocess
import sys
import tempfile
import weakref
from collections import deque
from typing import Iterator

import numpy as np

from .render import RenderError

#: most render processes one pool may start (the face_render ``workers`` param has the same limit)
MAX_WORKERS = 8
#: what the start-up process runs: the caller's sys.path (argv[1]), then
#: _starter_main(worker conn fds, control conn fd, memory fd)
_BOOT = ("import sys, json; sys.path[:] = json.loads(sys.argv[1]); "
         "from psigraph.nodes.face.render_pool import _starter_main; "
         "_starter_main(json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))")
HINT = "set face_render workers: 0 to render in this process"
#: shared frame memory a pool aims to stay within (bytes; at least one slot per worker regardless)
SLOT_BUDGET = 256 * 2**20


def _error_text(exc: BaseException) -> str:
    from psigraph.errors import PsigraphError
    return f"{exc.message}{'; ' + exc.hint if exc.hint else ''}" if isinstance(exc, PsigraphError) \
        else f"{type(exc).__name__}: {exc}"


def _starter_main(conn_fds: list, ctl_fd: int, mem_fd: int) -> None:
    """The start-up process: the config from the control connection, the head loaded once, one
    forked worker per connection in ``conn_fds``; then ('forked', pids) and, as each worker
    ends, ('exit', pid, exit code) on the control connection; exits when no worker is left."""
    from multiprocessing.connection import Connection
    signal.signal(signal.SIGINT, signal.SIG_IGN)          # the parent decides when to stop (Ctrl+C)
    ctl = Connection(ctl_fd)
    try:
        cfg = ctl.recv()
        kw = dict(cfg["kw"])
        if kw.get("model") is None and kw.get("detail") is None:
            from .heads import load_head
            kw["model"] = load_head(kw.get("head"), kw.get("persona"))
        from .render import FaceRenderer  # noqa: F401  (imported once, before the fork)
    except BaseException as exc:                         # every worker reports it (the pool waits on them)
        for fd in conn_fds:
            try:
                Connection(fd).send(("error", _error_text(exc)))
            except Exception:
                pass
        os._exit(1)
    pids = []
    for k, fd in enumerate(conn_fds):
        pid = os.fork()
        if pid == 0:                                     # a worker: its own connection, nothing else
            code = 1
            try:
                ctl.close()
                for other in conn_fds:
                    if other != fd:
                        os.close(other)
                _worker_main(fd, mem_fd, cfg, k, kw)
                code = 0
            finally:
                os._exit(code)                           # no interpreter teardown in a forked child
        pids.append(pid)
    for fd in conn_fds:
        os.close(fd)
    os.close(mem_fd)
    del kw                                               # the workers hold their copies
    try:
        ctl.send(("forked", pids))
    except OSError:
        pass
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        try:
            ctl.send(("exit", pid, os.waitstatus_to_exitcode(status)))
        except OSError:                                  # the pool is gone: keep reaping
            pass
    os._exit(0)


def _worker_main(conn_fd: int, mem_fd: int, cfg: dict, k: int, kw: dict) -> None:
    """One render process: ('frame', i, slot, row) in → image into its slot → ('done', i, slot)."""
    from multiprocessing.connection import Connection
    conn = Connection(conn_fd)
    mem = r = None
    try:
        width, height, offset = cfg["width"], cfg["height"], cfg["offsets"][k]
        nbytes = width * height * 4
        mem = mmap.mmap(mem_fd, cfg["size"])
        os.close(mem_fd)
        from .arkit import BLENDSHAPE_LABELS
        from .render import FaceRenderer
        r = FaceRenderer(width, height, **kw)
        r.render(np.zeros(len(BLENDSHAPE_LABELS)))       # GL context up, shaders compiled
        conn.send(("ready", os.getpid()))
        while True:
            _, i, slot, row = conn.recv()
            view = np.ndarray((height, width, 4), np.uint8, buffer=mem, offset=offset + slot * nbytes)
            view[...] = r.render(row)
            del view
            conn.send(("done", i, slot))
    except EOFError:                                     # the parent closed the pool or went away
        pass
    except BaseException as exc:                         # reported to the parent, which raises it
        try:
            conn.send(("error", _error_text(exc)))
        except Exception:
            pass
    finally:
        if r is not None:
            r.close()
        if mem is not None:
            mem.close()
        conn.close()


def _frame_memory(size: int) -> int:
    """A file descriptor of ``size`` bytes of shared memory that no name refers to."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("psigraph-face-frames", os.MFD_CLOEXEC)
    else:                                                 # elsewhere: an unlinked temporary file
        f = tempfile.TemporaryFile(dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
        fd = os.dup(f.fileno())
        f.close()
    try:
        os.ftruncate(fd, size)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _exit_text(code) -> str:
    if code is None:
        return "stopped answering"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


def _shutdown(procs: list, conns: list, held: list, pids: list) -> None:
    """Stop the workers and release the frame memory; idempotent. The workers hold nothing worth
    a clean exit (no files; the memory goes with the last mapping), so they are killed, not
    asked: waiting for each interpreter to tear down GL and numpy would cost ~0.3 s. The
    start-up process then reaps them and exits by itself (killed if it does not)."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for c in conns:                                       # workers not yet forked read EOF and stop
        c.close()
    for p in procs:
        try:
            p.wait(timeout=5.0)                           # milliseconds, unless the machine is swamped
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    for item in held:
        try:
            item.close()
        except (BufferError, OSError):                    # a view still exported: freed with it
            pass
    procs.clear()
    conns.clear()
    held.clear()
    pids.clear()


class RenderPool:
    """``workers`` persistent render processes with ``slots`` shared-memory frames each.

    ``render_into(rows, out)`` fills ``out[i]`` with the image of ``rows[i]``;
    ``imap(rows)`` yields the images in order. Rows are in BLENDSHAPE_LABELS order.
    Any worker failure (an exception, a crash, a kill) raises one :class:`RenderError`
    and closes the pool. Start-up is paid once: construct (the processes start), then
    :meth:`wait_ready` (optional: the first call waits), render any number of
    sequences, then :meth:`close` (or use ``with``).
    """

    def __init__(self, width: int, height: int, *, workers: int = 2, slots: int = 3,
                 timeout: float = 120.0, **renderer_kw):
        from multiprocessing import Pipe
        workers, slots = int(workers), int(slots)
        if not 1 <= workers <= MAX_WORKERS:
            raise RenderError(f"render workers must be 1..{MAX_WORKERS} (got {workers})")
        if slots < 1:
            raise RenderError(f"render slots must be at least 1 (got {slots})")
        self.width, self.height, self.workers = int(width), int(height), workers
        self.timeout = float(timeout)
        self._nbytes = self.width * self.height * 4
        # big frames get fewer slots (4096² RGBA is 64 MiB a frame), never none
        self.slots = slots = max(1, min(slots, SLOT_BUDGET // (self._nbytes * workers)))
        self._procs: list = []                             # the start-up process (it forks the workers)
        self._conns: list = []                             # one per worker
        self._ctl = None                                   # the start-up process's connection
        self._pids: list = []                              # the workers' (once forked)
        self._exit_codes: dict = {}                        # pid -> exit code, as reported by the start-up process
        self._held: list = []                              # the mapping, the log and the control connection, closed last
        self._ready = False
        self._broken: str | None = None
        # frees everything even when close() is never called (garbage collection, interpreter exit)
        self._finalizer = weakref.finalize(self, _shutdown, self._procs, self._conns, self._held, self._pids)
        size = self._nbytes * slots * workers
        fd = _frame_memory(size)
        children: list = []
        try:
            self._mem = mmap.mmap(fd, size)
            self._held.append(self._mem)
            self._log = tempfile.TemporaryFile(prefix="psigraph-render-")
            self._held.append(self._log)
            for _ in range(workers):
                parent, child = Pipe(duplex=True)
                self._conns.append(parent)
                children.append(child)
            self._ctl, ctl_child = Pipe(duplex=True)
            self._held.append(self._ctl)
            children.append(ctl_child)
            fds = [c.fileno() for c in children[:-1]]
            p = subprocess.Popen([sys.executable, "-c", _BOOT, json.dumps(sys.path), json.dumps(fds),
                                  str(ctl_child.fileno()), str(fd)], pass_fds=(*fds, ctl_child.fileno(), fd),
                                 stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log, close_fds=True)
            self._procs.append(p)
            self._ctl.send({"width": self.width, "height": self.height, "size": size,
                            "offsets": [k * slots * self._nbytes for k in range(workers)], "kw": dict(renderer_kw)})
        except BaseException:
            self.close()
            raise
        finally:
            for c in children:                            # a dead worker then reads as EOF here
                c.close()
            os.close(fd)                                  # the mapping (and the workers') keep the memory

    # ------------------------------------------------------------ plumbing
    def _fail(self, message: str) -> RenderError:
        """Close the pool (it cannot be trusted after a failure) and return the error to raise."""
        self._broken = message
        self.close()
        return RenderError(message, hint=HINT)

    def _control(self, until, timeout: float) -> bool:
        """Read the start-up process's reports (worker pids, exit codes) until ``until()`` holds
        or ``timeout`` seconds pass; returns ``until()``."""
        from multiprocessing.connection import wait
        import time
        end = time.monotonic() + timeout
        while not until() and self._ctl is not None and not self._ctl.closed:
            left = end - time.monotonic()
            if left <= 0 or not wait([self._ctl], timeout=left):
                break
            try:
                msg = self._ctl.recv()
            except (EOFError, OSError):
                break
            if msg[0] == "forked":
                self._pids[:] = msg[1]
            elif msg[0] == "exit":
                self._exit_codes[msg[1]] = msg[2]
        return until()

    def _died(self, k: int) -> RenderError:
        code, pid = None, None
        if self._control(lambda: len(self._pids) > k, 2.0):
            pid = self._pids[k]
            self._control(lambda: pid in self._exit_codes, 2.0)
            code = self._exit_codes.get(pid)
        said = ""
        try:                                              # the last line a worker wrote (e.g. a fatal error)
            log = self._log
            log.seek(max(0, log.seek(0, os.SEEK_END) - 2000))
            lines = [ln.strip() for ln in log.read().decode("utf-8", "replace").splitlines() if ln.strip()]
            said = f" ({lines[-1][:200]})" if lines else ""
        except (OSError, ValueError):
            pass
        return self._fail(f"render worker {k}{f' (pid {pid})' if pid else ''} {_exit_text(code)}{said}")

    def _send(self, k: int, msg) -> None:
        try:
            self._conns[k].send(msg)
        except OSError:                                   # BrokenPipeError: the worker is gone
            raise self._died(k) from None

    def _recv(self, waiting: list) -> tuple:
        """The next message from any worker index in ``waiting``: (k, message)."""
        from multiprocessing.connection import wait
        k = next((k for k in waiting if self._conns[k].poll()), None)
        if k is None:
            ready = wait([self._conns[k] for k in waiting], timeout=self.timeout)
            if not ready:
                raise self._fail(f"the render workers produced no frame in {self.timeout:.0f} s")
            k = next(k for k in waiting if self._conns[k] is ready[0])
        try:
            msg = self._conns[k].recv()
        except (EOFError, OSError):
            raise self._died(k) from None
        if msg[0] == "error":
            raise self._fail(f"render worker {k} failed: {msg[1]}")
        return k, msg

    def _check_open(self) -> None:
        if self._broken:
            raise RenderError(f"the render pool was closed after a failure ({self._broken})", hint=HINT)
        if not self._conns:
            raise RenderError("the render pool is closed")

    def wait_ready(self) -> "RenderPool":
        """Block until every worker has its GL context and compiled shaders (start-up done)."""
        self._check_open()
        if not self._ready:
            waiting = list(range(self.workers))
            while waiting:
                k, msg = self._recv(waiting)
                if msg[0] != "ready":
                    raise self._fail(f"render worker {k} sent {msg[0]!r} before it was ready")
                waiting.remove(k)
            self._ready = True
        return self

    def _frames(self, rows: np.ndarray, ordered: bool) -> Iterator[tuple]:
        """Yield (i, view of frame i in shared memory); the view is valid until the next step.

        Frames go to whichever worker has a free slot; ``ordered`` yields them by index (finished
        frames wait in their slots), otherwise as they finish.
        """
        self.wait_ready()
        n, nb = len(rows), self._nbytes
        free = [deque(range(self.slots)) for _ in range(self.workers)]
        busy = [0] * self.workers
        done: dict = {}                                   # finished, not yet yielded: i -> (k, slot)
        nxt = 0                                           # next row to hand out
        finished = False

        def hand_out(k):
            nonlocal nxt
            while free[k] and nxt < n:
                self._send(k, ("frame", nxt, free[k].popleft(), rows[nxt]))
                busy[k] += 1
                nxt += 1

        try:
            for k in range(self.workers):
                hand_out(k)
            for want in range(n):
                while (want not in done) if ordered else not done:
                    k, (_, i, slot) = self._recv([k for k in range(self.workers) if busy[k]])
                    busy[k] -= 1
                    done[i] = (k, slot)
                i = want if ordered else next(iter(done))
                k, slot = done.pop(i)
                view = np.ndarray((self.height, self.width, 4), np.uint8, buffer=self._mem,
                                  offset=(k * self.slots + slot) * nb)
                yield i, view
                del view
                free[k].append(slot)
                hand_out(k)
            finished = True
        finally:
            # stopped early (an exception, Ctrl+C, a generator closed) with frames in flight: the
            # workers' replies would reach the next caller, so the pool stops rather than guess
            if not finished and any(busy) and not self._broken:
                self.close()

    def render_into(self, rows, out: np.ndarray) -> np.ndarray:
        """Render ``rows`` (n, 58) into ``out`` (n, height·width·4 or n, height, width, 4) uint8."""
        self._check_open()
        rows = np.ascontiguousarray(rows, dtype=np.float64)
        flat = out.reshape(len(out), self._nbytes)
        for i, view in self._frames(rows, ordered=False):
            flat[i] = view.reshape(-1)
        return out

    def imap(self, rows) -> Iterator[np.ndarray]:
        """Yield the (height, width, 4) uint8 image of each row, in order."""
        self._check_open()
        rows = np.ascontiguousarray(rows, dtype=np.float64)
        for _, view in self._frames(rows, ordered=True):
            yield view.copy()

    @property
    def pids(self) -> list:
        """The worker processes' ids (waits for the fork, at most the pool's timeout)."""
        if self._conns and len(self._pids) < self.workers:
            self._control(lambda: len(self._pids) == self.workers, self.timeout)
        return list(self._pids)

    def close(self) -> None:
        """Stop the workers and release the shared memory (idempotent)."""
        if self._finalizer.alive:
            self._control(lambda: len(self._pids) == self.workers, 0.0)     # the pids, if reported yet
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def render_frames_parallel(blendshape_rows, size=(640, 640), *, workers: int = 1, slots: int = 6,
                           timeout: float = 120.0, **kw) -> Iterator[np.ndarray]:
    """Render rows (BLENDSHAPE_LABELS order) in ``workers`` processes; yields (H, W, 4) uint8 images."""
    w, h = (size, size) if np.isscalar(size) else size
    rows = np.ascontiguousarray(blendshape_rows, dtype=np.float64)
    if rows.ndim != 2 or not len(rows):
        return
    with RenderPool(w, h, workers=max(1, min(int(workers), len(rows))), slots=slots, timeout=timeout,
                    **kw) as pool:
        yield from pool.imap(rows)
