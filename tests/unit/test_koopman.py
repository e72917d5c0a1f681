"""koopman_monitor: QR least-squares kernel vs a numpy reference and batch least squares, exact forecasts of
noise-free sums of sinusoids, eigenvalues, channel selection and its validation, warm-up."""
import copy
import os

import numpy as np
import pytest
from scipy.linalg import solve_triangular

from psigraph.ports import SignalSpec
from psigraph.testing import instantiate

from psigraph.nodes.koopman import kernels
from psigraph.nodes.koopman.node import KoopmanMonitor, KoopmanParams

PURE_PYTHON = os.environ.get("NUMBA_DISABLE_JIT") == "1"
H = 10                                                        # 50 ms at 200 Hz


def make(channels, n_in, labels=None, **kw):
    spec = SignalSpec(120, n_in, "float64", tuple(labels or (f"c{i}" for i in range(n_in))), 200.0)
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


def _triangular(A):
    """The first m rows of R in A = QR ((m+1) × (m+M)), with a non-negative diagonal."""
    R = np.linalg.qr(A, mode="r")[:A.shape[0] - 1]
    sign = np.where(np.diag(R) < 0, -1.0, 1.0)
    return R * sign[:, None]


def reference(obs, d, lam, robust, warmup, horizon, ridge=0.0):
    """Plain numpy version of kernels._run: weighted least squares by Householder QR of [√λ·RZ; s y]."""
    n, M = obs.shape
    m = M * d
    W = np.zeros((M, m))
    W[:, :M] = np.eye(M)
    RZ, s, ms, count = None, np.zeros(m), 0.0, 0
    pred, err1 = np.zeros((n, M)), np.zeros(n)
    for t in range(n):
        y = obs[t]
        if count >= d:
            e = y - W @ s
            nrm = np.linalg.norm(e)
            clip = robust * np.sqrt(ms) if (robust > 0 and count >= warmup) else 0.0
            if count == d:
                r0 = np.sqrt(max(ridge, kernels.PRIOR) * max(s @ s, kernels.TINY) / m) * np.eye(m)
                RZ = np.hstack([r0, r0 @ W.T])
            if not (clip > 0 and nrm > clip):                 # outliers are reported, not learnt
                RZ = _triangular(np.vstack([np.sqrt(lam) * RZ, np.concatenate([s, y])]))
                if ridge > 0:
                    row = np.zeros(m + M)
                    row[t % m] = np.sqrt(ridge * (s @ s))
                    RZ = _triangular(np.vstack([RZ, row]))
                W = solve_triangular(RZ[:, :m], RZ[:, m:]).T
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


