"""psi_core → koopman_monitor → surprise_detector through the real runtime."""
import os

import numpy as np
import pytest

from psigraph import Graph, chain as names, registry
from psigraph.ports import Event
from psigraph.runtime import Session

for _m in ("psi", "koopman", "surprise"):
    registry.import_pack(f"psigraph.nodes.{_m}.node")
registry.import_pack("psigraph.testing")

pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
PURE_PYTHON = os.environ.get("NUMBA_DISABLE_JIT") == "1"
SR = 24000


def chain(seed=5, core=None):
    g = Graph(seed=seed)
    g.add_node("core", "psi_core", {"roles": names.SPEAK_ROLES, "constraints": names.SPEAK_CONSTRAINTS,
                                    **(core or {})})
    g.add_node("kp", "koopman_monitor", {"channels": names.SPEAK_OBSERVABLES})
    g.add_node("sd", "surprise_detector", {})
    g.add_node("ev", "event_collector", {})
    g.connect("core.state", "kp.x")
    g.connect("kp.error1", "sd.error")
    g.connect("sd.events", "ev.x")
    return g


SMALL_CORE = {"bands": [{"name": "micro", "count": 16, "period_ms": 25, "spread_hz": 0.5, "coupling": 15.0},
                        {"name": "meso", "count": 8, "period_ms": 250, "spread_hz": 0.1, "coupling": 4.0},
                        {"name": "macro", "count": 4, "period_ms": 2000, "spread_hz": 0.02, "coupling": 1.0}]}


def _run(block, duration):
    s = Session(chain(core=SMALL_CORE), block=block)
    refs = ["core.state", "core.r", "core.energy", "kp.prediction", "kp.error", "kp.error1", "kp.eigs",
            "sd.threshold"]
    for r in refs:
        s.tap(r)
    for t, kind, pl in [(4800, "syllable", {"dur": 4800, "stress": 1}),
                        (7001, "kick", {"role": "syllable", "dphase": 0.5}),
                        (9000, "emotion", {"vad": [0.5, 0.5, 0.0]})]:
        s.post("core.score", Event(t, kind, pl))
    s.run(duration=duration)
    return {r: s.tap(r) for r in refs}, s.node("ev").events


@pytest.mark.parametrize("block", [1, 120, 480])
def test_chain_block_size_invariance(block):
    dur = 0.1 if block == 1 else 0.4
    ref, ref_ev = _run(4800, 0.4)
    got, got_ev = _run(block, dur)
    for r in got:
        np.testing.assert_array_equal(got[r], ref[r][:len(got[r])], err_msg=r)
    assert [e for e in got_ev] == [e for e in ref_ev if e.t < dur * SR]


def _observed(s, node_id="kp"):
    node = s.node(node_id)
    return node.observables(s.tap("core.state")), s.tap(f"{node_id}.prediction"), node.horizon


def test_live_core_forecast_beats_persistence():
    s = Session(chain(), block=4800)
    s.tap("core.state")
    s.tap("kp.prediction")
    s.run(duration=6 if PURE_PYTHON else 12)
    X, P, H = _observed(s)
    late = slice(600, None)
    rms = np.sqrt((X ** 2).mean())
    nrmse = np.sqrt(((P[:-H] - X[H:])[late] ** 2).mean()) / rms
    persistence = np.sqrt(((X[:-H] - X[H:])[late] ** 2).mean()) / rms
    assert nrmse <= 0.25 * persistence, (nrmse, persistence)


def test_kicks_detected_and_no_false_alarms():
    dur = 6 if PURE_PYTHON else 30
    rng = np.random.default_rng(7)
    s = Session(chain(), block=480)
    kicks, t = [], 2.0
    roles = ["syllable", "jaw", "breath", "head_yaw"]
    while t < dur - 1:
        k = int(t * SR)
        kicks.append(k)
        s.post("core.score", Event(k, "kick", {"role": roles[len(kicks) % 4],
                                               "dphase": float(rng.choice([-1, 1]) * rng.uniform(0.3, 0.5))}))
        t += rng.uniform(0.8, 1.6)
    s.run(duration=dur)
    evs = [e.t for e in s.node("ev").events]
    hit = sum(any(0 <= e - k <= 0.05 * SR for e in evs) for k in kicks)
    assert hit >= 0.95 * len(kicks), (hit, len(kicks))
    stray = [e for e in evs if not any(0 <= e - k <= 0.3 * SR for k in kicks)]
    assert len(stray) <= dur / 10

    quiet = Session(chain(), block=480)
    quiet.run(duration=dur)
    assert len(quiet.node("ev").events) <= dur / 10


def test_demo_graph_loads_round_trips_and_runs(tmp_path):
    import pathlib

    from psigraph import dumps, load
    path = pathlib.Path(__file__).resolve().parents[2] / "graphs" / "psi_core.yaml"
    g = load(str(path))
    assert dumps(g) == path.read_text()
    s = Session(g, block=480, out_dir=str(tmp_path))
    s.run(duration=0.5)
    s.close()
    r = np.load(tmp_path / "psi_r.npy")
    assert r.shape == (100, 3) and np.all((r >= 0) & (r <= 1))
