"""surprise_detector: kernel vs a plain-Python reference, refractory period, warm-up."""
import numpy as np

from psigraph.ports import SignalSpec
from psigraph.testing import instantiate

from psigraph.nodes.surprise import kernels
from psigraph.nodes.surprise.node import SurpriseDetector


def make(**kw):
    spec = SignalSpec(120, 1, "float64", (), 200.0)
    return instantiate(SurpriseDetector, kw, inputs={"error": spec})


def feed(node, eps, chunk=53):
    thr, evs = [], []
    for a in range(0, len(eps), chunk):
        b = min(len(eps), a + chunk)
        node.t0, node.t1 = a * 120, b * 120
        o = node.process(eps[a:b, None])
        thr.append(o["threshold"][:, 0])
        evs += o["events"]
    return np.concatenate(thr), evs


def reference(eps, quantile, factor, floor, decay, refractory, warmup):
    lo, hi, nb = kernels._LO, kernels._HI, kernels._BINS
    scale = nb / (hi - lo)
    hist, total, last, seen = np.zeros(nb), 0.0, -1, 0
    thr_out, fired = [], []
    for t, e in enumerate(eps):
        q = floor
        if total > 0:
            c = np.cumsum(hist)
            b = int(np.argmax(c >= quantile * total))
            q = 10.0 ** (lo + (b + 1) / scale)
        thr = max(floor, factor * q)
        thr_out.append(thr)
        if not e > 0:
            continue
        hit = e > thr and seen >= warmup
        if hit and (last < 0 or t - last >= refractory):
            fired.append(t)
            last = t
        if not hit and (last < 0 or t - last >= refractory):
            hist *= decay
            total *= decay
            hist[min(max(int((np.log10(e) - lo) * scale), 0), nb - 1)] += 1
            total += 1
        seen += 1
    return np.array(thr_out), fired


def test_kernel_matches_reference():
    rng = np.random.default_rng(3)
    eps = np.abs(rng.standard_normal(3000)) * 0.01
    eps[:50] = 0.0                                        # upstream warm-up
    eps[[700, 705, 900, 2000, 2001]] = [0.5, 0.6, 0.2, 1.0, 1.0]
    node = make(warmup_s=1.0, window_s=5.0)
    thr, evs = feed(node, eps)
    want_thr, want_fired = reference(eps, 0.999, 2.0, 1e-3, np.exp(-1 / (5.0 * 200)), 50, 200)
    np.testing.assert_allclose(thr, want_thr, rtol=1e-12)
    assert [e.t // 120 for e in evs] == want_fired == [700, 900, 2000]   # 705 and 2001: refractory
    assert evs[0].kind == "surprise" and evs[0].payload["eps"] == 0.5


def test_no_events_in_warmup_and_floor():
    node = make(floor=0.3)
    eps = np.full(400, 0.2)
    eps[100] = 5.0                                        # during warm-up (1 s = 200 ticks)
    thr, evs = feed(node, eps)
    assert evs == [] and thr.min() >= 0.3
