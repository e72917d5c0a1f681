"""Saying new words in a given tone: the planner's side of ``tone`` events (psigraph.chain.TONE).

A tone names how speech should *sound*, in the numbers the ψ-memory recorder measures on every
utterance (:mod:`psigraph.kernels.prosody`): the median f0 of voiced speech, its 5–95 % range, the
syllables per second of speaking time and the mean pause; plus an emotion vector and the phase
offsets of the expression roles. Those numbers depend on the words as well as on the voice (a
question's final rise widens the range, long words slow the syllable rate), so a stored tone is not
reproduced by copying planner settings. Instead the planner *predicts* what the recorder will measure
on a plan — the same score, the tract integrated exactly as psi_core integrates it, the same
statistics — and adjusts four knobs of the front-end until the prediction meets the targets:

====================  ===========================================  =====================================
target                knob (:meth:`UtterancePlan.replan`)           why one ratio step nearly solves it
====================  ===========================================  =====================================
``rate_sps``          ``rate``                                     segment durations scale with 1/rate
``pause_s``           ``pause_scale``                              break pauses scale with it (minus the
                                                                   voicing tails around them)
``f0_range_st``       ``f0_range`` (semitones)                     the contour is range × shape (apart
                                                                   from the yes/no rise floor of 4 st)
``f0_level_hz``       ``f0_level`` (base pitch, Hz)                the contour is base × 2^(st/12)
====================  ===========================================  =====================================

Each knob is multiplied by target / predicted until its target is met within :data:`TOLERANCE` or
after :data:`MAX_ITER` rounds (typically 2–3): the timing knobs first, then the pitch knobs on the
final timing. A target the plan cannot show (no pause in the new words, nothing voiced) leaves its
knob alone. The knobs are fitted once per text (:func:`fit_knobs`).
"""
from __future__ import annotations

import math

import numpy as np

from psigraph import chain
from psigraph.errors import PsigraphError
from psigraph.kernels.prosody import SOURCES, prosody_stats
from psigraph.kernels.tract import Tract
from psigraph.ports import Event

from .articulation import score_events
from .frontend.plan import F0_LEVEL_HZ, F0_RANGE_ST, LEAD_SILENCE_S, PAUSE_SCALE

__all__ = ["clean_tone", "predict", "fit_plan", "fit_knobs", "phase_forces", "articulate", "reply_tone",
           "MAX_ITER", "TOLERANCE", "PHASE_PULL", "FIT_WORDS", "MOUTH_CHANNELS", "ENTRAIN_PULL", "REPEATED_SURPRISES",
           "CAREFUL_RATE", "CAREFUL_ARTICULATION"]

MAX_ITER = 6
#: the knobs of a text are fitted on its first sentences up to this many words, planned as one utterance
FIT_WORDS = 60
#: when a target counts as met: rate relative (log), pause in seconds (at least one control tick: pauses
#: are whole ticks), f0 level and range in semitones
TOLERANCE = {"rate_sps": 0.002, "pause_s": 0.003, "f0_range_st": 0.02, "f0_level_hz": 0.02}
#: pull (1/s) toward a stored expression phase: locks within ~1/PHASE_PULL s, far faster than the roles turn
PHASE_PULL = 10.0
RATE = (0.1, 10.0)
_PERIOD_S = {r["name"]: r["period_ms"] / 1000.0 for r in chain.SPEAK_ROLES}
#: the tract channels that move the mouth (scaled about their rest values by a tone's ``articulation``)
MOUTH_CHANNELS = ("jaw", "lip_ap", "lip_round", "lip_spread")
#: cross-speaker entrainment: the reply moves this fraction of the way from its own rate and pitch range
#: toward the speaker's (speakers converge partly, not fully: "communication accommodation")
ENTRAIN_PULL = 0.5
#: adaptive comprehension: this many surprises within the working memory's span (10 s) make the reply careful —
#: CAREFUL_RATE × the rate and CAREFUL_ARTICULATION × the mouth movements (clear speech is slower and
#: hyperarticulated)
REPEATED_SURPRISES = 2
CAREFUL_RATE = 0.8
CAREFUL_ARTICULATION = 1.3


