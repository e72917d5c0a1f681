"""Listening features: YIN pitch against a slow reference and known tones, levels, block-size invariance."""
import numpy as np
import pytest

from psigraph.nodes.listen.features import (ANALYSIS_HZ, FEATURE_LABELS, YIN_WINDOW, FeatureExtractor)

F0, PER, ENV = (FEATURE_LABELS.index(k) for k in ("f0", "periodicity", "env_db"))
RATE = 24000


def harmonic(f0, seconds, rate=RATE, n=12, amp=0.3):
    t = np.arange(int(seconds * rate)) / rate
    return amp * sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, n + 1) if f0 * k < 3500)


def rows_of(x, block, rate=RATE, period=120):
    fe = FeatureExtractor(rate)
    out = []
    for a in range(0, len(x), block):
        b = min(len(x), a + block)
        fe.push(x[a:b])
        k = np.arange(-(-a // period), -(-b // period))
        out.append(fe.rows(-(-(k * period) // (rate // ANALYSIS_HZ))))
    return np.vstack(out)


def yin_reference(x, tau_min, tau_max, threshold):
    """Textbook YIN (difference function by direct sums), for one frame of YIN_WINDOW + tau_max samples."""
    W = YIN_WINDOW
    d = np.array([np.sum((x[:W] - x[tau:tau + W]) ** 2) for tau in range(tau_max + 1)])
    cm = np.ones_like(d)
    cm[1:] = d[1:] * np.arange(1, tau_max + 1) / np.cumsum(d[1:])
    seg = cm[tau_min:tau_max]
    below = np.flatnonzero(seg < threshold)
    j = below[0] if len(below) else int(seg.argmin())
    while j + 1 < len(seg) and seg[j + 1] < seg[j]:
        j += 1
    return j + tau_min, cm


def test_yin_matches_the_direct_difference_function():
    fe = FeatureExtractor(RATE)
    rng = np.random.default_rng(3)
    for f0 in (95.0, 180.0, 310.0):
        n = YIN_WINDOW + fe.tau_max
        t = np.arange(n) / ANALYSIS_HZ
        x = np.sin(2 * np.pi * f0 * t) + 0.5 * np.sin(4 * np.pi * f0 * t + 1) + 0.05 * rng.standard_normal(n)
        tau, cm = yin_reference(x, fe.tau_min, fe.tau_max, fe.yin_threshold)
        f, per = fe._yin(np.vstack([x] * 8), 1)
        assert abs(ANALYSIS_HZ / f[0] - tau) <= 0.5           # same dip, refined within half a lag
        assert per[0] == pytest.approx(1.0 - cm[tau], abs=0.05)


@pytest.mark.parametrize("f0", [80.0, 120.0, 220.0, 400.0])
def test_pitch_of_harmonic_tones(f0):
    r = rows_of(harmonic(f0, 0.5), 480)
    steady = r[40:]
    assert np.median(steady[:, F0]) == pytest.approx(f0, rel=0.01)
    assert steady[:, PER].min() > 0.9


def test_silence_and_noise_are_unvoiced_and_levels_follow_the_signal():
    rng = np.random.default_rng(0)
    quiet = rows_of(np.zeros(RATE // 2), 480)
    assert (quiet[:, F0] == 0).all() and quiet[:, ENV].max() <= -99
    noise = rows_of(0.1 * rng.standard_normal(RATE // 2), 480)
    assert np.median(noise[40:, PER]) < 0.5
    a = rows_of(harmonic(150.0, 0.5, amp=0.3), 480)
    b = rows_of(harmonic(150.0, 0.5, amp=0.03), 480)
    assert np.median(a[40:, ENV] - b[40:, ENV]) == pytest.approx(20.0, abs=0.5)


def test_block_size_invariance_bit_identical():
    rng = np.random.default_rng(1)
    x = np.concatenate([harmonic(130.0, 0.4), 0.05 * rng.standard_normal(3000), harmonic(210.0, 0.3)])
    ref = rows_of(x, 480)
    for block in (3, 7, 119, 4800, len(x)):
        assert np.array_equal(rows_of(x, block), ref), block


def test_rates_that_are_not_multiples_of_8k_are_refused():
    with pytest.raises(ValueError, match="multiple of 8000"):
        FeatureExtractor(22050)
