"""psi_core: kernel vs numpy reference, Kuramoto invariants, Lorentzian threshold, events, block invariance."""
import pickle

import numpy as np
import pytest

from psigraph import Graph, registry
from psigraph.ports import Event
from psigraph.testing import empty_inputs, instantiate

registry.import_pack("psigraph.nodes.psi.node")
from psigraph.nodes.psi import kernels  # noqa: E402
from psigraph.nodes.psi.node import PsiCore  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
TWO_PI = 2 * np.pi
P = 120                                          # control period in master samples


def run_node(node, n_ticks, events=(), chunk=40):
    """Drive an instantiated node tick-aligned; events as (tick, Event)."""
    outs = {"state": [], "r": [], "energy": []}
    pending = sorted(events, key=lambda e: e[0])
    k = node.state.tick
    end = k + n_ticks
    while k < end:
        evs = [e for t, e in pending if t == k]
        nxt = min([t for t, _ in pending if t > k] + [end, k + chunk])
        node.t0, node.t1 = k * P, nxt * P
        o = node.process(score=evs)
        for key in outs:
            outs[key].append(o[key])
        k = nxt
    return {key: np.concatenate(v) for key, v in outs.items()}


def wrapdiff(a, b):
    return np.abs((a - b + np.pi) % TWO_PI - np.pi)


# ---------------------------------------------------------------- numpy reference
def reference(node, n_ticks):
    """Slow reference of kernels._advance: plain RK4 on the slow part with libm trig everywhere."""
    L, st, p = node.layout, node.state, node.params
    th = st.theta.copy()
    amp = st.amp.copy()
    f_s, f_phase, f_omega, f_end = st.f_s.copy(), st.f_phase.copy(), st.f_omega.copy(), st.f_end.copy()
    amp_eq, amp_decay = st.amp_eq.copy(), st.amp_decay.copy()
    omega, S, dt = node.omega, p.substeps, node.dt
    h = dt / S
    nb = len(L.band_names)
    n_roles = L.n - int(L.band_count.sum())
    up, down = p.upward_gain, p.downward_gain
    members = [np.arange(L.band_start[b], L.band_start[b] + L.band_count[b]) for b in range(nb)]
    locks = list(zip(node.lock_a, node.lock_b, node.lock_n, node.lock_m, node.lock_w, node.lock_off))

    def G(t, tau):
        g = np.zeros(L.n)
        Z = [np.mean(np.exp(1j * t[m])) for m in members]
        Pn = [None] + [np.mean(np.exp(1j * L.band_ratio[b - 1] * t[members[b]])) for b in range(1, nb)]
        for b, m in enumerate(members):
            k = 0.0 if node.use_matrix else node.band_k[b]
            g[m] = k * np.imag(Z[b] * np.exp(-1j * t[m]))
            if b + 1 < nb:
                g[m] += down * np.imag(Pn[b + 1] * np.exp(-1j * t[m]))
            if b >= 1:
                g[m] += up * np.imag(Z[b - 1] * np.exp(-1j * L.band_ratio[b - 1] * t[m]))
        for i in range(n_roles):
            if L.role_band[i] >= 0:
                g[i] = L.role_pull[i] * np.imag(Z[L.role_band[i]] * np.exp(-1j * L.role_q[i] * t[i]))
        if node.use_matrix:
            g += np.sum(node.kmat * np.sin(t[None, :] - t[:, None]), axis=1)
        g += f_s * np.sin(f_phase + f_omega * tau - t)
        for a, b, n_, m_, w, off in locks:
            u = np.sin(n_ * t[a] - m_ * t[b] - off)
            g[a] -= w * n_ * u
            g[b] += w * m_ * u
        return g

    out = np.zeros((n_ticks, 2 * L.n))
    r = np.zeros((n_ticks, nb))
    e = np.zeros((n_ticks, nb + 1))
    for t in range(n_ticks):
        tick = st.tick + t
        out[t, :L.n] = th
        out[t, L.n:] = amp
        for b, m in enumerate(members):
            r[t, b] = np.abs(np.mean(np.exp(1j * th[m])))
            d = th[m][:, None] - th[m][None, :]
            kk = node.kmat[np.ix_(m, m)] if node.use_matrix else node.band_k[b] / len(m)
            e[t, b] = -0.5 * np.sum(kk * np.cos(d))
        e[t, nb] = sum(-w * np.cos(n_ * th[a] - m_ * th[b] - off) for a, b, n_, m_, w, off in locks)
        for s in range(S):
            k1 = G(th, 0.0)
            k2 = G(th + 0.5 * h * omega + 0.5 * h * k1, 0.5 * h)
            k3 = G(th + 0.5 * h * omega + 0.5 * h * k2, 0.5 * h)
            k4 = G(th + h * omega + h * k3, h)
            th = th + omega * h + h * (k1 + 2 * k2 + 2 * k3 + k4) / 6
            base = (tick * S + s) * L.n
            with np.errstate(over="ignore"):
                xi = np.array([kernels._gauss(node.seed_u, base + i) for i in range(L.n)])
            th = th + node.sig * np.sqrt(h) * xi
            f_phase = f_phase + np.where(f_s != 0, f_omega * h, 0.0)
        th = th % TWO_PI
        amp = amp_eq + (amp - amp_eq) * amp_decay
        done = f_end == tick + 1
        f_s[done] = 0.0
        f_end[done] = -1
        amp_eq[done] = st.amp_rest[done]
        amp_decay[done] = np.exp(-node.amp_rate[done] * dt)
    return out, r, e


