"""working_memory: leaky integrals (τ) of the slow psi_core oscillator and of the heard events, the same for
any block size; snapshots stored every every_s in the ψ-memory and pruned after keep_s."""
import math

import numpy as np
import pytest

from psigraph import chain
from psigraph.ports import Event
from psigraph.graph import Graph
from psigraph.memory.working import LABELS, SNAPSHOT_TEXT, WORKING_ROLE
from psigraph.runtime import Session

SURPRISES = (1.0, 2.5, 3.0, 3.5)
TAU = 7.5


def _run(seconds, block=480, path="", every_s=2.0, keep_s=60.0):
    g = Graph("wm", seed=2)
    g.add_node("core", "psi_core", {"bands": [dict(chain.SEED_BANDS[2])], "roles": [dict(WORKING_ROLE)]})
    g.add_node("ev", "event_source", {"events": [{"t": t, "kind": chain.SURPRISE} for t in SURPRISES]
                                      + [{"t": 0.2 * i, "kind": chain.SYLLABLE_ONSET} for i in range(1, 11)]})
    g.add_node("wm", "working_memory", {"path": path, "every_s": every_s, "keep_s": keep_s, "tau_s": TAU})
    g.connect("core.state", "wm.state")
    g.connect("ev.y", "wm.events")
    with Session(g, block=block) as s:
        mem, state = s.tap("wm.memory"), s.tap("core.state")
        s.run(duration=seconds)
        labels = s.node("core").out_specs["state"].labels
        node = s.node("wm")
        return np.asarray(mem.data), np.asarray(state.data), labels, node.state.stored


def test_leaky_counts_and_slow_oscillator():
    mem, state, labels, _ = _run(6.0)
    assert mem.shape == (1200, len(LABELS))
    t_end = 1199 / 200.0
    want = sum(math.exp(-(t_end - t) / TAU) for t in SURPRISES)
    assert mem[-1, LABELS.index("wm:surprises")] == pytest.approx(want, rel=2e-3)
    assert mem[-1, LABELS.index("wm:syllables")] == pytest.approx(
        sum(math.exp(-(t_end - 0.2 * i) / TAU) for i in range(1, 11)), rel=2e-3)
    # the oscillator term is the leaky mean of amp·(cos θ, sin θ) of the 0.2 Hz role
    th, a = state[:, labels.index("phase:working")], state[:, labels.index("amp:working")]
    d = math.exp(-1.0 / (TAU * 200.0))
    x = 0.0
    for k in range(len(th)):
        x = d * x + (1 - d) * a[k] * math.cos(th[k])
    assert mem[-1, 0] == pytest.approx(x, abs=1e-9)
    assert np.array_equal(_run(6.0, block=37)[0], mem)                    # block-size invariant


def test_snapshots_are_stored_and_pruned(tmp_path, monkeypatch):
    pytest.importorskip("psigraph.memory.store")
    monkeypatch.delenv("PSIGRAPH_DB_KEY", raising=False)
    db = str(tmp_path / "wm.db")
    mem, _, _, stored = _run(30.0, path=db, every_s=2.0, keep_s=10.0)
    assert stored == 15
    from psigraph.memory.store import Store
    with Store(db, create=False) as store:
        utts = store.utterances()
        assert all(u.uttr_hash == store.hash_text(SNAPSHOT_TEXT) and u.text is None for u in utts)
        assert 5 <= len(utts) <= 6                                         # the last keep_s (10 s) of snapshots
        assert store._conn.execute("PRAGMA freelist_count").fetchone()[0] == 0    # compacted once at the end
        last = max(utts, key=lambda u: u.id)
        frame = next(store.frames(last.id, 2))
        assert np.allclose(frame.data.ravel(), mem[-1], atol=1e-5)         # the row at t = 30 s (float32)
        assert store.signature(last.id)["working_memory"]["t_s"] == pytest.approx(30.0)


def test_converse_keeps_the_working_memory(tmp_path, monkeypatch):
    pytest.importorskip("psigraph.memory.store")
    monkeypatch.delenv("PSIGRAPH_DB_KEY", raising=False)
    from psigraph.memory.store import Store
    from psigraph.runtime.converse import ConverseOptions, converse
    from psigraph.runtime.say import SayOptions, say
    heard, db = str(tmp_path / "heard.wav"), str(tmp_path / "wm.db")
    say(SayOptions(text="Glue the sheet to the dark blue background.", output=heard, rate=1.5))
    events = [Event(int(t * 24000), chain.SURPRISE, {}) for t in (0.5, 1.0)]
    res = converse(ConverseOptions(audio=heard, reply="Fine.", frames=str(tmp_path / "f.jsonl"), db=db,
                                   heard_events=tuple(events)))
    with Store(db, create=False) as store:
        utts = store.utterances()
        assert len(utts) == int(res.seconds // 2.0)                        # one snapshot every 2 s
        first = store.signature(min(u.id for u in utts))["working_memory"]
        row = dict(zip(first["labels"], first["row"]))
        assert row["wm:surprises"] == pytest.approx(sum(math.exp(-(2.0 - t) / TAU) for t in (0.5, 1.0)), rel=0.01)
