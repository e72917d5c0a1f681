"""editor.runner: run / pause / stop on a worker thread, hot params at the next block, probes
that are bounded and never change results (compared bit for bit with an offline Session)."""
import numpy as np
import pytest

import psigraph
from psigraph.errors import PsigraphError
from psigraph.runtime import Session
from psigraph.runtime.shipped import graph_path

pytestmark = pytest.mark.gui

Runner = pytest.importorskip("psigraph.editor.runner").Runner


def _core_graph():
    """The ψ-core demo graph reduced to the core and its order-parameter sink (fast to run)."""
    g = psigraph.load(graph_path("psi_core"))
    for nid in [n for n in g.nodes if n not in ("core", "r_out")]:
        g.remove_node(nid)
    return g


def _run_until(qtbot, runner, seconds):
    qtbot.waitUntil(lambda: runner.graph_time >= seconds, timeout=60_000)


def test_start_pause_resume_stop(qtbot, tmp_path):
    runner = Runner(_core_graph(), realtime=False, out_dir=str(tmp_path))
    with qtbot.waitSignal(runner.started, timeout=60_000):
        runner.start()
    assert runner.running
    _run_until(qtbot, runner, 0.5)
    runner.pause(wait=True)
    frozen = runner.graph_time
    qtbot.wait(200)
    assert runner.graph_time == frozen and runner.paused
    runner.resume()
    _run_until(qtbot, runner, frozen + 0.5)
    with qtbot.waitSignal(runner.stopped, timeout=30_000) as stopped:
        runner.stop()
    assert stopped.args == ["stopped"] and not runner.running and runner.session is None
    r = np.load(tmp_path / "psi_r.npy")            # the sink's output was committed on stop
    assert len(r) == round(runner.graph_time * 200)


