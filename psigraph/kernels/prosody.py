"""How an utterance was said, measured on its control-rate tract tracks: f0 level and range, speaking
rate, pauses.

One definition shared by the ψ-memory recorder (the ``signature`` it stores for every utterance,
measured on the rows as heard) and the prosody planner (which predicts the same numbers for a plan
it is about to send, to say new words in a stored tone). Plain numpy; no psigraph imports.

* a tick is **voiced** when the voicing amplitude ``AV`` exceeds :data:`AUDIBLE` (−26 dB re full
  voicing), and **sounding** when any source does (``AV``, aspiration ``AH``, frication ``AF``,
  burst ``AB``, nasal murmur ``AN``: pass their per-tick maximum). The threshold ignores the
  inaudible tails of the smooth source envelopes (a critically damped decay takes ~110 ms to reach
  the recorder's smallest step, 2^-15, but 40 ms to fall below 5 %);
* ``f0_level_hz``: median f0 over the voiced ticks; ``f0_range_st``: their 5–95 % range in
  semitones (0.0 for both when nothing is voiced);
* **pauses**: silent gaps (no source sounding) of at least ``pause_s`` (150 ms) between sounding
  stretches — phrase and sentence breaks, not the closures and voiceless consonants inside words,
  which are never silent that long; ``count``, ``mean_s`` and ``ratio`` = pause time / speech span
  (first to last sounding tick);
* ``rate_sps``: syllables per second of speaking time (the speech span minus its pauses);
* ``voiced_s``: voiced time.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["prosody_stats", "PAUSE_S", "AUDIBLE", "SOURCES"]

PAUSE_S = 0.15          # silent gaps at least this long are pauses
AUDIBLE = 0.05          # a source amplitude above this is heard (−26 dB re full voicing, AV = 1)
SOURCES = ("AV", "AH", "AF", "AB", "AN")   # the tract's sound sources (psigraph.chain.TRACT_CHANNELS)


def prosody_stats(f0, av, sources, syllables: int, control_hz: float, pause_s: float = PAUSE_S) -> dict:
    """``{"f0_level_hz", "f0_range_st", "rate_sps", "pauses": {"count", "mean_s", "ratio"}, "voiced_s"}``
    of one utterance from its per-tick ``f0`` (Hz), voicing amplitude ``av`` and the per-tick maximum of
    its source amplitudes ``sources`` (:data:`SOURCES`), sampled at ``control_hz``."""
    f0 = np.asarray(f0, dtype=np.float64)
    voiced = np.asarray(av, dtype=np.float64) > AUDIBLE
    sounding = np.asarray(sources, dtype=np.float64) > AUDIBLE
    hz = float(control_hz)
    out: dict = {}
    v = f0[voiced]
    v = v[v > 0]
    if v.size:
        lo, hi = np.percentile(v, [5, 95])
        out["f0_level_hz"] = float(np.median(v))
        out["f0_range_st"] = float(12.0 * math.log2(max(hi, 1e-9) / max(lo, 1e-9)))
    else:
        out["f0_level_hz"], out["f0_range_st"] = 0.0, 0.0
    on = np.flatnonzero(sounding)
    pauses: list = []
    if on.size:
        gaps = np.diff(on) - 1
        min_gap = int(round(pause_s * hz))
        pauses = [int(g) for g in gaps if g >= min_gap]
        span = (on[-1] - on[0] + 1) / hz
    else:
        span = 0.0
    total = sum(pauses) / hz
    speaking = max(span - total, 0.0)
    out["rate_sps"] = float(syllables / speaking) if speaking > 0 else 0.0
    out["pauses"] = {"count": len(pauses), "mean_s": float(total / len(pauses)) if pauses else 0.0,
                     "ratio": float(total / span) if span > 0 else 0.0}
    out["voiced_s"] = float(voiced.sum() / hz)
    return out
