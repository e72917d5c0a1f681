"""psi_core's ``coupling_edits`` (the coupling-matrix editor's param): selectors, validation,
YAML round trip, the default path untouched, dense K_ij semantics, the Kuramoto threshold
reached by an edited block, and a hot change at an exact sample."""
import numpy as np
import pytest

import psigraph
from psigraph import Graph, registry
from psigraph.errors import ParamError
from psigraph.testing import instantiate

registry.import_pack("psigraph.nodes.psi.node")
from psigraph.nodes.psi.coupling import apply_edits, band_matrix, critical_coupling, select  # noqa: E402
from psigraph.nodes.psi.layout import build  # noqa: E402
from psigraph.nodes.psi.node import PsiCore  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")

P = 120
SMALL = dict(bands=[{"name": "fast", "count": 16, "period_ms": 25, "spread_hz": 0.3},
                    {"name": "slow", "count": 8, "period_ms": 250, "spread_hz": 0.1}],
             roles=[{"name": "syl", "period_ms": 250, "band": "slow", "pull": 1.0}], constraints=[])


def run(node, n_ticks, chunk=50):
    outs = {"state": [], "r": [], "energy": []}
    k = node.state.tick
    end = k + n_ticks
    while k < end:
        nxt = min(end, k + chunk)
        node.t0, node.t1 = k * P, nxt * P
        o = node.process(score=[])
        for key in outs:
            outs[key].append(o[key])
        k = nxt
    return {key: np.concatenate(v) for key, v in outs.items()}


def test_selectors_name_the_oscillators_in_state_order():
    L = build(SMALL["bands"], SMALL["roles"], [])
    assert L.names[0] == "syl" and L.n == 25
    assert list(select(L, "fast")) == list(range(1, 17))
    assert list(select(L, "slow")) == list(range(17, 25))
    assert list(select(L, "syl")) == [0] and list(select(L, "fast3")) == [4]
    assert list(select(L, "fast[2:5]")) == [3, 4, 5] and list(select(L, "slow[6:]")) == [23, 24]
    assert list(select(L, "[0:3]")) == [0, 1, 2] and len(select(L, "*")) == 25
    for bad, msg in [("fats", "did you mean 'fast'"), ("fast[5:2]", "empty"), ("slow[0:9]", "outside"),
                     ("nope[0:1]", "unknown band"), ("", "selector")]:
        with pytest.raises(ParamError, match=msg):
            select(L, bad)


def test_edits_set_and_scale_blocks_in_order():
    L = build(SMALL["bands"], SMALL["roles"], [])
    base = band_matrix(L, np.array([2.0, 4.0]))
    assert base[1, 2] == 2.0 / 16 and base[17, 18] == 4.0 / 8 and base[0].sum() == 0 and base[1, 17] == 0
    k = apply_edits(L, base, [{"rows": "fast", "cols": "slow", "set": 0.25},
                              {"rows": "slow", "cols": "slow", "scale": 3.0},
                              {"rows": "syl", "cols": "fast0", "set": -1.0}])
    assert np.all(k[1:17, 17:25] == 0.25) and np.all(k[17:25, 1:17] == 0.0)
    assert np.allclose(k[17:25, 17:25], 1.5) and k[0, 1] == -1.0
    assert np.array_equal(base, band_matrix(L, np.array([2.0, 4.0])))        # the base is not modified


@pytest.mark.parametrize("edits, where, msg", [
    ([{"rows": "fats", "cols": "fast", "set": 1.0}], "coupling_edits[0].rows", "did you mean"),
    ([{"rows": "fast", "cols": "fast", "set": 1.0, "scale": 2.0}], "coupling_edits[0]", "exactly one"),
    ([{"rows": "fast", "cols": "fast"}], "coupling_edits[0]", "exactly one"),
    ([{"rows": "fast", "set": 1.0}], "coupling_edits[0].cols", "required"),
    ([{"rows": "fast", "cols": "fast", "set": float("nan")}], "coupling_edits[0].set", "finite"),
    ([{"rows": "fast", "cols": "fast", "set": True}], "coupling_edits[0].set", "finite"),
    ([{"rows": "fast", "cols": "fast", "gain": 1.0}], "coupling_edits[0].gain", "unknown key"),
    (["fast"], "coupling_edits[0]", "mapping"),
])
def test_invalid_edits_are_refused_with_a_located_message(edits, where, msg):
    with pytest.raises(ParamError, match=msg) as exc:
        instantiate(PsiCore, dict(SMALL, coupling_edits=edits))
    assert where in str(exc.value)


