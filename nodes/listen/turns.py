"""Turn ends of a heard speaker, learnt online: where a final fall ends the turn, and how low it reaches.

Per control tick the model reads whether there is speech, whether the tick is voiced, the pitch
relative to the speaker's running mean in their own spreads (``pitch_rel``) and how far the phrase
has run (``phrase_progress``, 0 between phrases). Two cues, both learnt per speaker from what
followed (speech again within ``yield`` ticks: the speaker went on; silence: the turn ended):

* **place** — a *final fall* is the median pitch of the last three voiced ticks reaching
  ``final_drop`` spreads below the mean once the phrase has run ``min_progress`` of the speaker's
  phrase (one per phrase, or again after a reset to the mean). Its outcome is kept per place in the
  turn (1st, 2nd, 3rd, later fall; older outcomes weigh ``DECAY`` per new one), and a fall predicts
  the end where falls ended the turn at least as often as not. Voices whose sentence ends all sound
  alike (eSpeak NG) get only this.
* **depth** — paragraph intonation (Lehiste 1975; Swerts & Geluykens 1994): inside a turn a
  sentence ends on a higher low than the fall that ends the turn, which reaches the speaker's floor.
  Every phrase that fell at least ``GATE`` × ``final_drop`` spreads keeps its lowest median pitch
  (its *low*) with its outcome; the running means and spreads of the lows of phrases that ended
  turns (the floor) and of phrases after which the speaker went on are kept (weights ``DECAY``).
  Once both have at least ``MIN_WEIGHT`` of outcomes and their means are at least ``SEPARATION``
  pooled spreads (and ``MIN_GAP`` spreads of pitch) apart, the cue decides alone: the end is
  predicted when the pitch reaches the midpoint between the two means, whatever the place. Where
  the lows do not separate the place cue goes on deciding, so a voice without the cue loses nothing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["TurnModel", "TurnState", "DECAY", "GATE", "MIN_WEIGHT", "SEPARATION", "MIN_GAP", "MARGIN"]

DECAY = 0.9         # weight of older outcomes per new one (about the last ten)
GATE = 0.5          # a phrase whose low is under GATE × final_drop spreads is a fall of some kind
MIN_WEIGHT = 2.5    # outcomes (decayed) of each kind before the depth cue may decide
SEPARATION = 2.0    # the two kinds' mean lows, in pooled spreads of the lows, before it decides
MIN_GAP = 0.4       # ... and in spreads of pitch
MARGIN = 3.0        # the cue fires this many spreads of the went-on lows below their mean (or at the midpoint)
PLACES = 4          # 1st, 2nd, 3rd, later fall of a turn


@dataclass
class _Lows:
    """Decayed weight, mean and mean square of the lows of one outcome."""

    w: float = 0.0
    m1: float = 0.0
    m2: float = 0.0

    def add(self, x: float) -> None:
        self.w, self.m1, self.m2 = DECAY * self.w + 1.0, DECAY * self.m1 + x, DECAY * self.m2 + x * x

    @property
    def mean(self) -> float:
        return self.m1 / self.w

    @property
    def var(self) -> float:
        return max(self.m2 / self.w - self.mean ** 2, 0.0)


@dataclass
class TurnState:
    fired: bool = False             # a final fall was heard in this phrase (place cue)
    predicted: bool = False         # a turn end was predicted in this phrase
    rel: list = field(default_factory=list)    # pitch_rel of the last three voiced ticks
    low: float = math.inf           # lowest median pitch of the phrase so far (after min_progress)
    falls: int = 0                  # final falls heard in the current turn
    pending: int = 0                # place (1, 2, ...) of a fall whose outcome is not yet known
    pending_low: float = math.nan   # low of the last phrase, outcome not yet known (nan: none)
    ended: bool = False             # the phrase of the pending fall / low has ended (a pause began)
    silent: int = 0                 # ticks without speech
    ends: list = field(default_factory=lambda: [[0.0, 0.0] for _ in range(PLACES)])  # per place: [ended, went on]
    lows: list = field(default_factory=lambda: [_Lows(), _Lows()])                   # [ended, went on]


class TurnModel:
    """Online turn-end prediction for one speaker (see the module docstring)."""

    def __init__(self, final_drop: float, min_progress: float, yield_ticks: int, learn: bool = True):
        self.final_drop, self.min_progress, self.yield_ticks, self.learn = final_drop, min_progress, yield_ticks, learn
        self.state = TurnState()

    def threshold(self) -> float | None:
        """The pitch (spreads from the mean) at which the depth cue predicts a turn end, or None while
        the lows of turn ends and of sentence ends inside turns do not separate."""
        end, on = self.state.lows
        if not self.learn or min(end.w, on.w) < MIN_WEIGHT:
            return None
        gap = on.mean - end.mean
        spread = math.sqrt(0.5 * (end.var + on.var)) + 1e-6
        if gap < MIN_GAP or gap < SEPARATION * spread:
            return None
        return max(0.5 * (end.mean + on.mean), on.mean - MARGIN * math.sqrt(on.var))

    def step(self, speech: bool, voiced: bool, rel: float, progress: float) -> tuple[float, bool]:
        """One tick: (turn-end score in [0, 1], whether a turn end is predicted at this tick)."""
        st = self.state
        self._follow(speech)
        if progress == 0.0:                              # between phrases: ready for the next one
            if st.low < -GATE * self.final_drop:
                st.pending_low = st.low
            st.fired, st.predicted, st.rel, st.low = False, False, [], math.inf
            st.ended = st.pending > 0 or st.pending_low == st.pending_low
            return 0.0, False
        if voiced:
            st.rel = (st.rel + [float(rel)])[-3:]
            if st.fired and len(st.rel) == 3 and sorted(st.rel)[1] >= 0.0:
                st.fired = st.predicted = False          # the pitch was reset after the fall: the speaker goes on
                if st.pending:
                    self._count(st.pending, ended_turn=False)
        if len(st.rel) < 3 or progress < self.min_progress:
            return 0.0, False
        med = sorted(st.rel)[1]
        st.low = min(st.low, med)
        score = min(max(-med / self.final_drop, 0.0), 1.0)
        new_fall = score >= 1.0 and not st.fired
        if new_fall:
            st.fired = True
            st.falls += 1
            st.pending, st.ended = st.falls, False
        thr = self.threshold()
        if thr is not None:                              # depth cue: once per phrase (or after a reset)
            predict = not st.predicted and med <= thr
        else:                                            # place cue: at the fall
            predict = new_fall and self._ends_turn(st.falls)
        st.predicted = st.predicted or predict
        return score, predict

    def _follow(self, speech: bool) -> None:
        """Learn what followed a phrase: the speaker went on after a pause shorter than ``yield_ticks``
        or fell silent (the turn ended; the next speech starts a turn)."""
        st = self.state
        if speech:
            if st.ended:
                if st.pending:
                    self._count(st.pending, ended_turn=False)
                self._count_low(ended_turn=False)
                st.ended = False
            st.silent = 0
            return
        st.silent += 1
        if st.silent == self.yield_ticks:
            if st.pending:
                self._count(st.pending, ended_turn=True)
            self._count_low(ended_turn=True)
            st.falls, st.ended = 0, False

    def _count(self, place: int, ended_turn: bool) -> None:
        """One outcome of a final fall at ``place``."""
        st = self.state
        counts = st.ends[min(place, PLACES) - 1]
        counts[0], counts[1] = DECAY * counts[0] + ended_turn, DECAY * counts[1] + (not ended_turn)
        st.pending = 0

    def _count_low(self, ended_turn: bool) -> None:
        """One outcome of the last phrase's low (if it fell at all)."""
        st = self.state
        if st.pending_low == st.pending_low:
            st.lows[0 if ended_turn else 1].add(st.pending_low)
        st.pending_low = math.nan

    def _ends_turn(self, place: int) -> bool:
        """Place cue: falls at this place ended this speaker's turns at least as often as not (one
        ending assumed before any was heard); always, without learning."""
        if not self.learn:
            return True
        yes, no = self.state.ends[min(place, PLACES) - 1]
        return yes + 1.0 >= no
