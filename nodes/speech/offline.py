"""Text → audio without the runtime: plan → score → tract track → voice.

``synthesize(text)`` is the single entry point used by the intelligibility
benchmark and the voice tests (the same maths as the graph path, where
psi_core integrates the tract channels with :class:`~.tract.Tract`).
"""
from __future__ import annotations

import numpy as np

from .articulation import CONTROL_PERIOD, MASTER_RATE, score_events
from psigraph.kernels.tract import CHANNELS, Tract
from .voice import VoiceQuality, VoiceSynth

__all__ = ["tract_track", "render_plan", "synthesize", "plan"]


def tract_track(events, n_ticks: int, period: int = CONTROL_PERIOD, master_rate: int = MASTER_RATE) -> np.ndarray:
    """Integrate the score's ``target`` events into an (n_ticks, len(CHANNELS)) track."""
    tr = Tract(master_rate / period)
    pairs = [(-(-e.t // period), e.payload) for e in events if e.kind == "target"]
    return tr.run(pairs, n_ticks)


def render_plan(plan, seed: int = 0, quality: VoiceQuality | None = None) -> np.ndarray:
    """Audio (float32, 24 kHz) for an UtterancePlan."""
    events = score_events(plan)
    n = int(round(plan.duration * MASTER_RATE))
    n_ticks = -(-n // CONTROL_PERIOD)
    track = tract_track(events, n_ticks)
    q = quality or VoiceQuality.from_persona(plan.persona)
    v = VoiceSynth(CHANNELS, q, MASTER_RATE, CONTROL_PERIOD, seed)
    return v.render(0, track, n).astype(np.float32)


def plan(text: str, emotion=None, persona="default", rate: float = 1.0):
    from .frontend.plan import plan_utterance
    return plan_utterance(text, emotion=emotion, persona=persona, rate=rate)


def synthesize(text: str, emotion=None, persona="default", rate: float = 1.0, seed: int = 0):
    """(audio float32, sample rate) for ``text``."""
    return render_plan(plan(text, emotion, persona, rate), seed=seed), MASTER_RATE
