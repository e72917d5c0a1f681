"""The voice's harmonic bank runs the samples of a tick side by side (vectorised): each sum equals the
direct Σ a_h cos(hθ) − b_h sin(hθ) with the interpolated coefficients and that sample's harmonic count."""
import numpy as np

from psigraph.nodes.speech import kernels as K


def test_bank_equals_the_direct_sum_per_sample():
    rng = np.random.default_rng(3)
    m = 97
    amp = rng.normal(size=(4, K.MAXH)) * 0.1
    th = rng.uniform(0, 2 * np.pi, m)
    fr = np.arange(m) / 120.0
    nh = rng.integers(0, 90, m).astype(np.int64)
    nh[:5] = 0                                   # silent samples
    acc = np.full(m, np.nan)
    cos_th = np.full(m, np.nan)
    K._harmonic_bank(amp, m, th, fr, nh, acc, cos_th, np.empty((5, 120)))
    assert np.allclose(cos_th, np.cos(th), rtol=0, atol=1e-15)
    for k in range(m):
        h = np.arange(nh[k])
        a = amp[0, h] + (amp[2, h] - amp[0, h]) * fr[k]
        b = amp[1, h] + (amp[3, h] - amp[1, h]) * fr[k]
        ref = np.sum(a * np.cos((h + 1) * th[k]) - b * np.sin((h + 1) * th[k]))
        assert abs(acc[k] - ref) <= 1e-12 * (1 + np.abs(amp).sum()), k
    assert np.all(acc[:5] == 0.0)