def clean_tone(payload) -> dict:
    """A tone payload checked and normalised (floats); PsigraphError naming the first bad entry."""
    if payload is None:
        return {}
    if not isinstance(payload, dict):
        raise PsigraphError(f"a tone event's payload is a dict, got {type(payload).__name__}", where="tone")
    out: dict = {}
    for key, val in payload.items():
        if key not in chain.TONE_KEYS:
            continue                                    # other keys (source ids, mix) are for people
        if val is None:
            continue
        if key == "emotion":
            try:
                vec = [float(v) for v in val]
            except (TypeError, ValueError):
                vec = []
            if len(vec) != 3 or not all(math.isfinite(v) for v in vec):
                raise PsigraphError(f"tone emotion must be three numbers (valence, arousal, dominance), got {val!r}",
                                    where="tone")
            out[key] = [min(1.0, max(-1.0, v)) for v in vec]
        elif key == "phase_offsets":
            if not isinstance(val, dict):
                raise PsigraphError(f"tone phase_offsets must map roles to radians, got {val!r}", where="tone")
            offs = {}
            for role, ph in val.items():
                if role in _PERIOD_S and isinstance(ph, (int, float)) and not isinstance(ph, bool) \
                        and math.isfinite(ph):
                    offs[str(role)] = float(ph) % (2 * math.pi)
            if offs:
                out[key] = offs
        else:
            if isinstance(val, bool) or not isinstance(val, (int, float)) or not math.isfinite(val) or val < 0:
                raise PsigraphError(f"tone {key} must be a number >= 0, got {val!r}", where="tone")
            if val > 0 or key == "f0_range_st":          # 0 Hz / 0 syllables per second: nothing measured
                out[key] = float(val)
    return out


