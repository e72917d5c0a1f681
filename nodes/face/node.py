"""Face node types: face_animator, face_render, frames_sink, video_sink (entry-point module).

Each node declares what would stop it from running in ``check(params, inputs)`` (called by
``psigraph validate`` and before a session starts), takes every rate from its resolved port
specs, and does its one-time start-up work in ``warmup()``.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import numpy as np

from psigraph import chain
from psigraph.errors import Issue
from psigraph.node import Node
from psigraph.outputs import PendingFile, path_issues
from psigraph.params import Params, param
from psigraph.ports import Events, In, Signal, SignalSpec
from psigraph.timebase import ticks_in

from .arkit import BLENDSHAPE_LABELS
from .jsonl import frame_record

from .animator_node import FaceAnimator, FaceAnimatorParams  # noqa: F401  (registered from this module)
from .checks import MAX_RENDER_WORKERS, MAX_SIZE, MIN_SIZE, _blendshape_issues, _missing  # noqa: F401
from .render_node import FaceRender, FaceRenderParams  # noqa: F401


# ---------------------------------------------------------------- frames_sink
FRAMES_EXTENSIONS = (".jsonl", ".ndjson")


class FramesSinkParams(Params):
    path: str = param("frames.jsonl", doc="JSON Lines output file (.jsonl or .ndjson)")
    digits: int = param(4, ge=1, le=9, doc="decimals kept for the weights")
    landmarks: bool = param(False, doc="also write the 68 landmarks of the ICT head (0..1 image coordinates of "
                                       "face_render's default camera), lip gap and eye opening in mm")
    persona: str = param("default", doc="persona whose face the landmarks are measured on (with landmarks: true)")


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
        issues = path_issues(params.path, extensions=FRAMES_EXTENSIONS) + _blendshape_issues(inputs)
        if params.landmarks:
            from .face_style import FaceStyleError, face_style
            try:
                face_style(params.persona or None)
            except FaceStyleError as e:
                issues.append(Issue("params.persona", e.message + (f"; {e.hint}" if e.hint else ""),
                                    code="param.invalid"))
        return issues

    def reset(self):
        if self.out is not None:
            self.out.discard()
        self.out = PendingFile(self.params.path)
        spec = self.in_specs["blendshapes"]
        self._labels = spec.labels or BLENDSHAPE_LABELS
        self.state = _FramesState()
        self._tracker = None
        if self.params.landmarks:
            from .face_style import face_style
            from .ict import build_ict_head
            from .landmarks import LandmarkTracker
            from .render import camera
            self._tracker = LandmarkTracker(build_ict_head(face_style(self.params.persona or None)))
            self._camera = camera()[:2]
            self._map = np.array([self._labels.index(n) if n in self._labels else -1 for n in BLENDSHAPE_LABELS])

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
            extra = None
            if self._tracker is not None:
                full = np.where(self._map >= 0, np.asarray(blendshapes[i], float)[np.maximum(self._map, 0)], 0.0)
                extra = self._tracker.record(full, *self._camera)
            rec = frame_record(f, spec.rate_hz, blendshapes[i], self._labels, st.pending.pop(f, []),
                               self.params.digits, extra)
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