def test_check_reports_bad_edits_like_validate():
    g = Graph("g", 24000, 1, {"control": 200})
    g.add_node("core", "psi_core", dict(SMALL))
    g.nodes["core"].params["coupling_edits"] = [{"rows": "fast", "cols": "slwo", "set": 1.0}]
    issues = psigraph.check(g)
    assert any("coupling_edits[0].cols" in i.format() and "slow" in i.format() for i in issues)


def test_default_path_is_untouched_and_identity_edit_matches_it():
    a = instantiate(PsiCore, dict(SMALL), seed=2)
    b = instantiate(PsiCore, dict(SMALL, coupling_edits=[]), seed=2)
    c = instantiate(PsiCore, dict(SMALL, coupling_edits=[{"rows": "*", "cols": "*", "scale": 1.0}]), seed=2)
    assert not a.use_matrix and not b.use_matrix and c.use_matrix
    ra, rb, rc = run(a, 200), run(b, 200), run(c, 200)
    for key in ra:
        assert np.array_equal(ra[key], rb[key])                  # bit-identical default
    n = a.layout.n
    d = np.abs((ra["state"][:, :n] - rc["state"][:, :n] + np.pi) % (2 * np.pi) - np.pi)
    assert d.max() < 1e-8                                        # the dense K_ij is the same coupling
    np.testing.assert_allclose(ra["energy"], rc["energy"], atol=1e-8)


def test_edits_round_trip_through_yaml():
    g = Graph("rt", 24000, 1, {"control": 200})
    edits = [{"rows": "fast[0:8]", "cols": "fast", "set": 0.125}, {"rows": "slow", "cols": "slow", "scale": 2.5}]
    g.add_node("core", "psi_core", dict(SMALL, coupling_edits=edits))
    text = psigraph.dumps(g)
    again = psigraph.loads(text)
    assert again.nodes["core"].params["coupling_edits"] == edits
    assert psigraph.dumps(again) == text


def test_an_edited_block_at_three_times_critical_synchronizes():
    """A band coupled below K_c stays incoherent; setting its block K_ij = 3·K_c/N gives
    r ≈ √(1 − 1/3) ≈ 0.82 (Kuramoto, Lorentzian spread)."""
    spread, n = 1.0, 128
    kc = critical_coupling(spread)
    assert kc == pytest.approx(4 * np.pi * spread)
    p = dict(bands=[{"name": "b", "count": n, "period_ms": 25, "spread_hz": spread, "coupling": 0.5 * kc}],
             roles=[], constraints=[], noise=0.0, upward_gain=0.0, downward_gain=0.0)
    free = run(instantiate(PsiCore, p, seed=11), 600, chunk=200)["r"][-200:, 0].mean()
    edited = run(instantiate(PsiCore, dict(p, coupling_edits=[{"rows": "b", "cols": "b", "set": 3 * kc / n}]),
                             seed=11), 600, chunk=200)["r"][-200:, 0].mean()
    assert free < 0.3
    assert edited > 0.7 and abs(edited - np.sqrt(2 / 3)) < 0.08


def test_hot_change_of_edits_at_an_exact_sample(tmp_path):
    from psigraph.runtime import Session
    g = Graph("hot", 24000, 1, {"control": 200})
    g.add_node("core", "psi_core", dict(SMALL))
    edit = [{"rows": "fast", "cols": "fast", "set": 0.0}]
    a, b = Session(g), Session(g)
    ta, tb = a.tap("core.r"), b.tap("core.r")
    a.run(until=48000)
    b.schedule(1.0, "core.coupling_edits", edit)
    b.run(until=48000)
    ra, rb = np.asarray(ta), np.asarray(tb)
    assert np.array_equal(ra[:200], rb[:200]) and not np.allclose(ra[200:, 0], rb[200:, 0])
    assert b.node("core").use_matrix and np.all(b.node("core").kmat[1:17, 1:17] == 0.0)