SMALL = dict(
    bands=[{"name": "fast", "count": 6, "period_ms": 25, "spread_hz": 1.0, "coupling": 12.0},
           {"name": "slow", "count": 4, "period_ms": 250, "spread_hz": 0.3}],
    roles=[{"name": "syllable", "period_ms": 250, "band": "slow", "pull": 1.5, "amp": 0.0},
           {"name": "jaw", "period_ms": 270, "band": "slow", "pull": 0.5, "amp": 0.0},
           {"name": "breath", "period_ms": 600, "band": "slow", "pull": 0.8},
           {"name": "smile", "period_ms": 3000, "amp": 0.0, "noise": 0.5}],
    constraints=[{"lock": ["jaw", "syllable"], "weight": 2.0, "offset": 0.3},
                 {"lock": ["breath", "syllable"], "weight": 0.5, "ratio": [1, 2]}],
    coupling=3.0, upward_gain=0.8, downward_gain=0.6, noise=0.2)


@pytest.mark.parametrize("substeps", [1, 3])
def test_kernel_matches_numpy_reference(substeps):
    node = instantiate(PsiCore, dict(SMALL, substeps=substeps), seed=5)
    node._apply(Event(0, "force", {"role": "breath", "phase": 1.0, "amp": 0.4, "strength": 6.0, "dur": 2400}))
    node._apply(Event(0, "force", {"role": "smile", "phase": None, "amp": 0.9, "strength": 4.0}))
    want, r_ref, e_ref = reference(node, 60)
    got = run_node(node, 60)
    n = node.layout.n
    assert np.max(wrapdiff(got["state"][:, :n], want[:, :n])) < 1e-9
    np.testing.assert_allclose(got["state"][:, n:2 * n], want[:, n:], rtol=0, atol=1e-12)
    np.testing.assert_allclose(got["r"], r_ref, rtol=0, atol=1e-10)
    np.testing.assert_allclose(got["energy"], e_ref, rtol=0, atol=1e-9)
    assert node.state.f_s[node.layout.role_index["breath"]] == 0.0      # the timed force ended


def test_matrix_coupling_matches_reference_and_all_to_all():
    base = dict(SMALL, constraints=[], noise=0.0)
    a = instantiate(PsiCore, base, seed=1)
    n = a.layout.n
    k = np.zeros((n, n))
    for b in range(2):
        s0, c = a.layout.band_start[b], a.layout.band_count[b]
        k[s0:s0 + c, s0:s0 + c] = a.band_k[b] / c
    m = instantiate(PsiCore, dict(base, coupling_matrix=k.tolist()), seed=1)
    want, _, e_ref = reference(m, 40)
    got_m = run_node(m, 40)
    got_a = run_node(a, 40)
    assert np.max(wrapdiff(got_m["state"][:, :n], want[:, :n])) < 1e-9
    np.testing.assert_allclose(got_m["energy"], e_ref, atol=1e-9)
    assert np.max(wrapdiff(got_m["state"][:, :n], got_a["state"][:, :n])) < 1e-9
    np.testing.assert_allclose(got_m["energy"], got_a["energy"], atol=1e-9)


