"""The runtime contract (DESIGN §3) through the real scheduler."""
import numpy as np

import psigraph
import pytest

from psigraph import Event, Graph
from psigraph.errors import GraphFileError, PsigraphError, SchedulingError
from psigraph.runtime import Session
from psigraph.runtime.testing import run_offline


def mixed_rate_graph(tmp=None) -> Graph:
    """24000 / 200 / 60 / 4 / 0.5 Hz nodes with a control-rate feedback loop through a delay."""
    g = Graph(name="mixed", seed=7)
    g.add_node("lfo", "sine", {"freq": 3.0, "rate": "control"})
    g.add_node("mix", "add")
    g.add_node("fb", "gain", {"gain": 0.5})
    g.add_node("z", "delay", {"ticks": 2})
    g.connect("lfo.y", "mix.a"); g.connect("mix.y", "fb.x"); g.connect("fb.y", "z.x"); g.connect("z.y", "mix.b")
    g.add_node("up", "hold", {"rate": "audio"}); g.connect("mix.y", "up.x")
    g.add_node("tone", "sine", {"freq": 440.0}); g.add_node("sum", "add")
    g.connect("tone.y", "sum.a"); g.connect("up.y", "sum.b")
    g.add_node("vid", "decimate", {"rate": "video"}); g.connect("sum.y", "vid.x")
    g.add_node("meso", "resample", {"rate": "meso"}); g.connect("mix.y", "meso.x")
    g.add_node("macro", "resample", {"rate": 0.5}); g.connect("meso.y", "macro.x")
    if tmp is not None:
        for nid in ("sum", "vid", "meso", "macro"):
            g.add_node(f"{nid}_out", "npy_sink", {"path": str(tmp / f"{nid}.npy")})
            g.connect(f"{nid}.y", f"{nid}_out.x")
    return g


PORTS = ("mix.y", "sum.y", "vid.y", "meso.y", "macro.y")


def _run(block, duration=2.1, graph=None):
    s = Session(graph or mixed_rate_graph(), block=block)
    taps = {p: s.tap(p) for p in PORTS}
    s.run(duration=duration)
    return {p: np.asarray(t) for p, t in taps.items()}


def test_block_size_invariance_bit_identical():
    ref = _run(4800)
    assert ref["macro.y"].shape == (2, 1) and ref["meso.y"].shape == (9, 1) and ref["vid.y"].shape == (126, 1)
    for block in (1, 60, 400, 7):
        out = _run(block)
        for p in PORTS:
            assert np.array_equal(out[p], ref[p]), (block, p)


def test_feedback_loop_through_delay_is_exact():
    y = _run(480, duration=0.2)["mix.y"][:, 0]
    x = np.sin(2 * np.pi * 3.0 * np.arange(len(y)) / 200.0)
    expect = x.copy()
    for k in range(2, len(y)):
        expect[k] = x[k] + 0.5 * expect[k - 2]
    assert np.allclose(y, expect, atol=1e-12)


def test_scheduled_gain_change_hits_master_sample_12000():
    g = Graph()
    g.add_node("one", "vector_source", {"data": [1.0], "repeat": True})
    g.add_node("amp", "gain", {"gain": 1.0})
    g.connect("one.y", "amp.x")
    for block in (1000, 4800, 7):
        s = Session(g, block=block)
        tap = s.tap("amp.y")
        s.schedule(0.5, "amp.gain", 3.0)
        s.run(duration=0.6)
        y = np.asarray(tap)[:, 0]
        assert y[11999] == 1.0 and y[12000] == 3.0
        assert np.flatnonzero(np.diff(y))[0] + 1 == 12000


def test_schedule_at_slow_rate_takes_first_tick_at_or_after():
    g = Graph()
    g.add_node("one", "vector_source", {"data": [1.0], "repeat": True, "rate": "control"})
    g.add_node("amp", "gain")
    g.connect("one.y", "amp.x")
    s = Session(g, block=4800)
    tap = s.tap("amp.y")
    s.schedule(12001 / 24000, "amp.gain", 2.0)   # between ticks 100 (12000) and 101 (12120)
    s.run(duration=1.0)
    y = np.asarray(tap)[:, 0]
    assert y[100] == 1.0 and y[101] == 2.0


def test_schedule_refuses_unknown_cold_and_past():
    s = Session(mixed_rate_graph(), block=480)
    with pytest.raises(SchedulingError, match="did you mean 'gain'"):
        s.schedule(0.1, "fb.gian", 1.0)
    with pytest.raises(SchedulingError, match="cannot change during a run"):
        s.schedule(0.1, "z.ticks", 3)
    s.run(duration=0.2)
    with pytest.raises(SchedulingError, match="in the past"):
        s.schedule(0.1, "fb.gain", 1.0)


def test_events_delivered_at_their_exact_time():
    g = Graph()
    g.add_node("sink", "event_collector")
    s = Session(g, block=4800)
    s.post("sink.x", Event(12345, "ping", {"n": 1}))
    s.post("sink.x", Event(100, "ping", {"n": 0}))
    s.run(duration=1.0)
    evs = s.node("sink").events
    assert [(e.t, e.payload["n"]) for e in evs] == [(100, 0), (12345, 1)]


