"""Numba kernel of the surprise detector: exponentially weighted log-histogram quantile + refractory."""
from __future__ import annotations

import numpy as np

from psigraph.kernels import njit

_LO, _HI, _BINS = -9.0, 3.0, 240            # log10 range of the histogram and bin count


@njit(error_model="numpy")
def _detect(eps, tick0, hist, total, last, seen, decay, quantile, factor, floor, refractory, warmup,
            thr_out, fired):
    """Per tick: threshold from the histogram, compare, then add ε (if not surprising) to the histogram.

    Returns (total, last, seen); ``fired[t]`` is set to 1 for ticks that emit an event.
    """
    nb = hist.shape[0]
    scale = nb / (_HI - _LO)
    for t in range(eps.shape[0]):
        e = eps[t]
        # quantile: smallest bin edge with cumulative weight ≥ quantile·total
        q = floor
        if total > 0.0:
            target = quantile * total
            acc = 0.0
            for b in range(nb):
                acc += hist[b]
                if acc >= target:
                    q = 10.0 ** (_LO + (b + 1) / scale)
                    break
        thr = max(floor, factor * q)
        thr_out[t] = thr
        fired[t] = 0
        if not e > 0.0:                  # upstream warm-up (0) or NaN: ignore
            continue
        hit = e > thr and seen >= warmup
        if hit and (last < 0 or tick0 + t - last >= refractory):
            fired[t] = 1
            last = tick0 + t
        if not hit and (last < 0 or tick0 + t - last >= refractory):   # keep aftermaths out too
            for b in range(nb):
                hist[b] *= decay
            total *= decay
            lg = np.log10(max(e, 1e-300))
            b = int((lg - _LO) * scale)
            b = min(max(b, 0), nb - 1)
            hist[b] += 1.0
            total += 1.0
        seen += 1
    return total, last, seen