def _one_band(count, spread_hz, k, **kw):
    return dict(bands=[{"name": "b", "count": count, "period_ms": 25, "spread_hz": spread_hz, "coupling": k}],
                roles=[], constraints=[], noise=0.0, upward_gain=0.0, downward_gain=0.0, **kw)


def test_lyapunov_energy_never_increases_and_equals_one_minus_r2():
    K, N = 6.0, 32
    node = instantiate(PsiCore, _one_band(N, 0.0, K), seed=3)
    out = run_node(node, 400)
    V, r = out["energy"][:, 0], out["r"][:, 0]
    assert np.max(np.diff(V)) <= 1e-9
    assert V[-1] < V[0] - 1.0                                    # it did relax
    th = out["state"][:, :N]
    d = th[:, :, None] - th[:, None, :]
    v_pair = -0.5 * (K / N) * np.cos(d).sum(axis=(1, 2))
    np.testing.assert_allclose(V, v_pair, atol=1e-9)
    v_norm = 1.0 + 2.0 * V / (K * N)
    np.testing.assert_allclose(v_norm, 1.0 - r ** 2, atol=1e-9)
    iu = np.triu_indices(N, 1)
    moler = 4.0 / N ** 2 * np.sum(np.sin((th[:, iu[1]] - th[:, iu[0]]) / 2) ** 2, axis=1)
    np.testing.assert_allclose(moler, 1.0 - r ** 2, atol=1e-9)


@pytest.mark.parametrize("factor, lo, hi", [(0.5, 0.0, 0.3), (3.0, 0.7, 1.0)])
def test_lorentzian_synchronization_threshold(factor, lo, hi):
    spread = 1.0                                     # Hz half-width
    gamma = TWO_PI * spread
    kc = 2 * gamma
    node = instantiate(PsiCore, _one_band(128, spread, factor * kc), seed=11)
    out = run_node(node, 600, chunk=200)
    r_last = out["r"][-200:, 0].mean()
    assert lo <= r_last <= hi, r_last
    if factor > 1:
        assert abs(r_last - np.sqrt(1 - 1 / factor)) < 0.08        # r ≈ √(1 − K_c/K)


def test_substeps_converge():
    cfg = dict(SMALL, noise=0.0, roles=[dict(r, noise=0.0) for r in SMALL["roles"]])
    a = run_node(instantiate(PsiCore, dict(cfg, substeps=1), seed=2), 200)
    b = run_node(instantiate(PsiCore, dict(cfg, substeps=8), seed=2), 200)
    n = (a["state"].shape[1] - 28) // 2
    assert np.max(wrapdiff(a["state"][:, :n], b["state"][:, :n])) < 1e-5


def test_generic_defaults_have_no_roles():
    node = instantiate(PsiCore)
    labels = node.out_specs["state"].labels
    assert node.layout.n == 168 and not node.layout.role_index
    assert labels[0] == "phase:micro0" and "jaw" in labels          # tract channels follow the oscillators


def test_user_bands_alone_validate_and_run():
    node = instantiate(PsiCore, {"bands": [{"name": "slow", "count": 4, "period_ms": 500.0}]})
    node.t0, node.t1 = 0, 2400
    out = node.process(score=[Event(0, "syllable", {"dur": 4800}), Event(0, "force", {"role": "jaw", "amp": 1})])
    assert out["state"].shape == (20, 2 * 4 + 28) and np.all(np.isfinite(out["state"]))
    assert node.ignored_events == 1                                 # a force on a role it lacks is ignored


def test_labels_of_the_speak_layout():
    from psigraph.chain import speak_core_params
    node = instantiate(PsiCore, speak_core_params())
    labels = node.out_specs["state"].labels
    for lab in ("phase:syllable", "amp:smile", "phase:head_yaw", "phase:micro17", "amp:macro7", "F1", "jaw"):
        assert lab in labels
    assert labels.index("amp:syllable") == labels.index("phase:syllable") + node.layout.n
    assert node.layout.n == 168 + 9
    assert node.out_specs["r"].labels == ("r:micro", "r:meso", "r:macro")
    assert node.out_specs["energy"].labels[-1] == "V:grammar"


