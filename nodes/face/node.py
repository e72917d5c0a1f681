"""Face node types: face_animator, face_render, frames_sink, video_sink (entry-point module).

Each node declares what would stop it from running in ``check(params, inputs)`` (called by
``psigraph validate`` and before a session starts), takes every rate from its resolved port
specs, and does its one-time start-up work in ``warmup()``.
"""
from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass, field

import numpy as np

from psigraph import chain
from psigraph.errors import Issue
from psigraph.node import Node
from psigraph.outputs import PendingFile, path_issues
from psigraph.params import Params, param
from psigraph.ports import Events, In, Out, Signal, SignalSpec
from psigraph.timebase import ticks_in

from .animator import MOUTH_LABELS, AnimatorCore, phase_columns, read_control, step_columns
from .arkit import BLENDSHAPE_LABELS
from .jsonl import frame_record

#: the render node's documented image size limits (pixels)
MIN_SIZE, MAX_SIZE = 16, 4096
#: most render processes of one face_render (nodes/face/render_pool.MAX_WORKERS)
MAX_RENDER_WORKERS = 8


def _missing(module: str, what: str) -> list:
    """An Issue when an optional dependency is not installed."""
    if importlib.util.find_spec(module) is not None:
        return []
    return [Issue("", f"{what} needs the Python package {module!r}, which is not installed; "
                      "pip install 'psigraph[export]'", code="dependency.missing")]


def _blendshape_issues(inputs: dict, port: str = "blendshapes") -> list:
    """Issues when a blendshapes input carries none of the ARKit weights (e.g. a plain sine)."""
    spec = inputs.get(port)
    if spec is None:
        return []
    if spec.labels:
        if not set(spec.labels) & set(BLENDSHAPE_LABELS):
            return [Issue(f"inputs.{port}", f"the input has none of the ARKit blendshape channels "
                                            f"(got {', '.join(map(str, spec.labels[:4]))}…); connect face_animator.blendshapes",
                          code="input.missing_channel")]
        return []
    if spec.channels != len(BLENDSHAPE_LABELS):
        return [Issue(f"inputs.{port}", f"the input has {spec.channels} unlabelled channel(s), not the "
                                        f"{len(BLENDSHAPE_LABELS)} of face_animator.blendshapes; connect face_animator.blendshapes",
                      code="input.missing_channel")]
    return []


# ---------------------------------------------------------------- face_animator
class FaceAnimatorParams(Params):
    blink_rate: float = param(15.0, ge=0.5, le=60.0, unit="1/min", doc="mean blink rate")
    blink_ms: float = param(150.0, ge=60.0, le=400.0, unit="ms", doc="mean blink duration (±28 %)")
    blink_source: str = param("auto", choices=("auto", "oscillator", "hash"),
                              doc="blink timing: the state's blink oscillator (auto: if present) or a hashed renewal process")
    expressivity: float = param(1.0, ge=0.0, le=2.0, doc="gain of emotion-driven expressions")
    head_motion: float = param(1.0, ge=0.0, le=3.0, doc="gain of head micro-motion")
    jaw_gain: float = param(1.0, ge=0.0, le=2.0, doc="jawOpen per unit of the tract's jaw channel")
    surprise_ms: float = param(120.0, ge=20.0, le=1000.0, unit="ms", doc="brow raise after a surprise event")


@dataclass
class _AnimNodeState:
    hist: np.ndarray                 # the last three control rows (the rest pose before the first)
    hist_k: int                      # control tick of hist[-1] (-1 before the first row)
    core: AnimatorCore = None


