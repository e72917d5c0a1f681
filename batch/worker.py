"""What runs in a worker process: set-up once per process, then one clip per task.

:func:`render_clip` is the whole task. It is idempotent: a clip already complete is skipped, a
clip is rendered by `say` (outputs published atomically, then the manifest), and a crash at any
point leaves no file under a final name that a rerun would take for complete. Content errors
(unreadable text, an unknown persona) come back as a result with their one-line error; only a dead
worker is retried. Every started attempt appends a line to ``.batch/<name>.attempts``, which is how
retries are counted whatever the executor (a process pool or Dask).
"""
from __future__ import annotations

import gc
import os
import signal
import socket
import tempfile
import time

from psigraph.errors import PsigraphError

from .clip import Clip, completed, write_manifest

#: one thread per worker process: render-heavy tasks, as many processes as cores
THREAD_ENV = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
              "MKL_NUM_THREADS": "1", "LP_NUM_THREADS": "0"}
_ready: set = set()


def worker_env() -> dict:
    """Environment for worker processes (set before they start, so thread pools read it)."""
    return dict(THREAD_ENV)


def init_process() -> None:
    """Process-pool initializer: Ctrl-C is the batch's to handle, not each worker's."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for k, v in THREAD_ENV.items():
        os.environ.setdefault(k, v)


def warm_up(clip: Clip) -> None:
    """Once per process and kind of clip: load numba caches, the graph and the GL renderer by saying a
    word with the same flags into a temporary folder."""
    from psigraph.runtime.say import say
    o = clip.opts
    kind = (bool(o.frames), bool(o.video), o.size, o.graph, o.seed)
    if kind in _ready:
        return
    with tempfile.TemporaryDirectory(prefix="psigraph-warm-") as tmp:
        try:
            say(o.__class__(text="Hello.", output=os.path.join(tmp, "w.wav"),
                            frames=os.path.join(tmp, "w.jsonl") if o.frames else None,
                            video=os.path.join(tmp, "w.mp4") if o.video else None, size=o.size, graph=o.graph,
                            seed=o.seed, render_workers=0, pipeline=o.pipeline))
        except PsigraphError:
            pass                                 # a bad graph or flag is reported by the clip itself
    _ready.add(kind)
    settle_heap()


def settle_heap() -> None:
    """Move what set-up left alive (modules, kernels, caches, the graph) out of the garbage collector's
    sight (``gc.freeze``): each clip's collections then only walk that clip's objects, and the worker
    exits in a tenth of the time (finalising a numba process otherwise walks the whole heap, ~1 s).
    Garbage is collected first, so nothing unreachable is kept. For worker processes only: what is
    frozen is never collected."""
    gc.collect()
    gc.freeze()


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def render_clips(clips: list[Clip]) -> list[dict]:
    """One task of several clips (:func:`render_clip` each, in order): fewer round trips through the
    scheduler for short clips; every clip still has its own files, manifest and result."""
    return [render_clip(clip) for clip in clips]


def finished(clip: Clip) -> dict | None:
    """The result of a clip that is already complete (from an earlier batch: "skipped"; from this one,
    when a worker died after publishing it: "done"), else None."""
    done = completed(clip)
    if done is None:
        return None
    return {"status": "done" if attempts(clip) > 0 else "skipped", **_summary(done)}


def render_clip(clip: Clip) -> dict:
    """Render one clip (or find it complete): a small dict for the report, never arrays."""
    if clip.opts is None:
        return {"status": "failed", "error": clip.error, "retries": 0}
    done = finished(clip)
    if done is not None:
        return done
    warm_up(clip)
    os.makedirs(os.path.dirname(clip.attempts), exist_ok=True)
    with open(clip.attempts, "a", encoding="utf-8") as f:   # O_APPEND: one short line per attempt
        f.write(worker_name() + "\n")
    retries = attempts(clip) - 1
    t0 = time.perf_counter()
    try:
        if clip.shard:
            _new_shard(clip)
        from psigraph.runtime.say import say
        result = say(clip.opts)
    except PsigraphError as e:
        return {"status": "failed", "error": one_line(e.line()),
                "worker": worker_name(), "retries": retries}
    except Exception as e:  # noqa: BLE001 - a bug is one clip's failure too; the batch goes on
        return {"status": "failed", "error": one_line(f"internal error: {type(e).__name__}: {e}"),
                "worker": worker_name(), "retries": retries}
    wall = round(time.perf_counter() - t0, 6)            # the report's rtf is the reported wall / duration
    manifest = write_manifest(clip, {"duration_s": round(result.seconds, 6), "wall_s": wall,
                                     "rtf": round(wall / result.seconds, 6) if result.seconds else None,
                                     "worker": worker_name(), "retries": retries,
                                     "utterances": list(result.utterance_ids)})
    return {"status": "done", **_summary(manifest)}


def attempts(clip: Clip) -> int:
    """How many times a worker started rendering ``clip`` in this batch."""
    try:
        with open(clip.attempts, encoding="utf-8") as f:
            return sum(1 for line in f if line.strip())
    except OSError:
        return 0


def one_line(text: str) -> str:
    return "; ".join(part.strip() for part in str(text).splitlines() if part.strip())


def _summary(manifest: dict) -> dict:
    return {k: manifest.get(k) for k in ("duration_s", "wall_s", "rtf", "worker", "retries", "utterances")}


def _new_shard(clip: Clip) -> None:
    """A fresh shard of the batch's store for this clip (a killed attempt's shard is discarded)."""
    from psigraph.memory import keys
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.unlink(clip.shard + suffix)
        except FileNotFoundError:
            pass
    store = keys.open_store(clip.db, clip.opts.key_file, create=False, notice=False)
    try:
        store.new_shard(clip.shard).close()
    finally:
        store.close()
