"""koopman_monitor: RLS kernel vs numpy reference and batch least squares, forecasts, eigenvalues."""
import numpy as np
import pytest

from psigraph.ports import SignalSpec
from psigraph.testing import instantiate

from psigraph.nodes.koopman import kernels
from psigraph.nodes.koopman.node import KoopmanMonitor


def make(channels, n_in, **kw):
    spec = SignalSpec(120, n_in, "float64", tuple(f"c{i}" for i in range(n_in)), 200.0)
    return instantiate(KoopmanMonitor, dict(channels=channels, **kw), inputs={"x": spec})


def feed(node, X, chunk=37):
    outs = {}
    for a in range(0, len(X), chunk):
        b = min(len(X), a + chunk)
        node.t0, node.t1 = (node.state.tick) * 120, (node.state.tick + b - a) * 120
        o = node.process(X[a:b])
        for k, v in o.items():
            outs.setdefault(k, []).append(v)
    return {k: np.concatenate(v) for k, v in outs.items()}


def reference(obs, d, lam, ridge, robust, warmup, horizon):
    """Plain numpy version of kernels._run (same algorithm, matrix form)."""
    n, M = obs.shape
    m = M * d
    W = np.zeros((M, m))
    W[:, :M] = np.eye(M)
    P = np.eye(m) / ridge
    s = np.zeros(m)
    c = ridge * m * (1 - lam)
    ms, count = 0.0, 0
    ring = np.zeros((horizon, M))
    pred, err1 = np.zeros((n, M)), np.zeros(n)
    for t in range(n):
        y = obs[t]
        if count >= 1:
            clip = robust * np.sqrt(ms) if count >= warmup else 0.0
            Pu = P @ s
            k = Pu / (lam + s @ Pu)
            e = y - W @ s
            nrm = np.linalg.norm(e)
            f = min(1.0, clip / nrm) if clip > 0 and nrm > clip else 1.0
            W = W + f * np.outer(e, k)
            P = (P - np.outer(k, Pu)) / lam
            P = np.triu(P) + np.triu(P, 1).T
            j = t % m
            den = 1 + c * P[j, j]
            W = W - c * np.outer(W[:, j], P[j]) / den
            P = P - c * np.outer(P[:, j], P[j]) / den
            lim = min(nrm, clip) if clip > 0 else nrm
            ms = lam * ms + (1 - lam) * lim ** 2
            err1[t] = nrm if count >= warmup else 0.0
        s = np.concatenate([y, s[:-M]])
        count += 1
        b = s.copy()
        for _ in range(horizon):
            o = W @ b
            b = np.concatenate([o, b[:-M]])
        pred[t] = o
    return W, pred, err1


