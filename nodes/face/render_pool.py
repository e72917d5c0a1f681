"""Render frames in worker processes (shared-memory ring buffers), so rendering and encoding run in parallel.

The GL draw holds the GIL between its many small calls, so a render thread and an
encode thread in one process mostly take turns; a separate process avoids that.
``render_frames_parallel(rows, size)`` yields the same images as
:func:`.render.render_frames`, in order.
"""
from __future__ import annotations

import queue as _queue
from typing import Iterator

import numpy as np

from .render import RenderError


def _worker(shm_name, rows, k, workers, width, height, slots, kw, free, ready):
    from multiprocessing import shared_memory
    shm = None
    try:
        shm = shared_memory.SharedMemory(name=shm_name)
        from .render import FaceRenderer
        r = FaceRenderer(width, height, **kw)
        nbytes = width * height * 4
        for i in range(k, len(rows), workers):
            slot = free.get()
            if slot is None:
                break
            img = r.render(rows[i])
            view = np.ndarray((height, width, 4), np.uint8, buffer=shm.buf, offset=(k * slots + slot) * nbytes)
            view[...] = img
            del view
            ready.put((i, slot))
        r.close()
    except BaseException as exc:  # reported to the parent
        ready.put(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        if shm is not None:
            shm.close()


def render_frames_parallel(blendshape_rows, size=(640, 640), *, workers: int = 1, slots: int = 6,
                           timeout: float = 120.0, **kw) -> Iterator[np.ndarray]:
    """Render rows (BLENDSHAPE_LABELS order) in ``workers`` processes; yields (H, W, 4) uint8 images."""
    import multiprocessing as mp
    from multiprocessing import shared_memory
    w, h = (size, size) if np.isscalar(size) else size
    rows = np.ascontiguousarray(blendshape_rows, dtype=np.float64)
    if rows.ndim != 2 or not len(rows):
        return
    workers = max(1, min(int(workers), len(rows)))
    ctx = mp.get_context("spawn")
    nbytes = w * h * 4
    shm = shared_memory.SharedMemory(create=True, size=nbytes * slots * workers)
    free = [ctx.Queue() for _ in range(workers)]
    ready = [ctx.Queue() for _ in range(workers)]
    for q in free:
        for s in range(slots):
            q.put(s)
    procs = [ctx.Process(target=_worker, args=(shm.name, rows, k, workers, w, h, slots, kw, free[k], ready[k]),
                         daemon=True, name=f"psigraph-face-render-{k}") for k in range(workers)]
    try:
        for p in procs:
            p.start()
        for i in range(len(rows)):
            k = i % workers
            try:
                msg = ready[k].get(timeout=timeout)
            except _queue.Empty:
                raise RenderError(f"render worker {k} produced no frame in {timeout:.0f} s") from None
            if msg[0] == "error":
                raise RenderError(f"render worker {k} failed: {msg[1]}")
            j, slot = msg
            view = np.ndarray((h, w, 4), np.uint8, buffer=shm.buf, offset=(k * slots + slot) * nbytes)
            img = view.copy()
            del view
            free[k].put(slot)
            yield img
    finally:
        for q in free:
            for _ in range(slots + 1):
                q.put(None)
        for p in procs:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
                p.join()
        shm.close()
        shm.unlink()
