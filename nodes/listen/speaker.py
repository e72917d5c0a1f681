"""The running model of the heard speaker: what their pitch and voice usually are, and how far the
current frame departs from it (novelty, in units of the speaker's own spread).

:class:`SpeakerModel` steps once per control tick on a feature row (:mod:`.features`). Over voiced
ticks it keeps exponentially weighted statistics with time constant ``memory_s`` of

* pitch in semitones (mean and mean absolute deviation), and
* spectral shape: the :data:`~.features.N_BANDS` log band energies minus their mean (level removed),
  mean and variance per band.

Per tick it reports ``pitch_jump`` (see :meth:`SpeakerModel.jump`), ``pitch_z`` (|st − mean| /
spread, over the median of the last three voiced ticks of the current voiced stretch, so a single
octave error does not count and the end of the previous phrase does not leak into the next)
and ``timbre_z`` (root-mean-square z-score of the spectral shape, averaged over the last
``timbre_ms`` of voiced ticks), and ``direction``: which way time runs in the voice. The glottal
biphases (:mod:`.features`) of a voice stay near their running circular mean μ, and time reversal
negates them, so the per-tick evidence e = Σ sin(β)·sin(μ)·R (R: how concentrated the speaker's
biphase is) is positive for the speaker's own pulses and negative for mirrored ones. ``direction``
is the mean e of the last ``direction_ticks`` voiced ticks of the current stretch over the
speaker's mean e: ≈ 1 for their voice played forwards, ≈ −1 for it played backwards, ≈ 0 when the
phase is scrambled; 0 until the speaker's pulses have shown a direction (mean e ≥
:data:`DIRECTION_MIN`). Frames that look novel are learnt at a quarter of the rate, so an anomaly
does not immediately become the norm.

``speedup`` (:meth:`SpeakerModel.speedup`) is the geometric mean of two independent estimates of how
much faster than usual the speaker is going: the *interval ratio* — their running syllable period
over the mean of the last ``speedup_syllables`` inter-onset intervals of the current phrase — and
the *nucleus ratio* — their running mean vowel-nucleus duration (onset to the dip, see
:mod:`.rhythm`) over the duration of the nucleus that just ended, held ``nucleus_hold_ms``. Each is
1 while unknown. A faster tempo shortens both (time-compressed speech, WSOLA as in natural fast
speech, shortens the steady vowels most), and the nucleus shows it one syllable earlier: a
short nucleus ends inside the first syllable of the new tempo, two intervals need two. Either
ratio alone is ≥ 1.8 for 6–12 % of clean syllables; the mean of the two ≥ 2 about once in 25 s of
clean speech (the benchmark's voices).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .features import BIPHASE, FEATURE_LABELS, N_BANDS

F0, PER, ENV, NUC = (FEATURE_LABELS.index(k) for k in ("f0", "periodicity", "env_db", "nucleus_db"))
BAND0 = FEATURE_LABELS.index("band0")
DIRECTION_MIN = 0.15            # mean evidence below which a voice's pulses show no direction of time


@dataclass
class SpeakerState:
    """Running statistics (picklable)."""

    voiced_seen: int = 0
    st_mean: float = 0.0
    st_dev: float = 2.0
    recent_st: list = field(default_factory=list)     # last three voiced semitone values (current stretch)
    last_voiced: int = -(10 ** 9)                     # tick of the last voiced tick
    shape_mean: np.ndarray = field(default_factory=lambda: np.zeros(N_BANDS))
    shape_var: np.ndarray = field(default_factory=lambda: np.ones(N_BANDS) * 25.0)
    recent_shape: list = field(default_factory=list)  # last timbre z² values of voiced ticks
    window: list = field(default_factory=list)        # (tick, semitones) of the voiced ticks of the last context_ms
    phrase_voiced: list = field(default_factory=list) # (tick, semitones) of the latest voiced ticks of the phrase
    phase_mean: list = field(default_factory=lambda: [0j, 0j])  # running mean of e^{iβ} per biphase
    direction_mean: float = 0.0                       # mean direction evidence of the speaker's voice
    recent_dir: list = field(default_factory=list)    # evidence of the last direction_ticks (current stretch)
    prev_onset: int = -1                              # tick of the previous syllable onset in this phrase
    iois: list = field(default_factory=list)          # the last inter-onset intervals of this phrase (s)
    speedup: float = 1.0                              # interval ratio, held from one onset to the next
    nucleus_mean: float = 0.0                         # running mean nucleus duration (s)
    nuclei: int = 0                                   # nuclei heard
    nucleus_ratio: float = 1.0                        # mean over the last nucleus's duration (held)
    nucleus_until: int = -1                           # tick until which nucleus_ratio holds


class SpeakerModel:
    """Per-tick speaker statistics and novelty (see the module docstring)."""

    def __init__(self, tick_hz: float, memory_s: float = 4.0, timbre_ms: float = 40.0,
                 warmup_voiced_s: float = 0.5, jump_ms: float = 60.0, context_ms: float = 200.0,
                 bridge_ms: float = 300.0,
                 stretch_gap_ms: float = 30.0, direction_ticks: int = 3, speedup_syllables: int = 2,
                 nucleus_hold_ms: float = 150.0, nucleus_memory: int = 10, nucleus_warmup: int = 5):
        self.hz = tick_hz
        self.speedup_n = speedup_syllables
        self.nucleus_hold = int(round(nucleus_hold_ms * 1e-3 * tick_hz))
        self.nucleus_alpha = 1.0 / nucleus_memory
        self.nucleus_warmup = nucleus_warmup
        self.jump_n = max(2, int(round(jump_ms * 1e-3 * tick_hz)))
        self.context_n = max(self.jump_n + 1, int(round(context_ms * 1e-3 * tick_hz)))
        self.bridge_n = int(round(bridge_ms * 1e-3 * tick_hz))
        self.alpha = 1.0 - math.exp(-1.0 / (memory_s * tick_hz))
        self.timbre_n = max(1, int(round(timbre_ms * 1e-3 * tick_hz)))
        self.warmup = int(round(warmup_voiced_s * tick_hz))
        self.stretch_gap = max(1, int(round(stretch_gap_ms * 1e-3 * tick_hz)))
        self.direction_n = direction_ticks
        self.state = SpeakerState()

    def jump(self, k: int, semis: float) -> float:
        """Pitch step (semitones): the median of the three latest voiced ticks against the median of
        the voiced ticks heard ``jump_ms`` to ``context_ms`` ago (at least five of them). Intonation
        glides and accents move a few semitones over that span; a spliced voice or a shifted segment
        moves more, at once. When a voiceless consonant or a stop closure left fewer than five
        voiced ticks there, the reference is the voice just before that gap: the last eight voiced
        ticks of the phrase at least ``jump_ms`` old, if the latest is at most ``bridge_ms`` old."""
        st = self.state
        w = st.window
        while w and k - w[0][0] > self.context_n:
            w.pop(0)
        w.append((k, semis))
        st.phrase_voiced = (st.phrase_voiced + [(k, semis)])[-(self.jump_n + 8):]
        past = sorted(s for kk, s in w if k - kk >= self.jump_n)
        if len(past) < 5:
            older = [(kk, s) for kk, s in st.phrase_voiced if k - kk >= self.jump_n][-8:]
            if older and k - older[-1][0] <= self.bridge_n:
                past = sorted(s for _, s in older)
        if len(past) < 5 or len(st.recent_st) < 3:
            return 0.0
        m = len(past) // 2
        med = past[m] if len(past) % 2 else 0.5 * (past[m - 1] + past[m])
        return abs(sorted(st.recent_st)[1] - med)

    def direction(self, biphases: tuple, warm: bool) -> tuple[float, float]:
        """(evidence, direction) of one voiced tick (see the module docstring)."""
        st = self.state
        # sin(μ)·R is the imaginary part of the mean phasor
        e = sum(math.sin(b) * z.imag for b, z in zip(biphases, st.phase_mean))
        st.recent_dir = (st.recent_dir + [e])[-self.direction_n:]
        if not warm or len(st.recent_dir) < self.direction_n or st.direction_mean < DIRECTION_MIN:
            return e, 0.0
        return e, sum(st.recent_dir) / len(st.recent_dir) / st.direction_mean

    def phrase_boundary(self) -> None:
        """A phrase ended: its intervals and its pitch no longer count as the context of the next."""
        st = self.state
        st.prev_onset, st.iois, st.speedup, st.phrase_voiced = -1, [], 1.0, []

    def speedup(self, k: int, onset: bool, boundary: bool, period_s: float, learnt: bool,
                nucleus_s: float = 0.0) -> float:
        """Tick ``k``'s speed-up (see the module docstring; 1 while neither ratio is known).
        ``onset``/``boundary``: a syllable onset / phrase boundary on this tick; ``period_s``: the
        running syllable period before this tick; ``learnt``: it is known; ``nucleus_s``: the
        duration of a nucleus that ended on this tick (0: none did)."""
        st = self.state
        if boundary:
            self.phrase_boundary()
        if onset:
            if st.prev_onset >= 0 and learnt:
                st.iois = (st.iois + [(k - st.prev_onset) / self.hz])[-self.speedup_n:]
                full = len(st.iois) == self.speedup_n
                st.speedup = period_s * len(st.iois) / sum(st.iois) if full else 1.0
            st.prev_onset = k
        if nucleus_s > 0.0:
            if st.nuclei >= self.nucleus_warmup:
                st.nucleus_ratio, st.nucleus_until = st.nucleus_mean / max(nucleus_s, 1.0 / self.hz), k + self.nucleus_hold
            a = max(self.nucleus_alpha, 1.0 / (st.nuclei + 1))
            st.nucleus_mean += a * (nucleus_s - st.nucleus_mean)
            st.nuclei += 1
        nucleus = st.nucleus_ratio if k < st.nucleus_until else 1.0
        return math.sqrt(st.speedup * nucleus)

    def step(self, row: np.ndarray, voiced: bool, k: int = 0) -> tuple[float, float, float, float]:
        """(pitch_z, pitch_jump, timbre_z, direction) for tick ``k`` (zeros when unvoiced or still
        warming up); learns voiced ticks."""
        st = self.state
        if not voiced:
            return 0.0, 0.0, 0.0, 0.0
        semis = 12.0 * math.log2(max(row[F0], 1.0) / 100.0)
        if k - st.last_voiced > self.stretch_gap:        # a new voiced stretch: older ticks are context only
            st.recent_st, st.recent_dir = [], []
        st.last_voiced = k
        st.recent_st = (st.recent_st + [semis])[-3:]
        jump = self.jump(k, semis)
        bands = row[BAND0:BAND0 + N_BANDS]
        shape = bands - bands.sum() / N_BANDS
        if st.voiced_seen == 0:
            st.st_mean, st.shape_mean = semis, shape.copy()
        med = sorted(st.recent_st)[len(st.recent_st) // 2]
        pz = abs(med - st.st_mean) / max(st.st_dev, 1.0)
        d = shape - st.shape_mean
        z2 = float(np.dot(d * d, 1.0 / st.shape_var)) / N_BANDS
        st.recent_shape = (st.recent_shape + [z2])[-self.timbre_n:]
        tz = math.sqrt(sum(st.recent_shape) / len(st.recent_shape))
        warm = st.voiced_seen >= self.warmup
        biphases = (float(row[BIPHASE]), float(row[BIPHASE + 1]))
        evidence, direction = self.direction(biphases, warm)
        a = self.alpha * (0.25 if warm and (pz > 2.5 or tz > 2.5) else 1.0)
        if st.voiced_seen < self.warmup:                  # learn fast at first
            a = max(a, 1.0 / (st.voiced_seen + 2))
        ad = a * (0.25 if direction < 0.0 else 1.0)
        st.phase_mean = [z + ad * (complex(math.cos(b), math.sin(b)) - z) for b, z in zip(biphases, st.phase_mean)]
        st.direction_mean += ad * (evidence - st.direction_mean)
        st.st_mean += a * (semis - st.st_mean)
        st.st_dev += a * (abs(semis - st.st_mean) - st.st_dev)
        st.shape_mean += a * d
        st.shape_var += a * (d * d - st.shape_var)
        np.maximum(st.shape_var, 1.0, out=st.shape_var)
        st.voiced_seen += 1
        if len(st.recent_st) < 3:                          # not three ticks into this stretch yet
            pz = 0.0
        return (pz, jump, tz, direction) if warm else (0.0, 0.0, 0.0, 0.0)