def test_zero_delay_cycle_is_reported_with_the_cycle():
    g = Graph()
    g.add_node("a", "add"); g.add_node("g", "gain"); g.add_node("s", "sine", {"rate": "control"})
    g.connect("s.y", "a.a"); g.connect("a.y", "g.x"); g.connect("g.y", "a.b")
    with pytest.raises(GraphFileError, match=r"zero-delay cycle a -> g -> a"):
        Session(g)


def test_edge_delay_attribute_breaks_a_cycle():
    g = Graph()
    g.add_node("a", "add"); g.add_node("g", "gain", {"gain": 0.5}); g.add_node("s", "sine", {"rate": "control", "freq": 3.0})
    g.connect("s.y", "a.a"); g.connect("a.y", "g.x"); g.connect("g.y", "a.b", delay=2)
    y = run_offline(g, 0.2, taps=["a.y"])["a.y"][:, 0]
    ref = _run(480, duration=0.2)["mix.y"][:, 0]
    assert np.array_equal(y, ref[: len(y)])


def test_rate_mismatch_names_both_ends_and_converter():
    g = Graph()
    g.add_node("s", "sine", {"rate": "control"}); g.add_node("t", "sine"); g.add_node("a", "add")
    g.connect("t.y", "a.a"); g.connect("s.y", "a.b")
    with pytest.raises(GraphFileError) as e:
        Session(g)
    msg = str(e.value)
    assert "s.y runs at 200 Hz but a.b expects 24000 Hz" in msg and "hold" in msg


def test_taps_are_decimated_by_absolute_index_and_bounded():
    g = mixed_rate_graph()
    outs = []
    for block in (1000, 333):
        s = Session(g, block=block)
        t = s.tap("sum.y", every=10)
        b = s.tap("sum.y", capacity=100)
        s.run(duration=0.25)
        outs.append(np.asarray(t))
        assert len(b.data) == 100
    assert np.array_equal(outs[0], outs[1]) and len(outs[0]) == 600


def test_profile_counts_calls_and_time():
    s = Session(mixed_rate_graph(), block=480)
    s.run(duration=0.1)
    prof = s.profile()
    assert prof["tone"]["calls"] == 10  # chunks capped at the 240-sample loop delay and prof["tone"]["mean_us"] > 0 and 0 < prof["tone"]["share"] < 1


def test_unwritable_sink_path_is_a_validation_issue(tmp_path):
    (tmp_path / "afile").write_text("not a folder")
    g = Graph()
    g.add_node("src", "vector_source", {"data": [[1.0, 2.0]]})
    g.add_node("out", "wav_sink", {"path": str(tmp_path / "afile" / "x.wav")})
    g.connect("src.y", "out.x")
    issues = psigraph.check(g)
    assert [(i.path, i.code) for i in issues] == [("nodes.out.params.path", "path.no_folder")]
    with pytest.raises(PsigraphError, match="is a file, so folder"):
        Session(g)


def test_node_failure_is_reported_with_node_and_span():
    from psigraph import registry
    from psigraph.node import Node
    from psigraph.ports import In, Signal

    @registry.register
    class Fails(Node):
        type_id = "_test_fails_at_run"
        x = In(Signal)

        def process(self, x):
            if self.t0 >= 480:
                raise ZeroDivisionError("boom")

    g = Graph()
    g.add_node("src", "vector_source", {"data": [[1.0]]})
    g.add_node("bad", "_test_fails_at_run")
    g.connect("src.y", "bad.x")
    s = Session(g, block=480)
    with pytest.raises(PsigraphError, match=r"node 'bad' \(_test_fails_at_run\) failed in span \[480, 960\)"):
        s.run(duration=0.1)


def test_npy_sinks_write_identical_files_across_blocks(tmp_path):
    files = {}
    for block in (60, 4800):
        d = tmp_path / str(block)
        d.mkdir()
        s = Session(mixed_rate_graph(d), block=block)
        s.run(duration=2.1)
        s.close()
        files[block] = {p.name: p.read_bytes() for p in d.iterdir()}
    assert files[60] == files[4800] and len(files[60]) == 4


def test_stream_yields_blocks_as_made():
    s = Session(mixed_rate_graph(), block=480)
    blocks = list(s.stream("tone.y", duration=0.1))
    assert len(blocks) == 5 and sum(len(b) for b in blocks) == 2400


def test_cli_run_of_mixed_rates_graph_is_block_size_invariant(tmp_path):
    """The issue's acceptance check: identical npy files for --block 1, 60, 400, 4800 and on a rerun."""
    from pathlib import Path

    from psigraph.runtime.cli import main
    graph = Path(__file__).resolve().parents[2] / "graphs" / "mixed_rates.yaml"
    files = {}
    for run, block in enumerate((4800, 1, 60, 400, 4800)):
        out = tmp_path / f"{run}_{block}"
        assert main(["run", str(graph), "--duration", "2.1", "--block", str(block), "--out", str(out)]) == 0
        files[(run, block)] = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    ref = files[(0, 4800)]
    assert sorted(ref) == ["audio.npy", "control.npy", "macro.npy", "meso.npy", "video.npy"]
    assert all(f == ref for f in files.values())
