"""Rate-conversion kernels against slow numpy references, and their signal behaviour."""
import numpy as np

from psigraph import Graph
from psigraph.runtime.testing import run_offline
from psigraph.nodes.basic import kernels


def test_fir_kernel_matches_reference():
    rng = np.random.default_rng(1)
    z = rng.standard_normal((300, 2))
    h = kernels.lowpass_fir(0.1, 31)
    idx = np.array([30, 31, 100, 299], dtype=np.int64)
    out = np.empty((4, 2))
    kernels._fir_at(z, idx, h, out)
    ref = np.array([[np.sum(h * z[j - np.arange(31), c]) for c in range(2)] for j in idx])
    assert np.allclose(out, ref, atol=1e-12)


def test_polyphase_kernel_matches_reference():
    rng = np.random.default_rng(2)
    lh, p = 3, 5
    table = rng.standard_normal((p, 2 * lh))
    z = rng.standard_normal((40, 1))
    centers = np.array([50, 73, 120], dtype=np.int64)
    out = np.empty((3, 1))
    kernels._polyphase(z, 2, centers, p, table, lh, out)
    for i, c in enumerate(centers):
        base, ph = divmod(c, p)
        ref = sum(table[ph, m] * z[base - lh + 1 + m - 2, 0] for m in range(2 * lh) if base - lh + 1 + m - 2 >= 0)
        assert np.isclose(out[i, 0], ref)


def _chain(kind, rate, src_rate, freq, seconds=2.0):
    g = Graph()
    g.add_node("s", "sine", {"freq": freq, "rate": src_rate})
    g.add_node("c", kind, {"rate": rate})
    g.connect("s.y", "c.x")
    return run_offline(g, seconds, block=4800, taps=["c.y"])["c.y"][:, 0]


def test_decimate_passes_low_and_rejects_aliases():
    keep = _chain("decimate", "control", "audio", 20.0)
    alias = _chain("decimate", "control", "audio", 190.0 + 200.0 * 10)   # would alias to 190 Hz
    assert abs(np.sqrt(2) * keep[100:].std() - 1.0) < 0.02
    assert alias[100:].std() < 0.01


def test_resample_up_and_down_preserve_a_tone():
    up = _chain("resample", "audio", "control", 5.0)
    t = np.arange(len(up)) / 24000.0
    lag = 9 * 120 / 24000.0                                   # half-kernel delay
    ref = np.sin(2 * np.pi * 5.0 * (t - lag))
    assert np.max(np.abs(up[24000:] - ref[24000:])) < 1e-3
    down = _chain("resample", "meso", "control", 0.5, seconds=8.0)
    assert abs(np.sqrt(2) * down[8:].std() - 1.0) < 0.1


def test_hold_repeats_latest_sample():
    y = _chain("hold", "audio", "control", 3.0, seconds=0.05)
    assert np.all(y[:120] == y[0]) and y[120] != y[119] and np.all(y[120:240] == y[120])
