"""Rate-conversion kernels (sequential loops: bit-identical whatever the block split)."""
from __future__ import annotations

import numpy as np

from psigraph.kernels import njit


@njit(fastmath=False)
def _fir_at(z, idx, h, out):
    """out[i, c] = sum_m h[m] * z[idx[i] - m, c] (causal FIR evaluated at chosen samples)."""
    taps = h.shape[0]
    for i in range(idx.shape[0]):
        j = idx[i]
        for c in range(z.shape[1]):
            acc = 0.0
            for m in range(taps):
                acc += h[m] * z[j - m, c]
            out[i, c] = acc


@njit(fastmath=False)
def _polyphase(z, z_first, centers, period_in, table, lh, out):
    """Resampling: out[i] = sum_j table[c_i - j*P] x_j for the 2*lh inputs around centre c_i.

    z holds input samples with absolute tick indices z_first .. z_first+len(z)-1.
    table[phase, m] is the kernel for input j = floor(c/P) - lh + 1 + m at phase c mod P.
    """
    for i in range(centers.shape[0]):
        c = centers[i]
        base = c // period_in
        phase = c - base * period_in
        j0 = base - lh + 1
        for ch in range(z.shape[1]):
            acc = 0.0
            for m in range(2 * lh):
                k = j0 + m - z_first
                if k >= 0:
                    acc += table[phase, m] * z[k, ch]
            out[i, ch] = acc


def lowpass_fir(cutoff: float, taps: int) -> np.ndarray:
    """Windowed-sinc (Blackman) low-pass; cutoff as a fraction of the sample rate (< 0.5), unit DC gain."""
    n = np.arange(taps) - (taps - 1) / 2.0
    h = 2 * cutoff * np.sinc(2 * cutoff * n) * np.blackman(taps)
    return h / h.sum()
