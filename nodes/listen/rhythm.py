"""Syllable nuclei and phrase boundaries of heard speech, causally, one control tick at a time.

:class:`RhythmTracker` reads the nucleus envelope (the 300–2500 Hz level, :mod:`.features`) and
the periodicity of each tick:

* **speech** — the envelope within ``speech_db`` of the speaker's running peak level (which decays
  by ``level_decay_db`` per second, so a quieter speaker is followed);
* **syllable-nucleus onset** — while armed, the envelope rises ``rise_db`` above its minimum since
  the last nucleus on a periodic (voiced) tick and is within ``vowel_db`` of the speaker's peak (a
  vowel, not the voice bar or release of a voiced consonant): a nucleus begins. The tracker disarms,
  follows the nucleus up to its maximum and re-arms once the envelope falls ``drop_db`` below it
  (the dip between syllables) or speech stops; the time from the onset to the re-arm is the
  nucleus duration (``Tick.nucleus_s``, on the re-arming tick). Onsets closer than ``min_ioi_s``
  are merged;
* **syllable period** — the exponentially weighted mean of the inter-onset intervals over the last
  ``rate_memory`` syllables, counting speaking time only (silences of ``rate_pause_s`` or more are
  left out, as a speaking rate leaves out pauses; stop closures and fricatives, silent in the
  nucleus band, are shorter and stay in; intervals longer than ``max_ioi_s`` are not learnt). While
  the current syllable outlasts the estimate, the estimate already includes it (as if the next
  onset came now): time spent in a long (phrase-final) syllable slows the heard rate while it
  lasts, so the rate averaged over speaking time is syllables per second of speaking time;
* **phrase boundary** — speech followed by ``pause_s`` of no speech.

:meth:`RhythmTracker.step` returns what happened on the tick; state is a picklable dataclass.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RhythmState:
    level: float = -100.0          # running peak of the nucleus envelope (dB)
    armed: bool = True
    vmin: float = 1e9              # minimum since the last nucleus (armed)
    vmax: float = -1e9             # maximum of the current nucleus (disarmed)
    last_onset: int = -(10 ** 9)   # tick of the last onset
    ioi: float = 0.25              # running mean IOI (s)
    onsets: int = 0
    counted: int = 0               # IOIs learnt
    open: int = 0                  # ticks since the last onset, pauses that ended left out
    silent: int = 0                # ticks without speech
    in_phrase: bool = False
    phrase_start: int = -1
    spoke_at: int = -1             # last tick with speech


@dataclass(frozen=True)
class Tick:
    """What the tracker saw on one tick."""

    speech: bool
    onset: bool = False
    strength: float = 0.0          # rise of the onset above the preceding minimum (dB)
    boundary: bool = False
    pause_s: float = 0.0
    phrase_s: float = 0.0          # duration of the phrase that just ended (at a boundary)
    nucleus_s: float = 0.0         # duration of the nucleus that ended on this tick (onset to re-arm)


class RhythmTracker:
    """Causal syllable-onset and phrase-boundary detector (see the module docstring)."""

    def __init__(self, tick_hz: float, rise_db: float = 5.0, drop_db: float = 4.0, speech_db: float = 30.0,
                 min_ioi_s: float = 0.08, max_ioi_s: float = 1.0, pause_s: float = 0.15,
                 level_decay_db: float = 3.0, rate_memory: int = 10, min_periodicity: float = 0.5,
                 vowel_db: float = 20.0, rate_pause_s: float = 0.25):
        self.hz = tick_hz
        self.rise, self.drop, self.speech_db = rise_db, drop_db, speech_db
        self.min_ioi, self.max_ioi = int(round(min_ioi_s * tick_hz)), max_ioi_s
        self.pause = int(round(pause_s * tick_hz))
        self.decay = level_decay_db / tick_hz
        self.rate_alpha = 1.0 / rate_memory
        self.min_per = min_periodicity
        self.vowel_db = vowel_db
        self.rate_pause = int(round(rate_pause_s * tick_hz))
        self.state = RhythmState()

    @property
    def ioi_s(self) -> float:
        """Current estimate of the syllable period (s): the running mean of the inter-onset intervals,
        lengthened — once the syllable still going on has outlasted it — by what that interval would
        add if the next onset came now (a long final syllable slows the heard rate while it lasts)."""
        st = self.state
        if st.counted == 0:
            return st.ioi
        current = min((st.open - (st.silent if st.silent >= self.rate_pause else 0)) / self.hz, self.max_ioi)
        return st.ioi + self._weight() * max(current - st.ioi, 0.0)

    def _weight(self) -> float:
        """Weight of the next interval in the running mean (learns fast from the first syllables heard)."""
        return max(self.rate_alpha, 1.0 / (self.state.counted + 1))

    def step(self, k: int, nucleus_db: float, periodicity: float) -> Tick:
        st = self.state
        st.level = max(nucleus_db, st.level - self.decay, -100.0)
        speech = nucleus_db > max(st.level - self.speech_db, -70.0)
        if speech and st.silent >= self.rate_pause:       # a pause just ended: it was not speaking time
            st.open -= st.silent
        st.open += 1
        onset, strength, nucleus_s = False, 0.0, 0.0
        if st.armed:
            st.vmin = min(st.vmin, nucleus_db)
            if (speech and periodicity >= self.min_per and nucleus_db - st.vmin >= self.rise
                    and nucleus_db >= st.level - self.vowel_db and k - st.last_onset >= self.min_ioi):
                onset, strength = True, nucleus_db - st.vmin
                ioi = st.open / self.hz                    # speaking time since the last onset
                if st.onsets and ioi <= self.max_ioi:
                    st.ioi += self._weight() * (ioi - st.ioi)
                    st.counted += 1
                st.open = 0
                st.last_onset, st.onsets = k, st.onsets + 1
                st.armed, st.vmax = False, nucleus_db
        else:
            st.vmax = max(st.vmax, nucleus_db)
            if nucleus_db < st.vmax - self.drop or not speech:
                st.armed, st.vmin = True, nucleus_db
                nucleus_s = (k - st.last_onset) / self.hz
        boundary, pause_s, phrase_s = False, 0.0, 0.0
        if speech:
            if not st.in_phrase:
                st.in_phrase, st.phrase_start = True, k
            st.silent, st.spoke_at = 0, k
        else:
            st.silent += 1
            if st.in_phrase and st.silent >= self.pause:
                st.in_phrase = False
                boundary, pause_s = True, st.silent / self.hz
                phrase_s = (st.spoke_at + 1 - st.phrase_start) / self.hz
        return Tick(speech, onset, strength, boundary, pause_s, phrase_s, nucleus_s)