def test_member_role_and_bad_params():
    from psigraph.errors import ParamError
    node = instantiate(PsiCore, dict(roles=[{"name": "syllable", "member": "meso0"}], constraints=[]))
    assert "phase:syllable" in node.out_specs["state"].labels and node.layout.n == 168
    with pytest.raises(ParamError, match="did you mean 'meso0'"):
        PsiCore.Params(roles=[{"name": "syllable", "member": "mesa0"}], constraints=[])
    with pytest.raises(ParamError, match="unknown role 'jaw'"):
        PsiCore.Params(roles=[], constraints=[{"lock": ["jaw", "syllable"]}])
    with pytest.raises(ParamError, match="coupling_matrix"):
        instantiate(PsiCore, dict(SMALL, coupling_matrix=[[1.0]]))


def test_zero_length_span_keeps_state():
    node = instantiate(PsiCore, SMALL)
    run_node(node, 5)
    before = pickle.dumps(node.state)
    node.t0 = node.t1 = 5 * P
    out = node.process(**empty_inputs(node))
    assert out["state"].shape == (0, node.out_specs["state"].channels)
    assert pickle.dumps(node.state) == before


def test_syllable_events_entrain_and_emotion_sets_expression():
    node = instantiate(PsiCore, dict(SMALL, noise=0.0), seed=4)
    L = node.layout
    syl = L.role_index["syllable"]
    dur = 40 * P                                      # 200 ms syllables: 5 Hz against the 4 Hz role
    events = [(40 * j, Event(40 * j * P, "syllable", {"dur": dur, "stress": 1})) for j in range(1, 12)]
    events.append((20, Event(20 * P, "emotion", {"vad": [0.8, 0.2, 0.0]})))
    events.append((30, Event(30 * P, "target", {"values": {"F1": 700.0}, "tau_ms": 0, "mode": "step"})))
    out = run_node(node, 480, events)
    lab = node.out_specs["state"].labels
    ph = out["state"][:, syl]
    onsets = ph[[40 * j for j in range(6, 12)]]
    assert np.max(wrapdiff(onsets, 0.0)) < 0.25         # phase ≈ 0 at each onset once entrained
    assert out["state"][300, lab.index("amp:syllable")] > 0.8
    assert abs(out["state"][400, lab.index("amp:smile")] - 0.8) < 0.05
    assert out["state"][29, lab.index("F1")] == 500.0 and out["state"][30, lab.index("F1")] == 700.0


def test_force_pulls_role_to_phase_and_unknown_role_is_ignored():
    node = instantiate(PsiCore, dict(SMALL, noise=0.0, roles=[dict(r, noise=0.0) for r in SMALL["roles"]]), seed=4)
    i = node.layout.role_index["smile"]
    ev = Event(0, "force", {"role": "smile", "phase": 2.0, "amp": 1.0, "strength": 30.0})
    out = run_node(node, 200, [(0, ev)])
    ref = (2.0 + node.omega[i] * np.arange(200) * node.dt) % TWO_PI
    assert wrapdiff(out["state"][-1, i], ref[-1]) < 0.02
    assert abs(out["state"][-1, node.layout.n + i] - 1.0) < 0.01
    before = node.ignored_events
    node._apply(Event(0, "force", {"role": "smiel", "phase": 0.0}))     # unknown roles are ignored, counted
    assert node.ignored_events == before + 1


def test_grammar_lock_and_ablation():
    def lag(grammar):
        node = instantiate(PsiCore, dict(SMALL, noise=0.0, grammar=grammar,
                                         constraints=[{"lock": ["jaw", "syllable"], "weight": 4.0}]), seed=8)
        out = run_node(node, 600)
        a, b = node.layout.role_index["jaw"], node.layout.role_index["syllable"]
        return wrapdiff(out["state"][-200:, a], out["state"][-200:, b]).max(), out["energy"][-1, -1]
    on, e_on = lag(True)
    off, e_off = lag(False)
    assert on < 0.4 and off > 1.0            # 250 vs 270 ms: locked with a small lag, else drifting
    assert e_on < -3.9 and e_off == 0.0


