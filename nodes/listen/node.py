"""Listening node types (entry-point module): audio_source, listener, entrainment."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from psigraph import chain
from psigraph.errors import Issue, PsigraphError
from psigraph.node import Node
from psigraph.params import Params, param
from psigraph.ports import Event, Events, In, Out, Signal

from . import audio_io
from .features import ANALYSIS_HZ, FEATURE_LABELS, FeatureExtractor
from .rhythm import RhythmTracker
from .speaker import SpeakerModel
from .turns import TurnModel, TurnState

__all__ = ["AudioSource", "AudioSourceParams", "Listener", "ListenerParams", "LISTEN_LABELS"]


# ---------------------------------------------------------------- audio_source
class AudioSourceParams(Params):
    path: str = param("", doc="WAV/FLAC/OGG file to play into the graph (any rate: resampled to the audio "
                              "rate); '' = the live input device")
    device: str = param("", doc="input device name or index for live runs ('' = the default input)")
    gain: float = param(1.0, ge=0.0, le=100.0, doc="linear gain applied to the input")


@dataclass
class AudioSourceState:
    pos: int = 0                  # next audio tick to emit


class AudioSource(Node[AudioSourceParams]):
    """Audio from a sound file (resampled) or a live input device (through a ring buffer).

    A file source is finite: it is done once the file's last sample has been emitted, and emits
    silence after that. A device source (``path: ''``) reads the ring a live runner fills from the
    sound card (:meth:`attach`, psigraph.runtime.realtime); missing frames become silence and are
    counted as the ring's under-runs; without a ring (an offline run) it emits silence and never ends.
    """

    type_id = "audio_source"
    category = "source"
    ROLE = chain.AUDIO_SOURCE
    FINITE = True
    audio = Out(Signal, rate=chain.AUDIO, channels=1, labels=["audio"], doc="mono samples in [-1, 1]")

    def __init__(self, params=None, **kw):
        super().__init__(params, **kw)
        self.ring = None
        self.samples = None

    @classmethod
    def check(cls, params, inputs) -> list:
        if params.path:
            problem = audio_io.file_issue(params.path)
            if problem:
                return [Issue("params.path", problem, code="path.unreadable")]
        return []

    @property
    def live(self) -> bool:
        """True when the source is the input device (no file)."""
        return not self.params.path

    def attach(self, ring) -> None:
        """Read from ``ring`` (a live runner's ring buffer with ``read_into(out)``, which counts
        under-runs; None = silence)."""
        self.ring = ring

    def reset(self):
        self.state = AudioSourceState()
        if not self.live and self.samples is None:
            try:
                self.samples = audio_io.read_mono(self.params.path, self.out_specs["audio"].rate_hz) * self.params.gain
            except Exception as e:  # noqa: BLE001 - the file changed after validation
                raise PsigraphError(f"cannot read {self.params.path!r}: {e}", where=f"{self.node_id}.path") from None

    def done(self) -> bool:
        return not self.live and self.state.pos >= len(self.samples)

    def end(self) -> int | None:
        if self.live:
            return None
        return len(self.samples) * self.out_specs["audio"].period

    def process(self):
        k0, n = self.ticks("audio")
        out = np.zeros((n, 1))
        if not n:
            return out
        if self.live:
            if self.ring is not None:
                buf = np.zeros((n, 1), dtype=np.float32)
                self.ring.read_into(buf)
                out[:, 0] = buf[:, 0] * self.params.gain
        else:
            a, b = min(k0, len(self.samples)), min(k0 + n, len(self.samples))
            out[:b - a, 0] = self.samples[a:b]
        self.state.pos = k0 + n
        return out


# ---------------------------------------------------------------- listener
LISTEN_LABELS = FEATURE_LABELS + ("voiced", "speech", "pitch_rel", "pitch_z", "pitch_jump", "timbre_z", "direction",
                                  "speedup", "novelty", "syllable_hz", "phrase_progress", "speaker_phase")
_COL = {name: i for i, name in enumerate(LISTEN_LABELS)}


class ListenerParams(Params):
    f0_min: float = param(60.0, ge=40.0, le=200.0, unit="Hz", doc="lowest pitch tracked")
    f0_max: float = param(500.0, ge=200.0, le=1000.0, unit="Hz", doc="highest pitch tracked")
    min_periodicity: float = param(0.7, ge=0.0, le=1.0, doc="YIN periodicity above which a tick is voiced")
    rise_db: float = param(6.0, gt=0.0, le=30.0, unit="dB", doc="envelope rise that marks a syllable nucleus")
    drop_db: float = param(5.0, gt=0.0, le=30.0, unit="dB", doc="envelope dip that ends a nucleus")
    pause_ms: float = param(150.0, ge=20.0, le=2000.0, unit="ms", doc="silence that ends a phrase")
    speaker_memory_s: float = param(4.0, gt=0.1, le=120.0, unit="s", doc="time constant of the speaker model")
    pitch_z0: float = param(8.0, ge=0.0, doc="pitch departures (in the speaker's spreads) counted as novel beyond "
                                             "this (sentence-final falls of a narrow-range voice reach ~6.5)")
    direction0: float = param(0.5, ge=0.0, le=1.0,
                              doc="a voice heard backwards (direction below minus this) counts as novel beyond it")
    direction_gain: float = param(4.0, ge=0.0, le=100.0,
                                  doc="novelty per unit of direction beyond -direction0 (fully backwards, direction "
                                      "-1, counts like a pitch step 2 st beyond jump_st0)")
    speedup0: float = param(2.0, ge=1.0, le=10.0,
                            doc="speed-up (geometric mean of the interval and nucleus ratios, see speaker.py) "
                                "counted as novel beyond this")
    speedup_gain: float = param(2.0, ge=0.0, le=100.0, doc="novelty per unit of speed-up beyond speedup0")
    jump_st0: float = param(5.0, ge=0.0, unit="st",
                            doc="pitch steps against the last 200 ms counted as novel beyond this")
    novelty_gain: float = param(6.0, ge=0.0, le=100.0, doc="amplitude of the pitch role per unit of novelty")
    strength: float = param(100.0, gt=0.0, le=10000.0, unit="1/s", doc="pull of the micro-band forcing")
    phrase_strength: float = param(20.0, gt=0.0, le=10000.0, unit="1/s", doc="pull of a phrase start on the macro role")
    pitch_role: str = param("pitch", doc="psi_core role (a micro-band member) whose amplitude carries pitch novelty "
                                         "('' = none)")
    loud_role: str = param("loud", doc="psi_core role (a micro-band member) whose amplitude follows the envelope "
                                       "('' = none)")
    phrase_role: str = param("phrase", doc="psi_core role (a macro-band member) restarted when a phrase starts "
                                           "('' = none)")

    def validate(self) -> list:
        from psigraph.errors import ParamError
        if self.f0_min * 2 > self.f0_max:
            return [ParamError(f"f0_max must be at least twice f0_min (got {self.f0_min:g}..{self.f0_max:g} Hz)",
                               where="f0_max", code="param.range")]
        return []


@dataclass
class ListenerState:
    tick: int = 0
    last_pitch_amp: float = 0.0
    last_loud_amp: float = -1.0
    phrase_s: float = 2.0           # running mean phrase duration (s): the speaker's macro period
    phrase_start: int = 0           # tick of the last phrase start (speech after a boundary)
    in_phrase: bool = False
    last_beat: int = -1             # master index of the last syllable event sent to the core
    frames: object = None           # ExtractorState of the feature extractor
    rhythm: object = None           # RhythmState
    speaker: object = None          # SpeakerState


class Listener(Node[ListenerParams]):
    """Hears speech: pitch, envelope, 64 ms STFT features, syllable onsets, phrase boundaries, novelty.

    ``features`` (control) holds the frame features (:mod:`.features`) then ``voiced``, ``speech``,
    ``pitch_rel`` (semitones from the speaker's mean, in their spreads), ``pitch_z``, ``pitch_jump``,
    ``timbre_z``, ``direction`` (≈ 1 the speaker's voice forwards, ≈ −1 backwards: the glottal phase,
    :mod:`.speaker`), ``speedup`` (how much faster than the speaker's pace: the last two syllables'
    intervals and the last nucleus's duration), ``novelty`` (how far the voice departs from the
    speaker model), ``syllable_hz`` (the heard syllable rate), ``phrase_progress`` (time into the
    current phrase over the speaker's mean phrase duration; 0 between phrases) and ``speaker_phase`` (2π·progress, wrapped: the speaker's
    phrase cycle). ``score`` entrains a psi_core: a ``syllable`` event per nucleus onset (duration =
    the heard syllable period; while speech goes on without a nucleus where the rhythm expects one,
    the beat is kept with a weak ``syllable`` event), ``force`` on ``pitch_role`` (amplitude =
    novelty × gain) and ``loud_role`` (amplitude = envelope) as they change, and a phase reset of
    ``phrase_role`` when a phrase starts after a boundary. ``events``: ``syllable_onset`` and
    ``phrase_boundary``.
    """

    type_id = "listener"
    category = "listen"
    ROLE = chain.LISTENER
    audio = In(Signal, rate=chain.AUDIO, doc="mono audio (first channel used); the rate must be a multiple of 8 kHz")
    features = Out(Signal, rate=chain.CONTROL, channels=len(LISTEN_LABELS), labels=list(LISTEN_LABELS),
                   doc="frame features, voicing, novelty, rates and the speaker's phrase phase")
    score = Out(Events, doc="syllable / force events for psi_core.score")
    events = Out(Events, doc=f"'{chain.SYLLABLE_ONSET}' and '{chain.PHRASE_BOUNDARY}' events")

    @classmethod
    def check(cls, params, inputs) -> list:
        spec = inputs.get("audio")
        if spec is not None and (spec.rate_hz % ANALYSIS_HZ or spec.rate_hz < ANALYSIS_HZ):
            return [Issue("inputs.audio", f"the listener needs audio at a multiple of {ANALYSIS_HZ} Hz "
                          f"(got {spec.rate_hz:g} Hz); resample it first", code="input.rate")]
        return []

    def reset(self):
        p = self.params
        hz = self.out_specs["features"].rate_hz
        self.hz, self.period = hz, self.out_specs["features"].period
        self.audio_period = self.in_specs["audio"].period
        self.decim_period = self.audio_period * int(self.in_specs["audio"].rate_hz // ANALYSIS_HZ)
        self.micro_every = max(1, int(round(hz / 50.0)))
        self.extractor = FeatureExtractor(self.in_specs["audio"].rate_hz, p.f0_min, p.f0_max)
        self.rhythm = RhythmTracker(hz, rise_db=p.rise_db, drop_db=p.drop_db, pause_s=p.pause_ms * 1e-3,
                                    min_periodicity=0.5)
        self.speaker = SpeakerModel(hz, memory_s=p.speaker_memory_s)
        self.state = ListenerState(frames=self.extractor.state, rhythm=self.rhythm.state, speaker=self.speaker.state)

    def process(self, audio):
        st = self.state
        # the processors work on the state's parts (so a restored state is the one that runs)
        self.extractor.state, self.rhythm.state, self.speaker.state = st.frames, st.rhythm, st.speaker
        k0, n = self.ticks("features")
        out = np.zeros((n, len(LISTEN_LABELS)))
        score, events = [], []
        if len(audio):
            self.extractor.push(audio[:, 0])
        if not n:
            return {"features": out, "score": score, "events": events}
        ticks = np.arange(k0, k0 + n, dtype=np.int64)
        ends = -(-(ticks * self.period) // self.decim_period)
        nf = len(FEATURE_LABELS)
        out[:, :nf] = self.extractor.rows(ends)
        for i in range(n):
            self._tick(int(ticks[i]), out[i], score, events)
        st.tick = k0 + n
        return {"features": out, "score": score, "events": events}

    def _tick(self, k: int, row: np.ndarray, score: list, events: list) -> None:
        st, p = self.state, self.params
        t = k * self.period
        period_s = self.rhythm.ioi_s
        rh = self.rhythm.step(k, row[_COL["nucleus_db"]], row[_COL["periodicity"]])
        speedup = self.speaker.speedup(k, rh.onset, rh.boundary, period_s, st.rhythm.counted > 5, rh.nucleus_s)
        f0 = row[_COL["f0"]]
        voiced = rh.speech and row[_COL["periodicity"]] >= p.min_periodicity and p.f0_min < f0 < p.f0_max
        pz, jump, tz, direction = self.speaker.step(row, voiced, k)
        sp = st.speaker
        novelty = max(pz - p.pitch_z0, jump - p.jump_st0, p.direction_gain * (-direction - p.direction0),
                      p.speedup_gain * (speedup - p.speedup0), 0.0)
        row[_COL["voiced"]], row[_COL["speech"]] = float(voiced), float(rh.speech)
        if voiced and sp.voiced_seen:
            row[_COL["pitch_rel"]] = (12.0 * np.log2(f0 / 100.0) - sp.st_mean) / max(sp.st_dev, 1.0)
        row[_COL["pitch_z"]], row[_COL["pitch_jump"]], row[_COL["timbre_z"]] = pz, jump, tz
        row[_COL["direction"]], row[_COL["speedup"]] = direction, speedup
        row[_COL["novelty"]] = novelty
        row[_COL["syllable_hz"]] = 1.0 / self.rhythm.ioi_s
        if rh.speech and not st.in_phrase:             # a phrase starts: the macro role restarts its cycle
            st.in_phrase, st.phrase_start = True, k
            if p.phrase_role:
                score.append(Event(t, chain.FORCE, {"role": p.phrase_role, "phase": 0.0, "strength": p.phrase_strength,
                                                    "dur": int(0.25 * self.master_rate)}))
        progress = (k - st.phrase_start) / (st.phrase_s * self.hz)
        row[_COL["phrase_progress"]] = progress if st.in_phrase else 0.0
        row[_COL["speaker_phase"]] = (2 * np.pi * progress) % (2 * np.pi)
        beat = int(round(self.rhythm.ioi_s * self.master_rate))
        if rh.onset:
            stress = 1 if rh.strength >= 15.0 else 2 if rh.strength >= 9.0 else 0
            score.append(Event(t, chain.SYLLABLE_EVENT, {"dur": beat, "stress": stress}))
            events.append(Event(t, chain.SYLLABLE_ONSET, {"strength": float(min(rh.strength, 40.0))}))
            st.last_beat = t
        elif rh.speech and st.last_beat >= 0 and t - st.last_beat >= beat:
            # no nucleus where the rhythm expected one (a long syllable, the end of a phrase): the
            # syllable oscillator keeps the heard beat instead of falling back to its own frequency
            score.append(Event(t, chain.SYLLABLE_EVENT, {"dur": beat, "stress": 0}))
            st.last_beat = t
        if rh.boundary:
            st.in_phrase = False
            if rh.phrase_s > 0.3:
                st.phrase_s += 0.3 * (min(rh.phrase_s, 8.0) - st.phrase_s)
            events.append(Event(t, chain.PHRASE_BOUNDARY, {"pause_s": float(rh.pause_s)}))
        amp = min(p.novelty_gain * novelty, 10.0)
        if p.pitch_role and abs(amp - st.last_pitch_amp) > 0.05:
            st.last_pitch_amp = amp
            score.append(Event(t, chain.FORCE, {"role": p.pitch_role, "amp": amp, "strength": p.strength}))
        if p.loud_role and k % self.micro_every == 0:
            loud = float(np.clip((row[_COL["env_db"]] - st.rhythm.level + 40.0) / 40.0, 0.0, 1.0))
            if abs(loud - st.last_loud_amp) > 0.05:
                st.last_loud_amp = loud
                score.append(Event(t, chain.FORCE, {"role": p.loud_role, "amp": loud, "strength": p.strength}))


# ---------------------------------------------------------------- entrainment (and turn ends)
def _medians(rows: np.ndarray) -> np.ndarray:
    """The median of every row (as np.median computes it, faster for many short rows)."""
    k, srt = rows.shape[1] // 2, np.sort(rows, axis=1)
    return srt[:, k] if rows.shape[1] % 2 else srt[:, k - 1:k + 1].mean(axis=1)


ENTRAIN_LABELS = ("syllable_hz", "macro_dphase", "turn_end")


class EntrainmentParams(Params):
    syllable_role: str = param(chain.SYLLABLE, doc="psi_core role whose frequency is reported")
    macro_role: str = param("phrase", doc="psi_core macro role compared with the speaker's phrase phase")
    smooth_ms: float = param(250.0, gt=0.0, le=10000.0, unit="ms",
                             doc="heard speech over which the entrained frequency is the median phase velocity")
    final_drop: float = param(2.5, gt=0.0, le=20.0,
                              doc="pitch below the speaker's mean (in their spreads) that marks a final fall")
    min_progress: float = param(0.4, ge=0.0, le=5.0,
                                doc="no turn-end prediction before this fraction of the speaker's mean phrase")
    yield_ms: float = param(700.0, gt=0.0, le=10000.0, unit="ms",
                            doc="silence after a final fall that ends the turn (shorter: the speaker went on)")
    learn_turns: bool = param(True, doc="learn per speaker where turns end (nodes/listen/turns.py): from how low "
                                        "the phrase's fall reaches when that separates turn ends from sentence "
                                        "ends inside turns, else from the place of the fall in the turn; "
                                        "false: predict at every final fall")


@dataclass
class EntrainmentState:
    last_phase: float = float("nan")
    hz: float = 0.0                 # entrained syllable frequency (median phase velocity while hearing speech)
    velocities: list = None         # phase velocities (Hz) of the last smooth_ms of heard speech
    heard: bool = False             # speech has been heard
    turns: TurnState = None         # the turn model's state (nodes/listen/turns.py)


class Entrainment(Node[EntrainmentParams]):
    """Reads the entrained ψ-state against what was heard: syllable frequency, macro phase lag, turn ends.

    ``entrainment`` (control): ``syllable_hz`` — the frequency of ``syllable_role``: its median phase
    velocity over the last ``smooth_ms`` of heard speech (held between turns); ``macro_dphase`` —
    the phase of ``macro_role`` minus the speaker's phrase phase
    (listener ``speaker_phase``), wrapped to (−π, π]; ``turn_end`` — a score in [0, 1] that the
    phrase is ending: how far the pitch (median of the last three voiced ticks) has fallen toward
    ``final_drop`` spreads below the speaker's mean, once the phrase has run ``min_progress`` of the
    speaker's phrase cycle (the macro phase). A score of 1 is a *final fall*; ``events``:
    ``turn_end_predicted`` {lead_s: one syllable period of the entrained oscillator} where
    :class:`~.turns.TurnModel` predicts the end of the turn: with ``learn_turns``, from how low the
    fall reaches against this speaker's learnt floor (when their turn ends and sentence ends inside
    turns differ in depth, as with paragraph intonation), else from the place of the fall in the
    turn; without, at every final fall.
    """

    type_id = "entrainment"
    category = "listen"
    ROLE = chain.EVENTS
    state = In(Signal, rate=chain.CONTROL, doc="psi_core.state (labels phase:<role>)")
    features = In(Signal, rate=chain.CONTROL, doc="listener.features")
    entrainment = Out(Signal, rate=chain.CONTROL, channels=len(ENTRAIN_LABELS), labels=list(ENTRAIN_LABELS),
                      doc="syllable_hz, macro_dphase (rad), turn_end score")
    events = Out(Events, doc=f"'{chain.TURN_END_PREDICTED}' events")

    @classmethod
    def example_input_specs(cls, params, timebase):
        from psigraph.ports import SignalSpec
        p = timebase.period(chain.CONTROL)
        hz = float(timebase.master_rate / p)
        labels = tuple(chain.phase_label(r) for r in (params.syllable_role, params.macro_role))
        return {"state": SignalSpec(p, 2, labels=labels, rate_hz=hz),
                "features": SignalSpec(p, len(LISTEN_LABELS), labels=LISTEN_LABELS, rate_hz=hz)}

    @classmethod
    def check(cls, params, inputs) -> list:
        issues = []
        spec = inputs.get("state")
        if spec is not None:
            for name in ("syllable_role", "macro_role"):
                label = chain.phase_label(getattr(params, name))
                if label not in spec.labels:
                    issues.append(Issue(f"params.{name}", f"the state has no channel {label!r}; connect the "
                                        "psi_core of graphs/listen.yaml or name one of its roles",
                                        code="input.missing_channel"))
        spec = inputs.get("features")
        if spec is not None and tuple(spec.labels) != LISTEN_LABELS:
            issues.append(Issue("inputs.features", "connect listener.features here", code="input.missing_channel"))
        return issues

    def reset(self):
        spec = self.in_specs["state"]
        self.hz = spec.rate_hz
        self.i_syl = spec.index(chain.phase_label(self.params.syllable_role))
        self.i_mac = spec.index(chain.phase_label(self.params.macro_role))
        self.window = max(1, int(round(self.params.smooth_ms * 1e-3 * self.hz)))
        self.yield_ticks = max(1, int(round(self.params.yield_ms * 1e-3 * self.hz)))
        p = self.params
        self.turns = TurnModel(p.final_drop, p.min_progress, self.yield_ticks, p.learn_turns)
        self.state = EntrainmentState(velocities=[], turns=self.turns.state)

    def process(self, state, features):
        st = self.state
        n = len(state)
        out = np.zeros((n, len(ENTRAIN_LABELS)))
        events = []
        if not n:
            return {"entrainment": out, "events": events}
        k0, _ = self.ticks("entrainment")
        period = self.out_specs["entrainment"].period
        syl = state[:, self.i_syl]
        prev = np.concatenate([[syl[0] if st.last_phase != st.last_phase else st.last_phase], syl[:-1]])
        inst = ((syl - prev + np.pi) % (2 * np.pi) - np.pi) * self.hz / (2 * np.pi)
        st.last_phase = float(syl[-1])
        speech = features[:, _COL["speech"]] > 0
        out[:, 0] = self._frequency(inst, speech)
        out[:, 1] = (state[:, self.i_mac] - features[:, _COL["speaker_phase"]] + np.pi) % (2 * np.pi) - np.pi
        voiced, rel = features[:, _COL["voiced"]], features[:, _COL["pitch_rel"]]
        progress = features[:, _COL["phrase_progress"]]
        step = self.turns.step
        for i in range(n):
            out[i, 2], predicted = step(bool(speech[i]), voiced[i] > 0, float(rel[i]), float(progress[i]))
            if predicted:
                events.append(Event((k0 + i) * period, chain.TURN_END_PREDICTED,
                                    {"lead_s": float(1.0 / max(st.hz, 0.5))}))
        return {"entrainment": out, "events": events}

    def _frequency(self, inst: np.ndarray, speech: np.ndarray) -> np.ndarray:
        """The entrained frequency per tick: the median phase velocity over the last ``smooth_ms`` of
        heard speech, held between speech. A median, because the syllable events' phase corrections
        (a partial reset at an onset, a few ticks) are jumps of the phase, not its frequency; over
        heard speech only, because between turns the oscillator runs free and is not entrained."""
        st = self.state
        heard_before = st.heard | (np.cumsum(speech) - speech > 0)     # speech heard before each tick
        take = speech | ~heard_before
        st.heard = st.heard or bool(speech.any())
        hist = np.asarray(st.velocities[-(self.window - 1):] if self.window > 1 else [], dtype=float)
        vals = np.concatenate([np.full(self.window - 1 - len(hist), np.nan), hist, inst[take]])
        meds = np.zeros(0)
        if take.any():
            windows = np.lib.stride_tricks.sliding_window_view(vals, self.window)
            # with a full history there is no gap to skip: sorting is much faster than nanmedian
            meds = _medians(windows) if len(hist) == self.window - 1 else np.nanmedian(windows, axis=1)
        st.velocities = [float(v) for v in vals[-(self.window - 1):] if not np.isnan(v)] if self.window > 1 else []
        taken = np.cumsum(take)                          # values taken up to each tick
        out = meds[np.maximum(taken - 1, 0)] if len(meds) else np.zeros(len(inst))
        out = np.where(taken > 0, out, st.hz)            # held until the first value of this block
        st.hz = float(out[-1]) if len(out) else st.hz
        return out