def _tracks(plan, master_rate: int, period: int, channels) -> dict:
    """Per-tick tracks of some tract channels for ``plan`` spoken alone, integrated as psi_core does
    (psigraph.kernels.tract; channels evolve independently, so the other channels' targets are left out)."""
    keep = set(channels)
    pairs = []
    for e in score_events(plan, t0=0, master_rate=master_rate, period=period):
        if e.kind == chain.TARGET:
            values = {k: v for k, v in e.payload["values"].items() if k in keep}
            if values:
                pairs.append((-(-e.t // period), {**e.payload, "values": values}))
    n = -(-int(round(plan.duration * master_rate)) // period)
    track = Tract(master_rate / period).run(pairs, n)
    out = {c: track[:, chain.TRACT_INDEX[c]] for c in channels}
    if not getattr(plan, "_source", {}).get("final", True):
        # a chunk the next one follows: its trailing gap and the next chunk's lead silence are a pause
        # in what will be heard; predict it as the silence before a sound at the next chunk's onset
        lead = int(round(LEAD_SILENCE_S * master_rate / period))
        out = {c: np.concatenate([v, np.zeros(lead + 1)]) for c, v in out.items()}
        for c in SOURCES:
            if c in out:
                out[c][-1] = 1.0
    return out


def _sources(plan, master_rate: int, period: int):
    """(AV track, per-tick maximum of the source amplitudes) of ``plan``."""
    tr = _tracks(plan, master_rate, period, SOURCES)
    return tr["AV"], np.max([tr[c] for c in SOURCES], axis=0)


def predict(plan, master_rate: int = 24000, period: int = 120, *, sources=None) -> dict:
    """What the recorder will measure on ``plan`` spoken alone (psigraph.kernels.prosody.prosody_stats);
    ``sources``: its (AV, source maximum) tracks when already known (a replan that kept the timing)."""
    av, src = sources if sources is not None else _sources(plan, master_rate, period)
    f0 = _tracks(plan, master_rate, period, ("f0",))["f0"]
    return prosody_stats(f0, av, src, len(plan.syllables), master_rate / period)


def _clip(x: float, lo_hi) -> float:
    return float(min(max(x, lo_hi[0]), lo_hi[1]))


def fit_plan(plan, tone: dict, *, rate_factor: float = 1.0, master_rate: int = 24000, period: int = 120):
    """``plan`` planned again so that what the recorder measures on it meets the ``tone``'s targets
    (``rate_sps`` × ``rate_factor``, ``pause_s``, ``f0_range_st``, ``f0_level_hz``; see the module doc).

    Timing first (rate and pause scale), then pitch (range and level) on the final timing: the pitch
    knobs do not move the timing, while a new timing moves the pitch statistics a little (they are
    taken over whole ticks), so fitting all four at once can chase a tick back and forth."""
    want = {k: tone[k] for k in ("rate_sps", "pause_s", "f0_range_st", "f0_level_hz") if k in tone}
    if "rate_sps" in want:
        want["rate_sps"] *= float(rate_factor)
    if not want:
        return plan
    tick = period / master_rate
    knobs = dict(plan._source["knobs"])
    knobs["f0_level"], knobs["f0_range"] = plan.base_f0, plan.f0_range
    if "f0_range_st" in want and knobs["f0_range"] <= 0.0:
        knobs["f0_range"] = _clip(want["f0_range_st"], F0_RANGE_ST)     # a flat plan has no shape to scale
        plan = plan.replan(f0_range=knobs["f0_range"])

    def timing(got):
        change = {}
        if "rate_sps" in want and got["rate_sps"] > 0:
            ratio = want["rate_sps"] / got["rate_sps"]
            if abs(math.log(ratio)) > TOLERANCE["rate_sps"]:
                change["rate"] = _clip(knobs["rate"] * ratio, RATE)
        if "pause_s" in want and got["pauses"]["count"] and got["pauses"]["mean_s"] > 0:
            if abs(want["pause_s"] - got["pauses"]["mean_s"]) > max(TOLERANCE["pause_s"], tick):
                change["pause_scale"] = _clip(knobs["pause_scale"] * want["pause_s"] / got["pauses"]["mean_s"],
                                              PAUSE_SCALE)
        return change

    def pitch(got):
        change = {}
        if "f0_range_st" in want and got["f0_range_st"] > 1e-3:
            if abs(want["f0_range_st"] - got["f0_range_st"]) > TOLERANCE["f0_range_st"]:
                change["f0_range"] = _clip(knobs["f0_range"] * want["f0_range_st"] / got["f0_range_st"], F0_RANGE_ST)
        if "f0_level_hz" in want and got["f0_level_hz"] > 0:
            st = 12.0 * math.log2(want["f0_level_hz"] / got["f0_level_hz"])
            if abs(st) > TOLERANCE["f0_level_hz"]:
                change["f0_level"] = _clip(knobs["f0_level"] * 2.0 ** (st / 12.0), F0_LEVEL_HZ)
        return change

    for step in (timing, pitch):
        sources = _sources(plan, master_rate, period)                   # the pitch knobs keep the timing
        for _ in range(MAX_ITER):
            change = {k: v for k, v in step(predict(plan, master_rate, period, sources=sources)).items()
                      if v != knobs[k]}
            if not change:
                break
            knobs.update(change)
            plan = plan.replan(**change)
            if step is timing:
                sources = _sources(plan, master_rate, period)
    return plan


def fit_knobs(text: str, tone: dict, *, emotion=None, persona="default", rate: float = 1.0,
              master_rate: int = 24000, period: int = 120) -> dict:
    """The front-end knobs (rate, f0_level, f0_range, pause_scale) that make ``text`` meet ``tone``.

    They are fitted once per text, on its first sentences up to :data:`FIT_WORDS` words planned as one
    utterance — what the recorder measures on a short text is a property of the whole utterance, not
    of the chunks the planner streams it in (each chunk fitted alone would meet the targets while the
    whole misses them: two sentences of different shapes widen the range of their union, and the pause
    between chunks belongs to neither) — and then used for every chunk of the text."""
    from .frontend.plan import iter_plans
    head = next(iter_plans(text, emotion=emotion, persona=persona, rate=rate, max_words=FIT_WORDS,
                           first_alone=False))
    fitted = fit_plan(head, tone, rate_factor=rate, master_rate=master_rate, period=period)
    return dict(fitted._source["knobs"], f0_level=fitted.base_f0, f0_range=fitted.f0_range)


def phase_forces(tone: dict, t0: int, master_rate: int) -> list:
    """``force`` events at master index ``t0`` that pull each expression role toward its stored phase
    offset (the reference rotates at the role's own rate; its phase at t0 is offset + 2π t0 / period)."""
    out = []
    for role, off in sorted((tone.get("phase_offsets") or {}).items()):
        period = _PERIOD_S.get(role)
        if period:
            phase = (off + 2 * np.pi * (t0 / master_rate) / period) % (2 * np.pi)
            out.append(Event(t0, chain.FORCE, {"role": role, "phase": float(phase), "amp": None,
                                               "strength": PHASE_PULL}))
    return out


def articulate(events, gain: float) -> list:
    """The score ``events`` with the mouth targets (:data:`MOUTH_CHANNELS`) scaled about their rest values
    (psigraph.chain.TRACT_REST) by ``gain`` and clipped to [0, 1]: 1.2 = 20 % larger jaw and lip excursions.
    Formants, sources and timing are untouched (the words sound the same; the face moves more)."""
    gain = float(gain)
    if gain == 1.0:
        return list(events)
    out = []
    for e in events:
        vals = e.payload.get("values", {}) if e.kind == chain.TARGET and isinstance(e.payload, dict) else {}
        if any(k in vals for k in MOUTH_CHANNELS):
            scaled = {k: (min(1.0, max(0.0, chain.TRACT_REST[k] + gain * (v - chain.TRACT_REST[k])))
                          if k in MOUTH_CHANNELS else v) for k, v in vals.items()}
            e = Event(e.t, e.kind, {**e.payload, "values": scaled})
        out.append(e)
    return out


def reply_tone(own: dict, heard: dict | None = None, surprises: int = 0, *, pull: float = ENTRAIN_PULL,
               repeated: int = REPEATED_SURPRISES) -> dict:
    """The tone (psigraph.chain.TONE payload) of a reply after listening.

    ``own``: what the recorder would measure on the reply said plainly (:func:`predict`: ``rate_sps``,
    ``f0_range_st``); ``heard``: the same measures of the speaker (psigraph.kernels.prosody on what was
    heard); ``surprises``: surprise events while listening (the most within the working memory's span). Cross-speaker entrainment moves the rate
    and the pitch range ``pull`` of the way toward the speaker's; ``repeated`` surprises or more make the reply careful (adaptive
    comprehension: :data:`CAREFUL_RATE` × the rate, mouth movements × :data:`CAREFUL_ARTICULATION`)."""
    tone: dict = {}
    rate = float(own.get("rate_sps", 0.0))
    rng = float(own.get("f0_range_st", 0.0))
    heard = heard or {}
    if rate > 0 and heard.get("rate_sps", 0.0) > 0:
        rate = (1.0 - pull) * rate + pull * float(heard["rate_sps"])
    if heard.get("f0_range_st", 0.0) > 0 and rng > 0:
        rng = (1.0 - pull) * rng + pull * float(heard["f0_range_st"])
    if surprises >= repeated:
        rate *= CAREFUL_RATE
        tone["articulation"] = CAREFUL_ARTICULATION
    if rate > 0:
        tone["rate_sps"] = float(rate)
    if rng > 0 and heard.get("f0_range_st", 0.0) > 0:
        tone["f0_range_st"] = float(rng)
    return tone
