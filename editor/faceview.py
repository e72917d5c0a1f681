"""FaceView: the face of a running speech graph, live.

A probe on the face_animator's ``blendshapes`` feeds a render thread that drives the face
family's renderer (:class:`psigraph.nodes.face.render.FaceRenderer`: a vispy canvas drawn
off-screen with OSMesa/EGL, the head from ``nodes.face.heads``) — by default in one render
process of :class:`psigraph.nodes.face.render_pool.RenderPool` (the GL draw holds the GIL,
which would stall the graph's worker and the UI), with ``workers=0`` in this process.
Finished frames are shown in this widget. The off-screen vispy canvas works where an
on-screen GL context does not (Qt offscreen, Xvfb without GL). Only the newest row is
rendered, at most ``fps`` times a second, and only when it changed.
"""
from __future__ import annotations

import os
import threading
import time

import numpy as np
from PySide6.QtCore import Qt, Signal as QtSignal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from psigraph.errors import PsigraphError
from psigraph.nodes.face.arkit import BLENDSHAPE_LABELS

from .runner import shield_qt_refcounts

shield_qt_refcounts()


def blendshape_row(labels: list, values: np.ndarray) -> np.ndarray:
    """A row in BLENDSHAPE_LABELS order from a probe's labelled values (missing names stay 0)."""
    if list(labels) == list(BLENDSHAPE_LABELS):
        return np.asarray(values, dtype=np.float64)
    row = np.zeros(len(BLENDSHAPE_LABELS))
    index = {n: i for i, n in enumerate(BLENDSHAPE_LABELS)}
    for lab, v in zip(labels, values):
        if lab in index:
            row[index[lab]] = v
    return row


def _lower_priority(pid: int, nice: int = 10) -> None:
    """Renice a process (or, on Linux, one thread by its native id); quietly skipped elsewhere."""
    try:
        os.setpriority(os.PRIO_PROCESS, pid, nice)
    except (AttributeError, OSError):
        pass


class FaceView(QWidget):
    """The live face for blendshapes wire ``ref`` (e.g. ``face.blendshapes``) of ``runner``'s graph."""

    frame_ready = QtSignal(object, float)      # RGBA array, graph time of its row
    failed = QtSignal(str)

    def __init__(self, runner, ref: str, *, size: int = 256, fps: float = 10.0, head: str | None = None,
                 workers: int = 1, parent=None):
        super().__init__(parent)
        self.runner, self.ref = runner, ref
        self.size, self.fps, self.head, self.workers = int(size), float(fps), head, int(workers)
        self.probe = runner.probe(ref, 0.5)
        if self.probe.kind != "signal" or not set(self.probe.labels) & set(BLENDSHAPE_LABELS):
            self.probe.close()
            raise PsigraphError(f"{ref} carries no blendshapes", where=ref,
                                hint="probe a face_animator's blendshapes output")
        self.frames = 0                        # frames shown
        self.last_time: float | None = None    # graph time of the row shown
        self.last_row: np.ndarray | None = None
        self.error = ""
        self.image = QLabel("face: waiting for the graph to run")
        self.image.setAlignment(Qt.AlignCenter)
        self.image.setMinimumSize(64, 64)
        self.image.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Ignored)
        self.image.setStyleSheet("background: #292b33; color: #ccc")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.image)
        self.frame_ready.connect(self._show)
        self.failed.connect(self._fail)
        self._pixmap: QPixmap | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._render_loop, name="psigraph-faceview", daemon=True)
        self._thread.start()

    # ---- render thread ------------------------------------------------------------------
    def _newest(self):
        snap = self.probe.snapshot()
        if len(snap.times) == 0:
            return None, None
        return float(snap.times[-1]), blendshape_row(snap.labels, snap.data[-1])

    def _render_loop(self) -> None:
        try:
            render, close = self._renderer()
        except Exception as exc:   # noqa: BLE001 - no GL here: say so in the view
            self.failed.emit(f"face view: {exc}")
            return
        period = 1.0 / max(self.fps, 0.1)
        shown = None
        try:
            while not self._stop.is_set():
                t0 = time.perf_counter()
                t, row = self._newest()
                if row is not None and (shown is None or not np.array_equal(row, shown)):
                    img = render(row)
                    shown = row
                    self.frame_ready.emit((img, row), t)
                self._stop.wait(max(0.0, period - (time.perf_counter() - t0)))
        except Exception as exc:   # noqa: BLE001
            self.failed.emit(f"face view: {type(exc).__name__}: {exc}")
        finally:
            close()

    def _renderer(self):
        """(render(row) → RGBA image, close) in a render process, or in this one (workers=0).
        Either runs at a lower CPU priority: the face preview yields to the audio and the UI."""
        if self.workers <= 0:
            from psigraph.nodes.face.render import FaceRenderer
            _lower_priority(threading.get_native_id())
            r = FaceRenderer(self.size, self.size, head=self.head)
            return r.render, r.close
        from psigraph.nodes.face.render_pool import RenderPool
        pool = RenderPool(self.size, self.size, workers=1, slots=1, head=self.head).wait_ready()
        for pid in pool.pids:
            _lower_priority(pid)
        out = np.empty((1, self.size, self.size, 4), np.uint8)

        def render(row):
            return pool.render_into(np.asarray(row, np.float64)[None], out)[0].copy()
        return render, pool.close

    # ---- UI thread -----------------------------------------------------------------------
    def _show(self, payload, t: float) -> None:
        img, row = payload
        h, w = img.shape[:2]
        qimg = QImage(img.data, w, h, 4 * w, QImage.Format_RGBA8888).copy()
        self._pixmap = QPixmap.fromImage(qimg)
        self._fit()
        self.frames += 1
        self.last_time, self.last_row = t, row

    def _fit(self) -> None:
        if self._pixmap is not None:
            self.image.setPixmap(self._pixmap.scaled(self.image.size(), Qt.KeepAspectRatio,
                                                     Qt.SmoothTransformation))

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._fit()

    def _fail(self, message: str) -> None:
        self.error = message
        self.image.setText(message)

    def pixmap(self) -> QPixmap | None:
        """The last frame shown (full resolution)."""
        return self._pixmap

    def closeEvent(self, event):
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop the render thread and release the probe."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self.probe.close()
