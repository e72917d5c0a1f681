"""Face node types: face_animator, face_render, frames_sink, video_sink (entry-point module)."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import numpy as np

from psigraph.errors import PsigraphError
from psigraph.node import Node
from psigraph.params import Params, param
from psigraph.ports import Events, In, Out, Signal, SignalSpec
from psigraph.timebase import ticks_in

from .animator import AnimatorCore, interp_control
from .arkit import BLENDSHAPE_LABELS
from .jsonl import frame_record


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
    hist: np.ndarray                 # last two control rows
    hist_k: int                      # control index of hist[-1] (-1: none yet)
    core: object = None


class FaceAnimator(Node[FaceAnimatorParams]):
    """ψ-state → ARKit blendshapes, head pose, gaze and OVR viseme at video rate."""

    type_id = "face_animator"
    category = "face"
    state = In(Signal, doc="ψ-state at control rate with channel labels (tract channels, phase:/amp: roles)")
    events = In(Events, optional=True, doc="'surprise' events trigger a brow raise")
    blendshapes = Out(Signal, rate="video", channels=len(BLENDSHAPE_LABELS), labels=BLENDSHAPE_LABELS,
                      doc="52 ARKit weights, headPitch/Yaw/Roll (rad), gazeX/Y, viseme index")

    @classmethod
    def example_input_specs(cls, params, timebase):
        labels = ("jaw", "lip_ap", "lip_round", "lip_spread", "AV", "valence")
        p = timebase.period("control")
        return {"state": SignalSpec(p, len(labels), labels=labels, rate_hz=float(timebase.master_rate / p))}

    def reset(self):
        spec = self.in_specs["state"]
        p = self.params
        core = AnimatorCore(spec.labels, fps=self.out_specs["blendshapes"].rate_hz, seed=self.seed,
                            blink_rate=p.blink_rate, blink_ms=p.blink_ms, expressivity=p.expressivity,
                            head_motion=p.head_motion, jaw_gain=p.jaw_gain, surprise_ms=p.surprise_ms,
                            blink_source=p.blink_source)
        self._step_cols = tuple(i for i, lab in enumerate(spec.labels) if lab == "viseme")
        self._phase_cols = tuple(i for i, lab in enumerate(spec.labels) if lab.startswith("phase:"))
        self.state = _AnimNodeState(np.zeros((0, spec.channels)), -1, core)

    def process(self, state, events=None):
        st = self.state
        pin, pout = self.in_specs["state"].period, self.out_specs["blendshapes"].period
        k0, n = ticks_in(self.t0, self.t1, pin)
        j0, m = ticks_in(self.t0, self.t1, pout)
        for e in events or ():
            if e.kind == "surprise":
                st.core.add_surprise(-(-int(e.t) // pout))
        if n:
            rows = np.vstack([st.hist, state]) if len(st.hist) else np.asarray(state)
            first = k0 - len(st.hist)
        else:
            rows, first = st.hist, st.hist_k - len(st.hist) + 1
        out = np.zeros((m, len(BLENDSHAPE_LABELS)))
        if m:
            times = (j0 + np.arange(m, dtype=np.int64)) * pout
            vals = interp_control(rows, first, times, pin, self._step_cols, self._phase_cols)
            out = st.core.frames(vals, j0)
        if n:
            st.hist = rows[-2:].copy()
            st.hist_k = k0 + n - 1
        return out


# ---------------------------------------------------------------- face_render
class FaceRenderParams(Params):
    width: int = param(640, ge=16, le=4096, unit="px", doc="image width (even for video)")
    height: int = param(640, ge=16, le=4096, unit="px", doc="image height (even for video)")
    distance: float = param(7.4, gt=1.0, le=50.0, doc="camera distance (head units, 1 ≈ 10 cm)")
    fov: float = param(20.0, gt=1.0, lt=120.0, unit="deg", doc="vertical field of view")
    elevation: float = param(4.0, ge=-60.0, le=60.0, unit="deg", doc="camera elevation")
    azimuth: float = param(0.0, ge=-180.0, le=180.0, unit="deg", doc="camera azimuth (0 = frontal)")
    background: list = param([0.16, 0.17, 0.2], doc="background RGB in [0, 1]")
    ssaa: int = param(1, ge=1, le=4, doc="supersampling factor (anti-aliasing)")


class FaceRender(Node[FaceRenderParams]):
    """Renders the procedural 3D head off-screen (vispy, EGL/OSMesa) to RGBA frames."""

    type_id = "face_render"
    category = "face"
    blendshapes = In(Signal, rate="video", doc="face_animator.blendshapes (labels looked up by name)")
    frames = Out(Signal, rate="video", channels=lambda p: p.width * p.height * 4, dtype="uint8",
                 doc="RGBA images, one flat row of width·height·4 bytes per frame (top row first)")

    @classmethod
    def example_input_specs(cls, params, timebase):
        p = timebase.period("video")
        return {"blendshapes": SignalSpec(p, len(BLENDSHAPE_LABELS), labels=BLENDSHAPE_LABELS,
                                          rate_hz=float(timebase.master_rate / p))}

    def reset(self):
        bg = self.params.background
        if len(bg) not in (3, 4) or not all(isinstance(c, (int, float)) and 0 <= c <= 1 for c in bg):
            raise PsigraphError(f"face_render: background must be 3 or 4 numbers in [0, 1] (got {bg!r})",
                                where="background")
        spec = self.in_specs["blendshapes"]
        labels = spec.labels or (BLENDSHAPE_LABELS if spec.channels == len(BLENDSHAPE_LABELS) else ())
        self._map = np.array([labels.index(n) if n in labels else -1 for n in BLENDSHAPE_LABELS])
        self._renderer = None

    def _r(self):
        if self._renderer is None:
            from .render import FaceRenderer
            p = self.params
            self._renderer = FaceRenderer(p.width, p.height, distance=p.distance, fov=p.fov,
                                          elevation=p.elevation, azimuth=p.azimuth,
                                          background=tuple(p.background), ssaa=p.ssaa)
        return self._renderer

    def process(self, blendshapes):
        out = self.zeros("frames")
        for i, row in enumerate(blendshapes):
            full = np.where(self._map >= 0, row[np.maximum(self._map, 0)], 0.0)
            out[i] = self._r().render(full).reshape(-1)
        return out

    def __getstate__(self):
        d = dict(self.__dict__)
        d["_renderer"] = None               # GL objects are not picklable; rebuilt on demand
        return d

    def close(self):
        if getattr(self, "_renderer", None) is not None:
            self._renderer.close()
            self._renderer = None


# ---------------------------------------------------------------- frames_sink
class FramesSinkParams(Params):
    path: str = param("frames.jsonl", doc="JSON Lines output file")
    digits: int = param(4, ge=1, le=9, doc="decimals kept for the weights")


@dataclass
class _FramesState:
    lines: list = field(default_factory=list)
    pending: dict = field(default_factory=dict)     # frame index → [event kinds]


class FramesSink(Node[FramesSinkParams]):
    """Writes blendshapes, viseme and events per video frame as JSON Lines (DESIGN §5)."""

    type_id = "frames_sink"
    category = "sink"
    blendshapes = In(Signal, rate="video", doc="face_animator.blendshapes")
    events = In(Events, optional=True, doc="events listed on the first frame at or after them")

    @classmethod
    def example_input_specs(cls, params, timebase):
        return FaceRender.example_input_specs(params, timebase)

    def reset(self):
        self.state = _FramesState()

    def process(self, blendshapes, events=None):
        spec = self.in_specs["blendshapes"]
        st = self.state
        for e in events or ():
            st.pending.setdefault(-(-int(e.t) // spec.period), []).append(e.kind)
        j0, m = ticks_in(self.t0, self.t1, spec.period)
        labels = spec.labels or BLENDSHAPE_LABELS
        for i in range(m):
            f = j0 + i
            rec = frame_record(f, spec.rate_hz, blendshapes[i], labels, st.pending.pop(f, []), self.params.digits)
            st.lines.append(json.dumps(rec, separators=(",", ":")))

    def flush(self):
        path = self.params.path
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        tmp = path + ".part"
        with open(tmp, "w", encoding="utf-8") as f:
            for line in self.state.lines:
                f.write(line + "\n")
        os.replace(tmp, path)


# ---------------------------------------------------------------- video_sink
class VideoSinkParams(Params):
    path: str = param("out.mp4", doc=".mp4 → H.264/AAC, .webm → VP9/Opus")
    width: int = param(640, ge=16, le=4096, unit="px", doc="frame width (must match face_render)")
    height: int = param(640, ge=16, le=4096, unit="px", doc="frame height (must match face_render)")
    crf: int = param(-1, ge=-1, le=63, doc="quality (lower = better); -1: codec default (x264 23, VP9 34)")
    preset: str = param("ultrafast", choices=("ultrafast", "superfast", "veryfast", "faster", "fast", "medium"),
                        doc="x264 speed preset")
    progress: bool = param(False, doc="progress bar on stderr")


class VideoSink(Node[VideoSinkParams]):
    """Muxes rendered frames and audio into MP4 (H.264/AAC) or WebM (VP9/Opus) with PyAV."""

    type_id = "video_sink"
    category = "sink"
    frames = In(Signal, rate="video", dtype="uint8", doc="face_render.frames")
    audio = In(Signal, rate="audio", optional=True, doc="mono audio (first channel used)")

    @classmethod
    def example_input_specs(cls, params, timebase):
        pv, pa = timebase.period("video"), timebase.period("audio")
        return {"frames": SignalSpec(pv, params.width * params.height * 4, "uint8",
                                     rate_hz=float(timebase.master_rate / pv)),
                "audio": SignalSpec(pa, 1, rate_hz=float(timebase.master_rate / pa))}

    def reset(self):
        p = self.params
        ch = self.in_specs["frames"].channels
        if ch != p.width * p.height * 4:
            raise PsigraphError(f"video_sink: frames carry {ch} values per frame, not {p.width}x{p.height}x4",
                                where=p.path, hint="set video_sink width/height to face_render's")
        self.state = None
        self._w = None
        self._early: list = []

    def _writer(self):
        if self._w is None:
            from .video import VideoWriter
            p = self.params
            sr = int(self.in_specs["audio"].rate_hz) if "audio" in self.in_specs else 24000
            self._w = VideoWriter(p.path, p.width, p.height, fps=int(round(self.in_specs["frames"].rate_hz)),
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

    def __getstate__(self):
        d = dict(self.__dict__)
        d["_w"] = None                      # an open encoder is not picklable
        return d

    def flush(self):
        if self._w is not None:
            self._w.close()
            self._w = None

    def close(self):
        if getattr(self, "_w", None) is not None:
            self._w.abort()
            self._w = None