class FaceAnimator(Node[FaceAnimatorParams]):
    """ψ-state → ARKit blendshapes, head pose, gaze and OVR viseme at video rate."""

    type_id = "face_animator"
    category = "face"
    ROLE = chain.FACE
    state = In(Signal, doc="ψ-state with channel labels (tract channels such as jaw, lip_ap; phase:/amp: roles)")
    events = In(Events, optional=True, doc=f"'{chain.SURPRISE}' events trigger a brow raise")
    blendshapes = Out(Signal, rate=chain.VIDEO, channels=len(BLENDSHAPE_LABELS), labels=BLENDSHAPE_LABELS,
                      doc="52 ARKit weights, headPitch/Yaw/Roll (rad), gazeX/Y, viseme index")

    @classmethod
    def example_input_specs(cls, params, timebase):
        labels = ("jaw", "lip_ap", "lip_round", "lip_spread", "AV", "valence")
        p = timebase.period(chain.CONTROL)
        return {"state": SignalSpec(p, len(labels), labels=labels, rate_hz=float(timebase.master_rate / p))}

    @classmethod
    def check(cls, params, inputs) -> list:
        spec = inputs.get("state")
        if spec is None or set(spec.labels) & set(MOUTH_LABELS):
            return []
        got = f"its channels are {', '.join(map(str, spec.labels[:4]))}{'…' if len(spec.labels) > 4 else ''}" \
            if spec.labels else f"its {spec.channels} channel(s) have no labels"
        return [Issue("inputs.state",
                      f"the state has nothing that moves the mouth ({got}): the face needs the tract channel "
                      f"'jaw' or the oscillator role '{chain.phase_label(chain.SYLLABLE)}'; connect psi_core.state "
                      f"of a core with the speak roles (graphs/speak.yaml, psigraph.chain.speak_core_params())",
                      code="input.missing_channel")]

    def reset(self):
        spec = self.in_specs["state"]
        p = self.params
        core = AnimatorCore(spec.labels, fps=self.out_specs["blendshapes"].rate_hz, seed=self.seed,
                            blink_rate=p.blink_rate, blink_ms=p.blink_ms, expressivity=p.expressivity,
                            head_motion=p.head_motion, jaw_gain=p.jaw_gain, surprise_ms=p.surprise_ms,
                            blink_source=p.blink_source)
        self._step_cols = step_columns(spec.labels)
        self._phase_cols = phase_columns(spec.labels)
        self._rest = core.rest if len(core.rest) == spec.channels else np.zeros(spec.channels)
        self.state = _AnimNodeState(np.tile(self._rest, (3, 1)), -1, core)

    def process(self, state, events=None):
        st = self.state
        pin, pout = self.in_specs["state"].period, self.out_specs["blendshapes"].period
        _, n = ticks_in(self.t0, self.t1, pin)
        j0, m = ticks_in(self.t0, self.t1, pout)
        for e in events or ():
            if e.kind == chain.SURPRISE:
                st.core.add_surprise(-(-int(e.t) // pout))
        rows = np.vstack([st.hist, state]) if n else st.hist
        out = np.zeros((m, len(BLENDSHAPE_LABELS)))
        if m:
            # each frame reads the rows strictly before its time (all of them arrived by now)
            times = (j0 + np.arange(m, dtype=np.int64)) * pout
            vals = read_control(rows, st.hist_k - 2, times, pin, self._rest, self._step_cols, self._phase_cols)
            out = st.core.frames(vals, j0)
        if n:
            st.hist = rows[-3:].copy()
            st.hist_k += n
        return out


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
    workers: int = param(2, ge=0, le=MAX_RENDER_WORKERS,
                         doc="render processes kept for the whole run (0: render in this process); "
                             "frames are identical either way")


def _background_ok(bg) -> bool:
    return (isinstance(bg, (list, tuple)) and len(bg) in (3, 4)
            and all(isinstance(c, (int, float)) and not isinstance(c, bool) and 0 <= c <= 1 for c in bg))


class FaceRender(Node[FaceRenderParams]):
    """Renders the procedural 3D head off-screen (vispy, EGL/OSMesa) to RGBA frames.

    With ``workers`` ≥ 1 a pool of render processes (:class:`.render_pool.RenderPool`) is
    started once in ``warmup()`` (or at the first frame) and stopped in ``close()``; each
    span's frames are drawn in parallel and returned in order, bit-identical to rendering
    them here (``workers: 0``).
    """

    type_id = "face_render"
    category = "face"
    ROLE = chain.RENDER
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
        issues += _blendshape_issues(inputs)
        issues += _missing("vispy", "face_render")
        return issues

    def reset(self):
        spec = self.in_specs["blendshapes"]
        labels = spec.labels or (BLENDSHAPE_LABELS if spec.channels == len(BLENDSHAPE_LABELS) else ())
        self._map = np.array([labels.index(n) if n in labels else -1 for n in BLENDSHAPE_LABELS])

    def warmup(self):
        """Start the off-screen GL context(s) and compile the shaders: in this process (one
        throw-away frame), or in every worker process (the pool is kept until ``close()``)."""
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
                      background=tuple(p.background), ssaa=p.ssaa)
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


# ---------------------------------------------------------------- frames_sink
FRAMES_EXTENSIONS = (".jsonl", ".ndjson")


class FramesSinkParams(Params):
    path: str = param("frames.jsonl", doc="JSON Lines output file (.jsonl or .ndjson)")
    digits: int = param(4, ge=1, le=9, doc="decimals kept for the weights")


@dataclass
class _FramesState:
    pending: dict = field(default_factory=dict)     # frame index → [event kinds]
    frames: int = 0                                 # lines written


class FramesSink(Node[FramesSinkParams]):
    """Writes blendshapes, viseme and events per video frame as JSON Lines (one object per frame)."""

    type_id = "frames_sink"
    category = "sink"
    ROLE = chain.FRAMES_FILE
    blendshapes = In(Signal, rate=chain.VIDEO, doc="face_animator.blendshapes")
    events = In(Events, optional=True, doc="events listed on the first frame at or after them")

    def __init__(self, params=None, **kw):
        super().__init__(params, **kw)
        self.out = None

    @classmethod
    def example_input_specs(cls, params, timebase):
        return FaceRender.example_input_specs(params, timebase)

    @classmethod
    def check(cls, params, inputs) -> list:
        return path_issues(params.path, extensions=FRAMES_EXTENSIONS) + _blendshape_issues(inputs)

    def reset(self):
        if self.out is not None:
            self.out.discard()
        self.out = PendingFile(self.params.path)
        spec = self.in_specs["blendshapes"]
        self._labels = spec.labels or BLENDSHAPE_LABELS
        self.state = _FramesState()

    def process(self, blendshapes, events=None):
        spec = self.in_specs["blendshapes"]
        st = self.state
        for e in events or ():
            st.pending.setdefault(-(-int(e.t) // spec.period), []).append(e.kind)
        j0, m = ticks_in(self.t0, self.t1, spec.period)
        if not m:
            return
        lines = []
        for i in range(m):
            f = j0 + i
            rec = frame_record(f, spec.rate_hz, blendshapes[i], self._labels, st.pending.pop(f, []),
                               self.params.digits)
            lines.append(json.dumps(rec, separators=(",", ":")) + "\n")
        self.out.handle.write("".join(lines).encode("utf-8"))
        st.frames += m

    def flush(self):
        self.out.handle.flush()

    def commit(self):
        self.out.commit()

    def close(self):
        if self.out is not None:
            self.out.discard()


# ---------------------------------------------------------------- video_sink
class VideoSinkParams(Params):
    path: str = param("out.mp4", doc=".mp4 (.m4v, .mov) → H.264/AAC, .webm → VP9/Opus")
    width: int = param(640, ge=MIN_SIZE, le=MAX_SIZE, unit="px", doc="frame width, even (must match face_render)")
    height: int = param(640, ge=MIN_SIZE, le=MAX_SIZE, unit="px", doc="frame height, even (must match face_render)")
    crf: int = param(-1, ge=-1, le=63, doc="quality (lower = better; H.264 0–51, VP9 0–63); -1: codec default (x264 23, VP9 34)")
    preset: str = param("ultrafast", choices=("ultrafast", "superfast", "veryfast", "faster", "fast", "medium"),
                        doc="x264 speed preset")
    progress: bool = param(False, doc="progress bar on stderr")


class VideoSink(Node[VideoSinkParams]):
    """Muxes rendered frames and audio into MP4 (H.264/AAC) or WebM (VP9/Opus) with PyAV.

    Frames are encoded in order on a background thread fed through a bounded queue
    (:class:`.video.VideoWriter`; PyAV releases the GIL while encoding), so encoding overlaps
    with rendering and the file is the same bytes as encoding in this thread. An encoding error
    is raised by the next ``process()`` or at the latest by ``flush()``; ``close()`` without
    ``commit()`` drops the queued frames and deletes the partial file.
    """

    type_id = "video_sink"
    category = "sink"
    ROLE = chain.VIDEO_FILE
    frames = In(Signal, rate=chain.VIDEO, dtype="uint8", doc="face_render.frames")
    audio = In(Signal, rate=chain.AUDIO, optional=True, doc="mono audio (first channel used)")

    def __init__(self, params=None, **kw):
        super().__init__(params, **kw)
        self._w = None
        self._early: list = []

    @classmethod
    def example_input_specs(cls, params, timebase):
        pv, pa = timebase.period(chain.VIDEO), timebase.period(chain.AUDIO)
        return {"frames": SignalSpec(pv, params.width * params.height * 4, "uint8",
                                     rate_hz=float(timebase.master_rate / pv)),
                "audio": SignalSpec(pa, 1, rate_hz=float(timebase.master_rate / pa))}

    @classmethod
    def check(cls, params, inputs) -> list:
        from .video import FORMATS, MAX_CRF
        p = params
        issues = path_issues(p.path, extensions=tuple(FORMATS))
        for name in ("width", "height"):
            if getattr(p, name) % 2:
                issues.append(Issue(f"params.{name}", f"video {name} must be even (got {getattr(p, name)}): "
                                                      "H.264 and VP9 store colour at half resolution",
                                    code="param.odd"))
        ext = os.path.splitext(p.path)[1].lower()
        if ext in FORMATS and p.crf > MAX_CRF[FORMATS[ext][0]]:
            issues.append(Issue("params.crf", f"crf {p.crf} is out of range for {ext} "
                                              f"(0–{MAX_CRF[FORMATS[ext][0]]}, or -1 for the default)",
                                code="param.range"))
        spec = inputs.get("frames")
        if spec is not None:
            if spec.channels != p.width * p.height * 4:
                issues.append(Issue("inputs.frames", f"frames carry {spec.channels} values per frame, not "
                                                     f"{p.width}x{p.height}x4; set video_sink width/height to "
                                                     "face_render's", code="input.size_mismatch"))
            if spec.dtype != "uint8":
                issues.append(Issue("inputs.frames", f"frames must be uint8 RGBA images (got {spec.dtype}); "
                                                     "connect face_render.frames", code="input.dtype"))
            if spec.rate_hz < 1 or spec.rate_hz != int(spec.rate_hz):
                issues.append(Issue("inputs.frames", f"a video needs a whole number of frames per second "
                                                     f"(got {spec.rate_hz:g} Hz)", code="input.rate"))
        aspec = inputs.get("audio")
        if aspec is not None and (aspec.rate_hz < 1 or aspec.rate_hz != int(aspec.rate_hz)):
            issues.append(Issue("inputs.audio", f"audio needs a whole number of samples per second "
                                                f"(got {aspec.rate_hz:g} Hz)", code="input.rate"))
        issues += _missing("av", "video_sink")
        return issues

    def reset(self):
        if self._w is not None:
            self._w.abort()
        self.state = None
        self._w = None
        self._early = []

    def warmup(self):
        """Load PyAV and its codecs (the first import takes a noticeable fraction of a second)."""
        import av  # noqa: F401

    def _writer(self):
        if self._w is None:
            from .video import VideoWriter
            p = self.params
            aspec = self.in_specs.get("audio")
            sr = int(aspec.rate_hz) if aspec is not None else self.master_rate
            self._w = VideoWriter(p.path, p.width, p.height, fps=int(self.in_specs["frames"].rate_hz),
                                  sample_rate=sr, crf=None if p.crf < 0 else p.crf, preset=p.preset,
                                  progress=p.progress)
        return self._w

    def process(self, frames, audio=None):
        if len(frames):                                   # open the file only once frames arrive
            w = self._writer()
            for a in self._early:
                w.add_audio(a)
            self._early = []
            for fr in frames:
                w.add_frame(fr.reshape(self.params.height, self.params.width, 4))
        if audio is not None and len(audio):
            a = np.asarray(audio)[:, 0]
            if self._w is None:
                self._early.append(a)
            else:
                self._w.add_audio(a)

    def flush(self):
        if self._w is not None:
            self._w.finish()

    def commit(self):
        if self._w is not None:
            self._w.commit()
            self._w = None

    def close(self):
        if self._w is not None:
            self._w.abort()
            self._w = None
