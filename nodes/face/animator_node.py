"""face_animator: ψ-state → ARKit blendshapes, head pose, gaze and viseme at video rate."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from psigraph import chain
from psigraph.errors import Issue
from psigraph.node import Node
from psigraph.params import Params, param
from psigraph.ports import Event, Events, In, Out, Signal, SignalSpec
from psigraph.timebase import ticks_in

from .animator import MOUTH_LABELS, AnimatorCore, phase_columns, read_control, step_columns
from .arkit import BLENDSHAPE_LABELS

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
    frown_after: int = param(2, ge=1, le=20, doc="this many surprises within frown_window_s: a 'processing' "
                             "micro-frown instead of a brow raise")
    frown_window_s: float = param(4.0, ge=0.1, le=60.0, unit="s", doc="window that counts repeated surprises")
    frown_ms: float = param(600.0, ge=50.0, le=3000.0, unit="ms", doc="duration of the processing frown")
    nod_ms: float = param(500.0, ge=100.0, le=2000.0, unit="ms", doc="listener nod at a phrase boundary")
    nod_deg: float = param(6.0, ge=0.0, le=20.0, unit="deg", doc="head pitch of the nod (0: no nods)")
    pause_ms: float = param(40.0, ge=0.0, le=500.0, unit="ms",
                            doc="micro-pause asked of the voice when a surprise comes while the avatar speaks")


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
    events = In(Events, optional=True,
                doc=f"'{chain.SURPRISE}' raises the brows (repeated: a frown), '{chain.PHRASE_BOUNDARY}' nods and "
                    f"blinks, '{chain.SYLLABLE_ONSET}' paces the gaze, '{chain.TURN_END_PREDICTED}' takes a breath")
    blendshapes = Out(Signal, rate=chain.VIDEO, channels=len(BLENDSHAPE_LABELS), labels=BLENDSHAPE_LABELS,
                      doc="52 ARKit weights, headPitch/Yaw/Roll (rad), gazeX/Y, viseme index")
    reactions = Out(Events, doc=f"'{chain.REACTION}' events at the frame each reaction starts: "
                                "{'what': 'brow' | 'frown' | 'nod' | 'pause' | 'breath', 'ms'}")

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
                            blink_source=p.blink_source, frown_after=p.frown_after,
                            frown_window_s=p.frown_window_s, frown_ms=p.frown_ms, nod_ms=p.nod_ms,
                            nod_rad=math.radians(p.nod_deg), pause_ms=p.pause_ms)
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
            st.core.add_event(e.kind, -(-int(e.t) // pout), e.payload)
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
        reactions = [Event(f * pout, chain.REACTION, {"what": what, "ms": float(ms)})
                     for f, what, ms in st.core.take_reactions()]
        return {"blendshapes": out, "reactions": reactions}
