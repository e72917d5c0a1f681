"""f0 contour as target points ``(time_s, hz)``: declination, pitch accents, boundary tones.

The contour is built in semitones relative to a base pitch and range ``R`` (semitones), phrase
by phrase (a phrase is the speech between two pauses):

- declination: a line from +0.15·R (+0.05·R for later phrases of a sentence) to −0.1·R;
- pitch accents (H*): a raised-cosine bump peaking 60 % into the accented vowel, 0.45·R·strength,
  each later accent of the phrase down-stepped ×0.85; overlapping bumps combine by max;
- statement / wh-question / exclamation end (L-L%): after the nuclear (last) accent peak the
  contour falls by 0.45·R (0.55·R for exclamations) to the end of the last voiced segment;
- yes/no question end (L* H-H%): the nuclear accent is low and the contour rises by
  max(0.9·R, 4 st) from the start of the last stressed syllable (but within 250–350 ms of the
  end) to the end of the last voiced segment, so the last 300 ms of voicing rise ≈ 4+ st;
- minor break (continuation rise, H-): +0.3·R over the last syllable of the phrase;
- pauses hold the last value and glide to the next phrase's first value in the last 50 ms.

Paragraph intonation: the sentences of one ``say`` text are one turn, and the last of them ends it.
Sentences inside a paragraph or turn start with a smaller pitch reset and end with less final
lowering than the paragraph-final one (Lehiste 1975, "The phonetic structure of paragraphs";
Sluijter & Terken 1993, "Beyond sentence prosody: paragraph intonation in Dutch", Phonetica 50;
Swerts & Geluykens 1994, "Prosody as a marker of information flow in spoken discourse", Language
and Speech 37), and the turn-final fall reaches the speaker's floor (final lowering: Liberman &
Pierrehumbert 1984). Here:

- the turn-final sentence is said exactly as a one-sentence text (so single sentences do not change):
  its L-L% fall reaches the floor, −0.55·R below the base pitch;
- a statement end inside the turn (``turn_final`` False) has no final lowering: the nuclear accent
  falls only to the declination line's end, −0.1·R, ``INTERNAL_LOW_RAISE``·R (0.45·R, 3.2 st at the
  default 7 st range) above that floor, reached at ``INTERNAL_PLATEAU`` (70 %) of the way from the
  nuclear peak to the end of voicing and then held level (the slight plateau of non-final ends);
  questions and exclamations keep their own ends;
- a sentence after the first of the turn (``sentence`` > 0) restarts its declination line at
  ``LATER_TOP``·R (0.08·R) instead of 0.15·R: a smaller reset than at the start of the turn.

The studies give the direction and the ordering of these effects, not one set of numbers for all
speakers; the fractions of R are ours: the internal low keeps the declination baseline (only the
turn end is finally lowered), ≈ 3 st above the floor at the default range — differences in the size
of pitch movements under about 3 st are not reliably heard ('t Hart 1981, JASA 69) — while the
internal end still falls clearly (≈ 0.4·R) from the nuclear accent.

The dense contour (10 ms grid) is converted to Hz and thinned to the fewest points whose linear
interpolation (in Hz) stays within ``tol_cents`` of it. Linear interpolation between the returned
points IS the commanded contour.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .normalize import YN_QUESTION, EXCLAMATION

__all__ = ["AccentSyl", "PhraseSpan", "f0_contour", "semitones", "INTERNAL_LOW_RAISE", "INTERNAL_PLATEAU",
           "LATER_TOP"]

INTERNAL_LOW_RAISE = 0.45   # a sentence end inside the turn stops this many R above the turn-final floor
INTERNAL_PLATEAU = 0.7      # ... reached at this fraction of the fall's span, then held level
LATER_TOP = 0.08            # declination start (× R) of a turn's later sentences (first: 0.15)


@dataclass(frozen=True)
class AccentSyl:
    """A syllable as intonation sees it: times in s, ``accent`` strength (0 none, 1 normal, >1 emphasis)."""

    start: float
    dur: float
    nucleus_start: float
    nucleus_dur: float
    stress: int
    accent: float
    phrase: int


@dataclass(frozen=True)
class PhraseSpan:
    """The spoken span of a phrase: [start, end) s, break ``level`` after it (1 minor, 2 major)."""

    start: float
    end: float
    level: int
    sentence_type: str
    first_of_sentence: bool
    voiced_end: float = -1.0    # end of the last voiced segment (boundary tones end here); -1 = ``end``
    sentence: int = 0           # index in the turn (the text) of the sentence this phrase belongs to
    turn_final: bool = True     # the phrase's sentence is the last of the turn


def semitones(hz_a: float, hz_b: float) -> float:
    """Interval from ``hz_a`` to ``hz_b`` in semitones."""
    return 12.0 * math.log2(hz_b / hz_a)


def _rc(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * x)


def _phrase_st(t: np.ndarray, ph: PhraseSpan, sylls: list[AccentSyl], R: float) -> np.ndarray:
    p0, p1 = ph.start, ph.end
    span = max(p1 - p0, 1e-6)
    top = ((0.15 if ph.sentence == 0 else LATER_TOP) if ph.first_of_sentence else 0.05) * R
    s = top + (-0.1 * R - top) * (t - p0) / span
    accents = [sy for sy in sylls if sy.accent > 0]
    final_major = ph.level >= 2
    question = final_major and ph.sentence_type == YN_QUESTION
    bump = np.zeros_like(t)
    t_nuc = p0 + 0.6 * span
    for k, sy in enumerate(accents):
        strength = sy.accent * (0.85 ** k)
        nuclear = k == len(accents) - 1
        if nuclear and question:
            strength = 0.0      # L*: the nuclear accent of a yes/no question is low
        tp = sy.nucleus_start + 0.6 * sy.nucleus_dur
        tr = max(sy.start - 0.03, tp - 0.2, p0 - 0.05)
        tf = min(tp + 0.22, p1 + 0.05)
        a = 0.45 * R * strength
        rise = a * _rc((t - tr) / max(tp - tr, 1e-3))
        fall = a * (1.0 - _rc((t - tp) / max(tf - tp, 1e-3)))
        b = np.where(t <= tp, rise, fall)
        b = np.where((t < tr) | (t > tf), 0.0, b)
        bump = np.maximum(bump, b)
        if nuclear:
            t_nuc = min(tp, p1 - 0.05)
    s = s + bump
    if final_major and not question:
        ve = ph.voiced_end if ph.voiced_end > t_nuc else p1
        exclaim = ph.sentence_type == EXCLAMATION
        depth = (0.55 if exclaim else 0.45) * R
        if ph.turn_final or exclaim:
            s = s - depth * _rc((t - t_nuc) / max(ve - t_nuc, 1e-3))
        else:                   # half fall to a higher low, then a plateau (see the module docstring)
            t_low = t_nuc + INTERNAL_PLATEAU * max(ve - t_nuc, 1e-3)
            low = -0.55 * R + INTERNAL_LOW_RAISE * R          # the floor of a turn-final end, raised
            frac = _rc((t - t_nuc) / max(t_low - t_nuc, 1e-3))
            s_nuc = float(np.interp(t_nuc, t, s)) if t[0] <= t_nuc <= t[-1] else float(s[0])
            s = np.where(t <= t_nuc, s, s_nuc + (low - s_nuc) * frac)
    elif question:
        ve = ph.voiced_end if ph.voiced_end > p0 else p1
        stressed = [sy for sy in sylls if sy.stress == 1] or sylls
        t_last = stressed[-1].start if stressed else ve - 0.3
        t_r0 = max(p0, min(ve - 0.25, max(t_last, ve - 0.35)))
        height = max(0.9 * R, 4.0)
        s = s + height * _rc((t - t_r0) / max(ve - t_r0, 1e-3))
    elif sylls:   # continuation rise at a minor break
        last = sylls[-1]
        s = s + 0.3 * R * _rc((t - last.start) / max(p1 - last.start, 1e-3))
    return s


_LATER = {40: np.arange(40)[:, None] < np.arange(41)[None, :] - 1}   # mask[c-1, k] = k > c


def _thin(t: np.ndarray, hz: np.ndarray, tol_cents: float, max_len: int = 40) -> list[tuple[float, float]]:
    """Greedy: from each kept point, jump to the farthest grid point (≤ ``max_len`` steps) such that
    the straight line (in Hz) to it, and to every nearer candidate, stays within ``tol_cents``."""
    if max_len not in _LATER:
        _LATER[max_len] = np.arange(max_len)[:, None] < np.arange(max_len + 1)[None, :] - 1
    keep = [0]
    i, n = 0, len(t)
    while i < n - 1:
        J = min(n - 1, i + max_len)
        tk, hk = t[i:J + 1], hz[i:J + 1]                     # k = 0..m (relative to i)
        m = J - i
        slope = (hk[1:] - hk[0]) / (tk[1:] - tk[0])          # candidate end c = 1..m
        lin = np.maximum(hk[0] + slope[:, None] * (tk[None, :] - tk[0]), 1e-9)  # [c-1, k]
        err = np.abs(1200.0 * np.log2(lin / hk[None, :]))
        err[_LATER[max_len][:m, :m + 1]] = 0.0                    # only k <= c counts
        bad = np.nonzero(err.max(axis=1) > tol_cents)[0]
        step = int(bad[0]) if len(bad) else m                 # first failing candidate c = bad+1
        step = max(step, 1)
        i += step
        keep.append(i)
    return [(float(t[k]), float(hz[k])) for k in keep]


def f0_contour(sylls: list[AccentSyl], phrases: list[PhraseSpan], total: float, base_hz: float,
               range_st: float, *, step: float = 0.01, tol_cents: float = 3.0) -> list[tuple[float, float]]:
    """f0 target points covering [0, ``total``] s (strictly increasing times).

    ``sylls`` carry their phrase index; ``base_hz`` is the (emotion-shifted) base pitch and
    ``range_st`` the (emotion-scaled) pitch range in semitones.
    """
    if total <= 0 or not phrases:
        return [(0.0, float(base_hz)), (max(total, step), float(base_hz))]
    n = int(math.ceil(total / step)) + 1
    t = np.minimum(np.arange(n) * step, total)
    t[-1] = total
    st = np.full(n, np.nan)
    by_phrase: dict[int, list[AccentSyl]] = {}
    for sy in sylls:
        by_phrase.setdefault(sy.phrase, []).append(sy)
    # each phrase touches only its own grid slice (t is sorted): linear in the utterance length
    # (a mask over the whole grid per phrase was quadratic for texts with thousands of phrases)
    for k, ph in enumerate(phrases):
        a, b = np.searchsorted(t, ph.start, "left"), np.searchsorted(t, ph.end, "right")
        if b > a:
            st[a:b] = _phrase_st(t[a:b], ph, by_phrase.get(k, []), range_st)
    # fill silences: hold, then glide into the next phrase during its last 50 ms
    valid = np.nonzero(~np.isnan(st))[0]
    tv = t[valid]
    starts = [_value_at(tv, st, valid, ph.start, after=True) for ph in phrases]
    last_fill = -1                                     # last grid index filled by an earlier gap
    for k, ph in enumerate(phrases):
        g0 = ph.end
        g1 = phrases[k + 1].start if k + 1 < len(phrases) else total + step
        a, b = np.searchsorted(t, g0, "right"), np.searchsorted(t, g1, "left")
        if b <= a:
            continue
        seg = st[a:b]                                  # a view: assignments below write into st
        m = np.isnan(seg)
        if not m.any():
            continue
        j = int(np.searchsorted(valid, a, "left")) - 1    # last phrase point before this gap
        hold = float(st[last_fill]) if last_fill > (valid[j] if j >= 0 else -1) else \
            _value_at(tv, st, valid, g0, after=False)
        if k + 1 < len(phrases):
            nxt = starts[k + 1]
            glide0 = max(g0, g1 - 0.05)
            frac = np.clip((t[a:b][m] - glide0) / max(g1 - glide0, 1e-6), 0.0, 1.0)
            seg[m] = hold + (nxt - hold) * frac
        else:
            seg[m] = hold
        last_fill = a + int(np.nonzero(m)[0][-1])
    first = starts[0]
    st[np.isnan(st) & (t < phrases[0].start)] = first
    st = np.where(np.isnan(st), first, st)
    hz = base_hz * np.power(2.0, st / 12.0)
    return _thin(t, hz, tol_cents)


def _value_at(tv: np.ndarray, st: np.ndarray, valid: np.ndarray, at: float, *, after: bool) -> float:
    """``st`` at the first valid grid point at/after ``at`` (``after``) or the last one at/before it;
    ``valid``: sorted indices of the non-NaN points, ``tv`` their times. Falls back to the
    nearest valid end."""
    if len(valid) == 0:
        return 0.0
    if after:
        j = int(np.searchsorted(tv, at, "left"))
        return float(st[valid[j]] if j < len(valid) else st[valid[0]])
    j = int(np.searchsorted(tv, at, "right")) - 1
    return float(st[valid[j]] if j >= 0 else st[valid[-1]])