def test_hot_param_takes_effect_at_the_next_block_and_probes_change_nothing(qtbot, tmp_path):
    """The runner's output with probes and a live change equals an offline run (no taps) with
    the same change at the same sample; the probe holds exactly the offline values."""
    g = _core_graph()
    runner = Runner(g, realtime=False, out_dir=str(tmp_path / "live"))
    probe = runner.probe("core.r", window_s=0.5)
    state = runner.probe("core.state", window_s=0.25)
    runner.start()
    _run_until(qtbot, runner, 1.0)
    runner.set_param("core", "coupling", 0.5)
    qtbot.waitUntil(lambda: bool(runner.applied), timeout=10_000)
    _run_until(qtbot, runner, runner.applied[0][2] / 24000 + 0.5)
    runner.pause(wait=True)
    snap = probe.snapshot()
    runner.stop()
    (ref, value, k), = runner.applied
    assert (ref, value) == ("core.coupling", 0.5) and k % runner.block == 0

    offline = Session(g, out_dir=str(tmp_path / "offline"))
    offline.advance(k)
    offline.set_param("core.coupling", 0.5)
    offline.run(until=round(runner.graph_time * 24000))
    live_r = np.load(tmp_path / "live" / "psi_r.npy")
    off_r = np.load(tmp_path / "offline" / "psi_r.npy")
    assert live_r.shape == off_r.shape and np.array_equal(live_r, off_r)
    before, after = off_r[: k // 120], off_r[k // 120:]
    # the probe: bounded to its window, stamped with the right times, equal to the output
    assert len(snap.data) == probe.capacity == 100
    ticks = np.rint(snap.times * 200).astype(int)
    assert np.array_equal(np.diff(ticks), np.ones(len(ticks) - 1, int))
    assert np.array_equal(snap.data, off_r[ticks])
    assert snap.labels == ["r:micro", "r:meso", "r:macro"] and snap.rate == 200
    assert len(state.snapshot().data) == 50
    assert len(before) and len(after)


def test_live_change_differs_from_no_change(qtbot, tmp_path):
    """The change really acts: lowering the coupling at sample k changes the order parameter after k only."""
    g = _core_graph()
    k = 24000
    a = Session(g, out_dir=str(tmp_path / "a"))
    ta = a.tap("core.r")
    a.run(until=2 * k)
    b = Session(g, out_dir=str(tmp_path / "b"))
    tb = b.tap("core.r")
    b.advance(k)
    b.set_param("core.coupling", 0.5)
    b.run(until=2 * k)
    ra, rb = np.asarray(ta), np.asarray(tb)
    assert np.array_equal(ra[:200], rb[:200]) and not np.array_equal(ra[200:], rb[200:])


def test_probe_is_bounded_and_decimated(qtbot, tmp_path):
    g = psigraph.load(graph_path("speak"))
    runner = Runner(g, realtime=False, out_dir=str(tmp_path))
    audio = runner.probe("voice.audio", window_s=1.0, max_points=1000)
    assert audio.every == 24 and audio.capacity == 1000 and audio.rate == 1000
    events = runner.probe("surprise.events", window_s=60)
    runner.start()
    _run_until(qtbot, runner, 2.5)
    runner.pause(wait=True)
    snap = audio.snapshot()
    runner.stop()
    assert len(snap.data) == 1000 and snap.data.shape[1] == 1
    assert np.allclose(np.diff(snap.times), 24 / 24000)
    assert np.all(np.rint(snap.times * 24000).astype(int) % 24 == 0)      # by absolute index
    assert isinstance(events.snapshot().data, list)


def test_invalid_or_cold_params_are_refused_with_the_validation_message(qtbot, tmp_path):
    runner = Runner(_core_graph(), realtime=False, out_dir=str(tmp_path))
    with pytest.raises(PsigraphError, match="must be >= 0"):
        runner.set_param("core", "coupling", -1.0)          # validated also before a run
    runner.start()
    assert runner.wait_started()
    with pytest.raises(PsigraphError, match="must be >= 0"):
        runner.set_param("core", "coupling", -1.0)
    with pytest.raises(PsigraphError, match="cannot change during a run"):
        runner.set_param("core", "bands", [])
    with pytest.raises(PsigraphError, match="unknown node"):
        runner.set_param("nope", "coupling", 1.0)
    with pytest.raises(PsigraphError, match="has no port"):
        runner.probe("core.nope")
    runner.stop()
    assert runner.applied == []


def test_realtime_pacing_follows_the_clock(qtbot, tmp_path):
    """At 1× the graph stays a little ahead of the wall clock, never far ahead."""
    import time
    runner = Runner(_core_graph(), realtime=True, out_dir=str(tmp_path))
    runner.start()
    assert runner.wait_started()
    t0, g0 = time.perf_counter(), runner.graph_time
    qtbot.wait(600)
    elapsed, advanced = time.perf_counter() - t0, runner.graph_time - g0
    runner.stop()
    assert advanced <= elapsed + runner.ahead_s + 2 * runner.block / 24000 + 0.05
    assert advanced > 0


class _FakeSoundDevice:
    """A stand-in for the sounddevice module: an OutputStream whose callback a thread calls at
    the device pace (what a sound card does), keeping every block it played."""

    def __init__(self):
        self.played = []
        outer = self

        class OutputStream:
            def __init__(self, samplerate, channels, dtype, callback, **kw):
                self.rate, self.channels, self.callback = samplerate, channels, callback
                self._stop = None

            def start(self):
                import threading
                import time
                self._stop = threading.Event()

                def pump():
                    n, period, t0, i = 480, 480 / self.rate, time.perf_counter(), 0
                    while not self._stop.is_set():
                        out = np.zeros((n, self.channels), np.float32)
                        self.callback(out, n, None, None)
                        outer.played.append(out)
                        i += 1
                        self._stop.wait(max(0.0, t0 + i * period - time.perf_counter()))
                self._thread = threading.Thread(target=pump, daemon=True)
                self._thread.start()

            def stop(self):
                self._stop.set()
                self._thread.join(2)

            def close(self):
                pass

        self.OutputStream = OutputStream


def test_audio_sink_plays_through_the_sound_device(qtbot, monkeypatch):
    """With an audio_sink and a device, the device callback is fed from the sink's ring: what it
    plays is the graph's audio, in order (here a 300 Hz sine)."""
    from psigraph.graph import Graph
    from psigraph.runtime import realtime
    fake = _FakeSoundDevice()
    monkeypatch.setattr(realtime, "open_output_stream", lambda: fake)
    g = Graph("tone", 24000, 1, {"audio": 24000, "control": 200})
    g.add_node("osc", "sine", {"freq": 300.0, "amp": 0.5})
    g.add_node("out", "audio_sink")
    g.connect("osc.y", "out.x")
    runner = Runner(g, realtime=True)
    runner.start()
    qtbot.waitUntil(lambda: len(fake.played) >= 20, timeout=30_000)
    runner.stop()
    played = np.concatenate(fake.played)[:, 0]
    t = np.arange(len(played)) / 24000
    want = (0.5 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
    n = min(len(played), int(runner.graph_time * 24000)) - 960      # the device may outlive the graph
    assert n > 8000 and np.allclose(played[:n], want[:n], atol=1e-6)  # from the first sample on