@pytest.mark.parametrize("M,ridge", [(2, 0.0), (2, 1e-6), (6, 0.0)])
def test_kernel_matches_reference(M, ridge):
    """M = 6 takes the RLS model step between re-solves, M = 2 the back-substitution every tick."""
    rng = np.random.default_rng(0)
    n = 300 if PURE_PYTHON else 600
    t = np.arange(n) / 200
    X = np.stack([np.sin(2 * np.pi * (1 + 0.7 * j) * t + j) for j in range(M)], 1)
    X += 0.05 * rng.standard_normal((n, M))
    X[150] += 1.0                                             # an outlier exercises the rejection
    node = make(list(range(M)), M, delays=3, ridge=ridge, warmup_ms=100)
    got = feed(node, X)
    W, pred, err1 = reference(X, 3, node.params.forgetting, 4.0, node.warmup_ticks, node.horizon, ridge)
    np.testing.assert_allclose(node.state.W, W, rtol=1e-7, atol=1e-9)
    # for the first ≈ m ticks the fit is underdetermined: W there is set by a 1e-30 prior and
    # by rounding, differently in each implementation; from then on the data determine it
    done = slice(5 * M * 3, None)
    np.testing.assert_allclose(got["prediction"][done], pred[done], rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(got["error1"][done, 0], err1[done], rtol=1e-7, atol=1e-10)
    assert got["error1"][150, 0] > 5 * np.median(got["error1"][100:, 0])    # the outlier is reported


def test_model_equals_weighted_least_squares():
    rng = np.random.default_rng(1)
    n, lam, d = 600, 0.99, 2
    X = np.zeros((n, 2))
    for k in range(2, n):                                     # a noisy stable AR(2) pair
        X[k] = 1.6 * X[k - 1] - 0.8 * X[k - 2] + 0.1 * rng.standard_normal(2)
    node = make([0, 1], 2, delays=d, forgetting=lam, robust=0.0)
    feed(node, X)
    U = np.hstack([X[1:-1], X[:-2]])                          # every complete embedding s_{t-1} = [o_{t-1}, o_{t-2}]
    Y = X[2:]
    w = np.sqrt(lam ** np.arange(len(Y))[::-1])
    Wls = np.linalg.lstsq(U * w[:, None], Y * w[:, None], rcond=None)[0].T
    np.testing.assert_allclose(node.state.W, Wls, rtol=1e-10, atol=1e-12)


# ---- exactness on noise-free scalar signals (issue 8) ------------------------------------------------------------

def sum_of_sinusoids(k, seed, n=1200, band=(0.2, 40.0)):
    """k random sinusoids (frequency in band Hz at 200 Hz, amplitude 0.2–2, any phase) on one channel."""
    rng = np.random.default_rng(1000 * k + seed)
    f = rng.uniform(*band, k)
    a = rng.uniform(0.2, 2.0, k)
    ph = rng.uniform(0, 2 * np.pi, k)
    t = np.arange(n) / 200
    return (a[:, None] * np.cos(2 * np.pi * f[:, None] * t + ph[:, None])).sum(0)


def batch_forecast(x, d, horizon=H):
    """Batch (exact) DMD on the same embedding: one least-squares fit on every sample, iterated forecasts."""
    n = len(x)
    U = np.stack([x[d - 1 - j:n - 1 - j] for j in range(d)], 1)       # s_t = [x_t … x_{t-d+1}], t = d-1 … n-2
    w = np.linalg.lstsq(U, x[d:], rcond=None)[0]
    B = np.stack([x[d - 1 - j:n - j] for j in range(d)], 1)
    for _ in range(horizon):
        o = B @ w
        B = np.concatenate([o[:, None], B[:, :-1]], 1)
    pred = np.full(n, np.nan)
    pred[d - 1:] = o                                                 # pred[t]: forecast of x[t + horizon]
    return pred


def nrmse(pred, x, start):
    e = (pred[:-H] - x[H:])[start:]
    return np.sqrt((e ** 2).mean() / (x ** 2).mean())


SEEDS = range(2) if PURE_PYTHON else range(6)


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_sum_of_sinusoids_on_one_channel_is_forecast_exactly(k):
    warm = 50                                                 # 250 ms: the default warm-up
    for seed in SEEDS:
        x = sum_of_sinusoids(k, seed, n=600 if PURE_PYTHON else 1200)
        for d in (2 * k, 2 * k + 3):
            node = make([], 1, labels=("x",), delays=d)       # default channels: every input channel
            got = nrmse(feed(node, x[:, None], chunk=50)["prediction"][:, 0], x, warm)
            ref = nrmse(batch_forecast(x, d), x, warm)
            assert ref <= 1e-6, (k, seed, d, ref)
            assert got <= 1e-6, (k, seed, d, got, ref)
            assert got <= 10 * ref + 1e-11, (k, seed, d, got, ref)


def test_exactness_does_not_depend_on_scale():
    x = sum_of_sinusoids(3, 0, n=800)
    for scale in (1e-6, 1.0, 1e6):
        p = feed(make([0], 1, delays=6), scale * x[:, None])["prediction"][:, 0]
        assert nrmse(p, scale * x, 50) <= 1e-8


def test_outliers_are_reported_not_learnt():
    """A phase kick on noise-free rotations (cos/sin observables, the RLS step) is a surprise, not a model."""
    n = 1200 if PURE_PYTHON else 2400
    t = np.arange(n) / 200
    ph = 2 * np.pi * np.array([0.7, 2.3, 4.1, 5.9])[None, :] * t[:, None]
    ph[n // 2:, 1] += 0.8
    node = make([], 4, labels=[f"phase:p{i}" for i in range(4)])
    out = feed(node, ph % (2 * np.pi), chunk=64)
    obs = node.observables(ph)
    assert out["prediction"].shape == (n, 8) and np.abs(out["prediction"][50:]).max() < 1.5   # after warm-up
    e1 = out["error1"][:, 0]
    assert e1[n // 2] > 0.1 and np.all(e1[n // 2 - 200:n // 2] < 1e-9)
    late = slice(n // 2 + 50, None)
    assert np.abs(out["prediction"][:-H] - obs[H:])[late].max() < 1e-9


def test_block_size_does_not_change_anything():
    x = sum_of_sinusoids(2, 1, n=400)[:, None] + 0.01 * np.random.default_rng(3).standard_normal((400, 1))
    ref = feed(make([0], 1, delays=5), x, chunk=400)
    for chunk in (1, 7, 37):
        got = feed(make([0], 1, delays=5), x, chunk=chunk)
        for k in ref:
            np.testing.assert_array_equal(got[k], ref[k], err_msg=f"{k}, chunk {chunk}")


@pytest.mark.skipif(PURE_PYTHON, reason="300 000 ticks")
def test_long_exact_silence_stays_regular():
    x = np.concatenate([np.zeros(300_000), sum_of_sinusoids(2, 2, n=2000)])[:, None]
    node = make([0], 1, delays=6)
    out = feed(node, x, chunk=20_000)
    assert np.isfinite(out["prediction"]).all() and np.isfinite(node.state.RZ).all()
    assert np.diag(node.state.RZ[:, :6]).min() > 0


# ---- the 50 ms forecast and eigenvalues on several channels ---------------------------------------------------

def three_sines(n=2400):
    t = np.arange(n) / 200
    f = [4.2, 7.1, 0.6]
    return np.stack([sum((1 + 0.3 * j) * np.cos(2 * np.pi * fk * t + ph * (j + 1))
                         for fk, ph in zip(f, [0.3, 1.1, 2.0])) for j in range(3)], 1)


def test_noise_free_three_sinusoids_forecast_and_eigs():
    X = three_sines()
    node = make([0, 1, 2], 3)
    out = feed(node, X, chunk=100)
    assert node.horizon == H
    e = out["prediction"][:-H] - X[H:]
    late = slice(1200, None)                                  # after 6 s of warm-up
    nrmse3 = np.sqrt((e[late] ** 2).mean() / (X ** 2).mean())
    persistence = np.sqrt(((X[:-H] - X[H:])[late] ** 2).mean() / (X ** 2).mean())
    assert nrmse3 <= 1e-6 and persistence > 0.5
    err = out["error"][-1000:, 0]
    assert err.max() < 1e-5 * np.sqrt((X ** 2).sum(1).mean())
    freqs = out["eigs"][-1, 0::2][:3]
    growth = out["eigs"][-1, 1::2][:3]
    np.testing.assert_allclose(sorted(freqs), [0.6, 4.2, 7.1], atol=1e-4)
    assert np.all(np.abs(growth) < 1e-3)


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


# ---- channel selection, validation, warm-up -------------------------------------------------------------------

def test_phase_labels_become_cos_sin_and_errors():
    from psigraph.errors import PortError
    spec = SignalSpec(120, 2, "float64", ("phase:a", "amp:a"), 200.0)
    node = instantiate(KoopmanMonitor, {"channels": ["phase:a", "amp:a"]}, inputs={"x": spec})
    assert node.out_specs["prediction"].labels == ("cos:a", "sin:a", "amp:a")
    assert node.out_specs["eigs"].labels[:2] == ("freq0", "growth0")
    with pytest.raises(PortError, match="did you mean 'phase:a'"):
        instantiate(KoopmanMonitor, {"channels": ["phase:b"]}, inputs={"x": spec})


def test_default_channels_are_every_input_channel():
    spec = SignalSpec(120, 3, "float64", ("phase:a", "amp:a", ""), 200.0)
    node = instantiate(KoopmanMonitor, {}, inputs={"x": spec})
    assert node.params.channels == []
    assert node.out_specs["prediction"].labels == ("cos:a", "sin:a", "amp:a", "2")
    assert node.out_specs["correction"].labels == ("corr:cos:a", "corr:sin:a", "corr:amp:a", "corr:2")
    X = np.random.default_rng(0).uniform(0, 6, (50, 3))
    out = feed(node, X)
    assert out["prediction"].shape == (50, 4)
    np.testing.assert_allclose(node.observables(X), np.stack([np.cos(X[:, 0]), np.sin(X[:, 0]), X[:, 1], X[:, 2]], 1))
    unlabelled = instantiate(KoopmanMonitor, {}, inputs={"x": SignalSpec(120, 2, "float64", (), 200.0)})
    assert unlabelled.out_specs["prediction"].labels == ("0", "1")


def test_check_reports_channels_the_input_lacks():
    spec = SignalSpec(120, 3, "float64", ("phase:syllable", "phase:jaw", "amp:jaw"), 200.0)
    p = KoopmanParams.from_dict({"channels": ["phase:syllabel", "amp:jaw", 7]})
    issues = KoopmanMonitor.check(p, {"x": spec})
    assert [(i.path, i.code) for i in issues] == [("params.channels", "input.unknown_channel"),
                                                  ("params.channels", "input.channel_out_of_range")]
    assert "did you mean 'phase:syllable'" in issues[0].message
    assert "available: 'phase:syllable', 'phase:jaw', 'amp:jaw'" in issues[0].message
    assert "0..2" in issues[1].message
    assert KoopmanMonitor.check(KoopmanParams(), {"x": spec}) == []            # default: every channel
    assert KoopmanMonitor.check(p, {}) == []                                   # input not resolved: nothing to say
    bare = SignalSpec(120, 1, "float64", (), 200.0)
    (issue,) = KoopmanMonitor.check(KoopmanParams.from_dict({"channels": ["phase:syllable"]}), {"x": bare})
    assert issue.code == "input.unknown_channel" and "no channel labels" in issue.message
    wide = SignalSpec(120, 400, "float64", tuple(f"phase:o{i}" for i in range(400)), 200.0)
    (issue,) = KoopmanMonitor.check(KoopmanParams(), {"x": wide})
    assert issue.code == "param.embedding_too_large" and "channels: ['phase:o0', 'phase:o1']" in issue.message


def test_params_reject_bad_channel_entries():
    from psigraph.errors import ParamError
    for bad in ([True], [1.5], [-1], [["a"]]):
        with pytest.raises(ParamError, match="channel"):
            KoopmanParams.from_dict({"channels": bad})


def test_warmup_compiles_without_touching_state():
    node = make([0, 1], 2, delays=3)
    feed(node, three_sines(100)[:, :2])
    before = copy.deepcopy(node.state)
    node.warmup()
    after = node.state
    for f in ("tick", "count", "ms"):
        assert getattr(after, f) == getattr(before, f)
    for f in ("RZ", "W", "s", "one", "ring", "eigs"):
        np.testing.assert_array_equal(getattr(after, f), getattr(before, f))
