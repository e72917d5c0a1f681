"""face_render: blendshapes → RGBA frames (vispy, off-screen)."""
from __future__ import annotations


import numpy as np

from psigraph import chain
from psigraph.errors import Issue
from psigraph.node import Node
from psigraph.params import Params, param
from psigraph.ports import In, Out, Signal, SignalSpec

from .arkit import BLENDSHAPE_LABELS
from .checks import MAX_RENDER_WORKERS, MAX_SIZE, MIN_SIZE, _blendshape_issues, _missing


# ---------------------------------------------------------------- face_render
class FaceRenderParams(Params):
    width: int = param(640, ge=MIN_SIZE, le=MAX_SIZE, unit="px", doc="image width (even for video)")
    height: int = param(640, ge=MIN_SIZE, le=MAX_SIZE, unit="px", doc="image height (even for video)")
    distance: float = param(7.4, gt=1.0, le=50.0, doc="camera distance (head units, 1 ≈ 10 cm)")
    fov: float = param(20.0, gt=1.0, lt=120.0, unit="deg", doc="vertical field of view")
    elevation: float = param(4.0, ge=-60.0, le=60.0, unit="deg", doc="camera elevation")
    azimuth: float = param(0.0, ge=-180.0, le=180.0, unit="deg", doc="camera azimuth (0 = frontal)")
    background: list = param([0.16, 0.17, 0.2], doc="background RGB (or RGBA) in [0, 1]")
    ssaa: int = param(1, ge=1, le=4, doc="supersampling factor (anti-aliasing)")
    head: str = param("ict", choices=["ict", "procedural"],
                      doc="head mesh: ict (scanned ICT-FaceKit head) or procedural (the light, generated one)")
    persona: str = param("default", doc="persona whose face to show (identity, skin, iris, hair; "
                                        "nodes/face/assets/faces.yaml or a persona YAML with a face: section)")
    workers: int = param(2, ge=0, le=MAX_RENDER_WORKERS,
                         doc="render processes kept for the whole run (0: render in this process); "
                             "frames are identical either way")


def _background_ok(bg) -> bool:
    return (isinstance(bg, (list, tuple)) and len(bg) in (3, 4)
            and all(isinstance(c, (int, float)) and not isinstance(c, bool) and 0 <= c <= 1 for c in bg))


class FaceRender(Node[FaceRenderParams]):
    """Renders the 3D head (the scanned ICT head, or the procedural one) off-screen (vispy, EGL/OSMesa) to RGBA frames.

    With ``workers`` ≥ 1 a pool of render processes (:class:`.render_pool.RenderPool`) is
    started once in ``warmup()`` (or at the first frame) and stopped in ``close()``; each
    span's frames are drawn in parallel and returned in order, bit-identical to rendering
    them here (``workers: 0``).
    """

    type_id = "face_render"
    category = "face"
    ROLE = chain.RENDER
    PIPELINE = True                         # process() mostly waits for the render workers, without the GIL
    blendshapes = In(Signal, rate=chain.VIDEO, doc="face_animator.blendshapes (labels looked up by name)")
    frames = Out(Signal, rate=chain.VIDEO, channels=lambda p: p.width * p.height * 4, dtype="uint8",
                 doc="RGBA images, one flat row of width·height·4 bytes per frame (top row first)")

    def __init__(self, params=None, **kw):
        super().__init__(params, **kw)
        self._renderer = None          # a FaceRenderer (workers: 0) or a RenderPool

    @classmethod
    def example_input_specs(cls, params, timebase):
        p = timebase.period(chain.VIDEO)
        return {"blendshapes": SignalSpec(p, len(BLENDSHAPE_LABELS), labels=BLENDSHAPE_LABELS,
                                          rate_hz=float(timebase.master_rate / p))}

    @classmethod
    def check(cls, params, inputs) -> list:
        issues = []
        if not _background_ok(params.background):
            issues.append(Issue("params.background", f"background must be 3 or 4 numbers in [0, 1] "
                                                     f"(got {params.background!r})", code="param.range"))
        w = params.workers
        if isinstance(w, bool) or not isinstance(w, int) or not 0 <= w <= MAX_RENDER_WORKERS:
            issues.append(Issue("params.workers", f"workers must be a whole number 0..{MAX_RENDER_WORKERS} "
                                                  f"(got {w!r}); 0 renders in this process",
                                code="param.range"))
        if params.head == "ict":
            from .face_style import FaceStyleError, face_style
            try:
                face_style(params.persona or None)
            except FaceStyleError as e:
                issues.append(Issue("params.persona", e.message + (f"; {e.hint}" if e.hint else ""),
                                    code="param.invalid"))
        issues += _blendshape_issues(inputs)
        issues += _missing("vispy", "face_render")
        return issues

    def reset(self):
        spec = self.in_specs["blendshapes"]
        labels = spec.labels or (BLENDSHAPE_LABELS if spec.channels == len(BLENDSHAPE_LABELS) else ())
        self._map = np.array([labels.index(n) if n in labels else -1 for n in BLENDSHAPE_LABELS])
        if self.params.workers:
            # the worker processes start now (a few ms here) and load the head while the other
            # nodes warm up; warmup() waits for them
            self._pooled(lambda pool: pool)

    def warmup(self):
        """Start the off-screen GL context(s) and compile the shaders: in this process (one
        throw-away frame), or in every worker process (started by ``reset()``; the pool is kept
        until ``close()``)."""
        if self.params.workers:
            self._pooled(lambda pool: pool.wait_ready())
        else:
            self._r().render(np.zeros(len(BLENDSHAPE_LABELS)))

    def _pooled(self, call):
        """``call(pool)``; a worker failure becomes one RenderError located at this node."""
        from .render import RenderError
        try:
            return call(self._r())
        except RenderError as e:
            raise RenderError(e.message, where=f"node {self.node_id} (face_render)", hint=e.hint) from None

    def _r(self):
        if self._renderer is None:
            p = self.params
            kw = dict(distance=p.distance, fov=p.fov, elevation=p.elevation, azimuth=p.azimuth,
                      background=tuple(p.background), ssaa=p.ssaa, head=p.head, persona=p.persona)
            if p.workers:
                from .render_pool import RenderPool
                self._renderer = RenderPool(p.width, p.height, workers=p.workers, **kw)
            else:
                from .render import FaceRenderer
                self._renderer = FaceRenderer(p.width, p.height, **kw)
        return self._renderer

    def process(self, blendshapes):
        m = self.ticks("frames")[1]
        if not m:
            return self.zeros("frames")
        rows = np.asarray(blendshapes, dtype=np.float64)
        full = np.where(self._map >= 0, rows[:, np.maximum(self._map, 0)], 0.0)   # BLENDSHAPE_LABELS order
        out = np.empty((m, self.out_specs["frames"].channels), np.uint8)
        if self.params.workers:
            self._pooled(lambda pool: pool.render_into(full, out))
        else:
            r = self._r()
            for i, row in enumerate(full):
                out[i] = r.render(row).reshape(-1)
        return out

    def close(self):
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
