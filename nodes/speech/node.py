"""Speech nodes: ``text_source``, ``prosody_planner`` and the oscillator ``voice``."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from psigraph import chain
from psigraph.chain import TRACT_CHANNELS as CHANNELS
from psigraph.errors import Issue, PsigraphError
from psigraph.node import Node
from psigraph.params import Params, param
from psigraph.ports import Event, Events, In, Out, Signal, SignalSpec

from .articulation import score_events
from .kernels import VCH
from .voice import VoiceQuality, VoiceSynth

__all__ = ["TextSource", "ProsodyPlanner", "Voice"]


# ----------------------------------------------------------------------------- text_source
class TextSourceParams(Params):
    text: str = param("Hello! I'm Tori.", doc="text emitted at t = 0 (empty: emit nothing)")


@dataclass
class TextSourceState:
    sent: bool = False


class TextSource(Node[TextSourceParams]):
    """Emits its ``text`` once at t = 0 and forwards text events arriving on ``text_in``."""

    type_id = "text_source"
    category = "speech"
    ROLE = chain.TEXT_INPUT
    text_in = In(Events, optional=True, doc="more text to say (payload: str or {'text': str})")
    text = Out(Events, doc="text events (payload {'text': str})")

    @classmethod
    def check(cls, params, inputs) -> list:
        """Text that cannot be said is an error; text psigraph cannot fully read gets warnings."""
        return list(_text_issues(params.text))

    def reset(self):
        self.state = TextSourceState()

    def process(self, text_in=None):
        out = []
        if not self.state.sent and self.t1 > self.t0:
            self.state.sent = True
            if self.params.text:
                out.append(Event(self.t0, "text", {"text": self.params.text}))
        for ev in text_in or ():
            p = ev.payload
            txt = p.get("text", "") if isinstance(p, dict) else str(p)
            out.append(Event(max(ev.t, self.t0), "text", {**(p if isinstance(p, dict) else {}), "text": txt}))
        return out


# ----------------------------------------------------------------------------- prosody_planner
class ProsodyPlannerParams(Params):
    persona: str = param("default", doc="persona name (nodes/speech/personas) or YAML path")
    emotion: str = param("auto", doc="'auto' (from the text), a name (happy, sad, ...) or 'v,a,d'")
    rate: float = param(1.0, gt=0.1, le=10.0, doc="speaking-rate factor (1.5 = 50 % faster)")
    pause_ms: float = param(0.0, ge=0.0, le=500.0, unit="ms",
                            doc="micro-pause when a surprise reaches the reactions input while speaking (40 ms "
                                "is natural); 0: none, and the score is sent ahead as it is planned")


@dataclass
class PlannerState:
    busy_until: int = 0          # master index where the last planned chunk ends
    pending: list = field(default_factory=list)   # chunk-plan iterators of texts not fully planned yet
    warnings: list = field(default_factory=list)  # for the user, each once: text it could not read
    tone: dict = field(default_factory=dict)      # the last tone event (cleaned); {} = none
    outbox: list = field(default_factory=list)    # planned score events not due yet (a pause can still move them)
    sources: dict = field(default_factory=dict)   # the source amplitudes (AV, AH, …) the released score set last
    pauses: list = field(default_factory=list)    # master indices where micro-pauses were made


class ProsodyPlanner(Node[ProsodyPlannerParams]):
    """Text → gestural score (front-end plan + articulation gestures, docs/SPEECH_CHAIN.md §1).

    Long text is planned a chunk of sentences at a time, ``LOOKAHEAD_S`` ahead of the
    playhead, so memory follows the chunk, not the text; the score does not depend on
    when a chunk is planned (every chunk starts where the previous one ends).

    Text it cannot read (other scripts, other languages: psigraph speaks English) is not printed
    here: a text's one-line warnings ride on its first ``utterance`` event (payload ``warnings``)
    and collect, each once, in ``state.warnings`` for the caller to show.

    A ``tone`` event (psigraph.chain.TONE, e.g. from psi_memory: how a stored utterance was said)
    applies to the texts that arrive from then on (at the same time included): its emotion replaces
    the ``emotion`` param (a text event's own ``emotion`` still wins), and the text is planned with
    pitch, range, rate and pause knobs fitted so that what the recorder will measure on it meets the
    tone's f0 level and range, syllable rate (× the ``rate`` param) and mean pause
    (nodes/speech/tone.py); stored expression phases become ``force`` events at every chunk. An empty
    tone payload returns to the params. A tone's ``articulation`` scales the mouth targets (jaw, lips)
    about their rest values (1.3 = 30 % larger movements; tone.articulate).

    **Micro-pauses** (``pause_ms`` > 0). The planned score is held and released as time reaches it, so a
    ``surprise`` (or a ``reaction`` with what = pause) on the ``reactions`` input that arrives while the
    voice is sounding can still stop it: the sources fall silent at the next control tick for
    ``pause_ms`` (or the reaction's ``ms``) and everything planned after that moment is shifted by the
    pause (docs/LISTENING_REPLY.md). Connect the surprises of a chain the planner does not feed (a
    listener's): the planner's own surprise_detector would close a loop without a delay."""

    type_id = "prosody_planner"
    category = "speech"
    ROLE = chain.PROSODY
    HOT_PARAMS = frozenset({"persona", "emotion", "rate"})
    FINITE = True                       # done once the last planned utterance has been spoken
    LOOKAHEAD_S = 1.0
    text = In(Events, doc="text events (payload str or {'text', 'emotion'?, 'persona'?})")
    tone = In(Events, optional=True, doc="how to say what comes next (psi_memory): {'emotion'?, 'f0_level_hz'?, "
                                         "'f0_range_st'?, 'rate_sps'?, 'pause_s'?, 'phase_offsets'?, "
                                         "'articulation'?}")
    reactions = In(Events, optional=True, doc=f"'{chain.SURPRISE}' (or '{chain.REACTION}' what=pause) while "
                                              "speaking: a micro-pause of pause_ms")
    score = Out(Events, doc="the gestural score")

    @classmethod
    def check(cls, params, inputs) -> list:
        return _persona_issues(params.persona) + _emotion_issues(params.emotion)

    def reset(self):
        self.state = PlannerState()

    def warmup(self):
        from .frontend import preload
        preload()                       # load the lexicon now, not when the first text arrives

    def done(self) -> bool:
        st = self.state
        return not st.pending and not st.outbox and st.busy_until > 0 and self.t1 >= st.busy_until

    def end(self) -> int | None:
        st = self.state
        return st.busy_until if not st.pending and st.busy_until > 0 else None

    def progress(self) -> float:
        """Fraction of the received text planned so far (1.0 when nothing is pending)."""
        st = self.state
        total = sum(p[1] for p in st.pending) + 1e-9
        left = sum(p[2] for p in st.pending)
        return 1.0 if not st.pending else 1.0 - left / total

    def process(self, text=None, tone=None, reactions=None):
        from .frontend.plan import iter_plans
        st = self.state
        for ev in tone or ():                    # a tone at the time of a text applies to it
            from .tone import clean_tone
            st.tone = clean_tone(ev.payload)
        for ev in text or ():
            p = ev.payload if isinstance(ev.payload, dict) else {"text": str(ev.payload)}
            emo = p.get("emotion", st.tone.get("emotion", self.params.emotion))
            words = p.get("text", "")
            emo = None if emo in (None, "auto") else emo
            persona = p.get("persona", self.params.persona)
            knobs = {"rate": float(p.get("rate", self.params.rate))}
            if any(k in st.tone for k in ("f0_level_hz", "f0_range_st", "rate_sps", "pause_s")):
                from .tone import fit_knobs
                knobs = fit_knobs(words, st.tone, emotion=emo, persona=persona, rate=knobs["rate"],
                                  master_rate=self.master_rate, period=self.timebase.period(chain.CONTROL))
            plans = iter_plans(words, emotion=emo, persona=persona, **knobs)
            st.pending.append([plans, len(words), len(words), ev.t])
        period = self.timebase.period(chain.CONTROL)
        horizon = self.t1 + self.index(self.LOOKAHEAD_S)
        out = []
        while st.pending and st.busy_until <= horizon:
            item = st.pending[0]
            plan = next(item[0], None)
            if plan is None:
                st.pending.pop(0)
                continue
            item[2] = max(0, item[2] - len(plan.text) - 1)
            t0 = max(item[3], self.t0, st.busy_until)
            t0 = -(-t0 // period) * period
            evs = score_events(plan, t0=t0, master_rate=self.master_rate, period=period)
            if st.tone.get("phase_offsets"):
                from .tone import phase_forces
                evs[1:1] = phase_forces(st.tone, t0, self.master_rate)     # after the utterance event
            if plan.warnings:                   # only on a text's first chunk
                for e in evs:
                    if e.kind == "utterance":
                        e.payload["warnings"] = list(plan.warnings)
                        break
                st.warnings.extend(w for w in plan.warnings if w not in st.warnings)
            if st.tone.get("articulation", 1.0) != 1.0:
                from .tone import articulate
                evs = articulate(evs, st.tone["articulation"])
            out.extend(evs)
            st.busy_until = t0 + self.index(plan.duration)
        if self.params.pause_ms <= 0:
            return out                                    # nothing will pause it: the score goes out ahead
        st.outbox.extend(out)
        st.outbox.sort(key=lambda e: e.t)                 # stable: same-time events keep their order
        for ev in reactions or ():
            ms = self._pause_asked(ev)
            if ms > 0:
                self._micro_pause(max(ev.t, self.t0), ms, period)
        return self._release()

    def _pause_asked(self, ev) -> float:
        """Milliseconds of micro-pause a reactions event asks for (0: none)."""
        if ev.kind == chain.SURPRISE:
            return self.params.pause_ms
        if ev.kind == chain.REACTION and isinstance(ev.payload, dict) and ev.payload.get("what") == "pause":
            ms = ev.payload.get("ms", self.params.pause_ms)
            return float(ms) if isinstance(ms, (int, float)) and 0 < ms <= 500 else self.params.pause_ms
        return 0.0

    def _micro_pause(self, t: int, ms: float, period: int) -> None:
        """Silence the sources from the first tick at or after ``t`` for ``ms`` and shift the rest of the
        score by as much — only while the released score has a source sounding."""
        from psigraph.kernels.prosody import AUDIBLE, SOURCES
        st = self.state
        shift = int(round(ms / 1000.0 * self.master_rate / period)) * period
        ts = -(-t // period) * period
        sounding = dict(st.sources)                       # the sources as the score has set them by ts
        for e in st.outbox:
            if e.t >= ts:
                break
            if e.kind == chain.TARGET:
                sounding.update((c, v) for c, v in e.payload["values"].items() if c in SOURCES)
        if shift <= 0 or max(sounding.values(), default=0.0) <= AUDIBLE or ts >= st.busy_until:
            return
        silent = {c: 0.0 for c in SOURCES}
        moved = [e._replace(t=e.t + shift) if e.t >= ts else e for e in st.outbox]
        st.outbox = sorted(moved + [Event(ts, chain.TARGET, {"values": silent, "tau_ms": 2.0, "mode": "smooth"}),
                                    Event(ts + shift, chain.TARGET, {"values": sounding, "tau_ms": 4.0,
                                                                     "mode": "smooth"})],
                           key=lambda e: e.t)
        st.busy_until += shift
        st.pauses.append(ts)

    def _release(self) -> list:
        """The held score events due before the end of this span (the source amplitudes they set are noted)."""
        from psigraph.kernels.prosody import SOURCES
        st = self.state
        n = 0
        while n < len(st.outbox) and st.outbox[n].t < self.t1:
            e = st.outbox[n]
            if e.kind == chain.TARGET:
                for c in SOURCES:
                    if c in e.payload["values"]:
                        st.sources[c] = e.payload["values"][c]
            n += 1
        out, st.outbox = st.outbox[:n], st.outbox[n:]
        return out


# ----------------------------------------------------------------------------- voice
class VoiceParams(Params):
    persona: str = param("default", doc="persona whose voice quality (breathiness, jitter, shimmer, vibrato) is used")
    gain: float = param(1.0, ge=0.0, le=10.0, doc="output gain (linear)")
    tilt: float = param(1.0, ge=0.3, le=2.5, doc="glottal source slope, in units of -6 dB/octave")


class Voice(Node[VoiceParams]):
    """Oscillator voice: glottal phase oscillator + formant-shaped harmonic bank + shaped noise."""

    type_id = "voice"
    category = "speech"
    ROLE = chain.VOICE
    READS = {"state": frozenset(VCH)}       # the only channels it reads (Session skip_unread)
    PIPELINE = True                         # process() is the compiled renderer, without the GIL (Session pipeline)
    state = In(Signal, rate="control", doc="ψ-state with labelled tract channels (F1, AV, f0, ...)")
    audio = Out(Signal, rate="master", channels=1, doc="speech, one sample per master tick")

    @classmethod
    def check(cls, params, inputs) -> list:
        issues = _persona_issues(params.persona)
        spec = inputs.get("state")
        if spec is not None and not {"f0", "AV", "F1"} <= set(spec.labels):
            issues.append(Issue("inputs.state", "the voice needs the tract channels (f0, AV, F1, ...) of a "
                                "psi_core state or a speech score; the connected signal has "
                                + (f"labels {', '.join(spec.labels[:4])}..." if spec.labels else "no channel labels"),
                                code="input.missing_channel"))
        return issues

    @classmethod
    def example_input_specs(cls, params, timebase):
        period = timebase.period("control")
        return {"state": SignalSpec(period, len(CHANNELS), "float64", CHANNELS,
                                    float(timebase.master_rate / period))}

    def _quality(self) -> VoiceQuality:
        from .frontend.persona import load_persona
        base = VoiceQuality.from_persona(load_persona(self.params.persona), tilt=self.params.tilt)
        return VoiceQuality(**{**base.__dict__, "gain": base.gain * self.params.gain})

    def reset(self):
        spec = self.in_specs["state"]
        self.synth = VoiceSynth(spec.labels, self._quality(), self.master_rate, spec.period, self.seed)
        self.state = self.synth.state

    def warmup(self):
        spec = self.in_specs["state"]
        VoiceSynth(spec.labels, self._quality(), self.master_rate, spec.period, self.seed).render(
            0, np.zeros((2, spec.channels)), spec.period + 1)

    def process(self, state):
        n = self.t1 - self.t0
        out = np.empty((n, 1))
        if n:
            self.synth.state = self.state
            self.synth.render(self.t0, state, n, out[:, 0])
        return out


@functools.lru_cache(maxsize=8)
def _text_issues(text: str) -> tuple:
    """TextSource.check of one text (a graph is checked more than once before it runs: normalise once)."""
    if not text.strip():
        return ()
    from .frontend.normalize import normalize
    from .frontend.plan import _nothing_to_say
    norm = normalize(text)
    if not norm.words:
        return (Issue("params.text", _nothing_to_say(text, norm), code="text.unspeakable"),)
    return tuple(Issue("params.text", w, severity="warning", code="text.language") for w in norm.warnings)


def _persona_issues(persona: str) -> list:
    from .frontend.persona import load_persona
    try:
        load_persona(persona)
    except PsigraphError as e:
        return [Issue("params.persona", e.message + (f"; {e.hint}" if e.hint else ""), code="param.persona")]
    return []


def _emotion_issues(emotion: str) -> list:
    if emotion in (None, "auto"):
        return []
    from .frontend.emotion import parse_emotion
    try:
        parse_emotion(emotion)
    except PsigraphError as e:
        got = f" (got {e.got})" if e.got else ""
        return [Issue("params.emotion", f"{e.message}{got}" + (f"; {e.hint}" if e.hint else ""), code="param.choice")]
    return []