def test_sad_slows_meso():
    cfg = dict(roles=[{"name": "syllable", "period_ms": 250, "band": "meso", "pull": 1.0}],
               constraints=[{"kind": "sad_slows", "band": "meso", "weight": 0.5}])
    node = instantiate(PsiCore, cfg)
    w0 = node.omega.copy()
    node._apply(Event(0, "emotion", {"vad": [-1.0, -0.5, 0.0]}))
    meso = node.layout.band_of == node.layout.band_names.index("meso")
    np.testing.assert_allclose(node.omega[meso], 0.5 * w0[meso])
    assert node.omega[node.layout.role_index["syllable"]] == 0.5 * w0[node.layout.role_index["syllable"]]
    micro = node.layout.band_of == 0
    np.testing.assert_array_equal(node.omega[micro], w0[micro])
    node.set_params(node.params.replace(grammar=False))
    np.testing.assert_array_equal(node.omega, w0)


def _graph(score_events=True):
    g = Graph(seed=9)
    g.add_node("core", "psi_core", dict(SMALL))
    return g


@pytest.mark.parametrize("block", [1, 120, 480, 4800])
def test_block_size_invariance(block):
    from psigraph.runtime import Session
    results = {}
    for b in sorted({block, 4800}):
        s = Session(_graph(), block=b)
        taps = {p: s.tap(f"core.{p}") for p in ("state", "r", "energy")}
        for t, kind, pl in [(1000, "syllable", {"dur": 4800, "stress": 1}),
                            (2999, "force", {"role": "breath", "phase": 0.5, "amp": 0.3, "strength": 5.0,
                                             "dur": 7000}),
                            (5000, "emotion", {"vad": [-0.5, -0.2, 0.0]}),
                            (6001, "target", {"values": {"F2": 1800.0, "jaw": 0.6}, "tau_ms": 40,
                                              "mode": "smooth"}),
                            (9000, "end", {}),
                            (34801, "target", {"values": {"F1": 650.0}, "tau_ms": 30, "mode": "ramp"})]:
            s.post("core.score", Event(t, kind, pl))
        s.schedule(0.04, "core.coupling", 4.0)
        s.run(duration=0.1 if b == 1 else 1.6)          # 1.6 s: past a tract batch refill (256 ticks)
        results[b] = {p: s.tap(f"core.{p}") for p in taps}
    if block != 4800:
        a, ref = results[block], results[4800]
        for p in a:
            np.testing.assert_array_equal(a[p], ref[p][:len(a[p])])


def test_tract_channels_equal_the_tract_module():
    from psigraph.kernels.tract import CHANNELS, Tract
    node = instantiate(PsiCore, SMALL)
    pls = [(10, {"values": {"F1": 700.0, "jaw": 0.5}, "tau_ms": 40, "mode": "smooth"}),
           (300, {"values": {"f0": 180.0}, "tau_ms": 100, "mode": "ramp"}),
           (301, {"values": {"viseme": 3}, "mode": "step"})]
    out = run_node(node, 600, [(k, Event(k * P, "target", pl)) for k, pl in pls], chunk=7)
    want = Tract(200.0).run(pls, 600)
    np.testing.assert_array_equal(out["state"][:, -len(CHANNELS):], want)


def test_seed_configuration_loads_as_it_is():
    seed = {"bands": [{"name": "micro", "period_ms": 25, "count": 128},
                      {"name": "meso", "period_ms": 250, "count": 32},
                      {"name": "macro", "period_ms": 2000, "count": 8}],
            "upward_gain": 0.15, "downward_gain": 0.07}
    node = instantiate(PsiCore, seed)
    assert list(node.layout.band_count) == [128, 32, 8]
    assert list(node.layout.band_ratio[:2]) == [10, 8]
    out = run_node(node, 40)
    assert np.all(np.isfinite(out["state"]))
    node.set_params(node.params.replace(coupling=9.0))            # hot: the global K drives every band
    np.testing.assert_array_equal(node.band_k, [9.0, 9.0, 9.0])