def test_kernel_matches_reference():
    rng = np.random.default_rng(0)
    t = np.arange(300) / 200
    X = np.stack([np.sin(2 * np.pi * 3 * t), np.cos(2 * np.pi * 0.7 * t)], 1) + 0.05 * rng.standard_normal((300, 2))
    X[150] += 1.0                                             # an outlier exercises the clipping
    node = make([0, 1], 2, delays=3, ridge=1e-4, warmup_ms=100)
    got = feed(node, X)
    W, pred, err1 = reference(X, 3, node.params.forgetting, 1e-4, 4.0, node.warmup, node.horizon)
    np.testing.assert_allclose(node.state.W, W, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(got["prediction"], pred, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(got["error1"][:, 0], err1, rtol=1e-9, atol=1e-12)


def test_rls_equals_weighted_least_squares():
    rng = np.random.default_rng(1)
    n, lam = 600, 0.99
    X = np.zeros((n, 2))
    for k in range(2, n):                                     # a noisy stable AR(2) pair
        X[k] = 1.6 * X[k - 1] - 0.8 * X[k - 2] + 0.1 * rng.standard_normal(2)
    node = make([0, 1], 2, delays=2, forgetting=lam, ridge=1e-9, robust=0.0)
    feed(node, X)
    U = np.hstack([X[1:-1], X[:-2]])                          # s_{t-1} = [o_{t-1}, o_{t-2}]
    Y = X[2:]
    w = np.sqrt(lam ** np.arange(len(Y))[::-1])
    Wls = np.linalg.lstsq(U * w[:, None], Y * w[:, None], rcond=None)[0].T
    # the embedding starts with zeros, so sample 1 (s = [o_0, 0]) is in RLS but not in U: negligible weight
    np.testing.assert_allclose(node.state.W, Wls, atol=1e-6)


def three_sines(n=2400):
    t = np.arange(n) / 200
    f = [4.2, 7.1, 0.6]
    return np.stack([sum((1 + 0.3 * j) * np.cos(2 * np.pi * fk * t + ph * (j + 1))
                         for fk, ph in zip(f, [0.3, 1.1, 2.0])) for j in range(3)], 1)


def test_noise_free_three_sinusoids_forecast_and_eigs():
    X = three_sines()
    node = make([0, 1, 2], 3)
    out = feed(node, X, chunk=100)
    H = node.horizon
    assert H == 10
    e = out["prediction"][:-H] - X[H:]
    late = slice(1200, None)                                  # after 6 s of warm-up
    nrmse = np.sqrt((e[late] ** 2).mean() / (X ** 2).mean())
    persistence = np.sqrt(((X[:-H] - X[H:])[late] ** 2).mean() / (X ** 2).mean())
    assert nrmse <= 1e-6 and persistence > 0.5
    err = out["error"][-1000:, 0]
    assert err.max() < 1e-5 * np.sqrt((X ** 2).sum(1).mean())
    freqs = out["eigs"][-1, 0::2][:3]
    growth = out["eigs"][-1, 1::2][:3]
    np.testing.assert_allclose(sorted(freqs), [0.6, 4.2, 7.1], atol=1e-4)
    assert np.all(np.abs(growth) < 1e-3)


def test_phase_labels_become_cos_sin_and_errors():
    from psigraph.errors import PortError
    spec = SignalSpec(120, 2, "float64", ("phase:a", "amp:a"), 200.0)
    node = instantiate(KoopmanMonitor, {"channels": ["phase:a", "amp:a"]}, inputs={"x": spec})
    assert node.out_specs["prediction"].labels == ("cos:a", "sin:a", "amp:a")
    assert node.out_specs["eigs"].labels[:2] == ("freq0", "growth0")
    with pytest.raises(PortError, match="did you mean 'phase:a'"):
        instantiate(KoopmanMonitor, {"channels": ["phase:b"]}, inputs={"x": spec})


def test_correction_is_an_ablation_switch():
    X = three_sines(400) + 0.01 * np.random.default_rng(2).standard_normal((400, 3))
    off = feed(make([0, 1, 2], 3), X)
    on = feed(make([0, 1, 2], 3, correct=True, correction_gain=0.5), X)
    assert np.all(off["correction"] == 0.0)
    assert np.abs(on["correction"]).max() > 0
    np.testing.assert_array_equal(on["prediction"], off["prediction"])     # monitoring is unchanged


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_eigenvalues_agree_with_pydmd_reference():
    pydmd = pytest.importorskip("pydmd")            # optional reference (pip install pydmd)
    X = three_sines(1200)
    ref = pydmd.HankelDMD(svd_rank=6, d=4)
    with np.errstate(all="ignore"):
        ref.fit(X.T)
    ref_freqs = np.unique(np.round(np.abs(np.angle(ref.eigs)) * 200 / (2 * np.pi), 6))
    out = feed(make([0, 1, 2], 3), X, chunk=100)
    np.testing.assert_allclose(np.sort(out["eigs"][-1, 0::2][:3]), ref_freqs, atol=1e-4)
    np.testing.assert_allclose(np.abs(ref.eigs), 1.0, atol=1e-6)
    assert np.all(np.abs(out["eigs"][-1, 1::2][:3]) < 1e-3)      # growth ≈ 0 like |μ| = 1
