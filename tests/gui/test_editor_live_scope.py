"""editor.scope: data reaches the plot, freeze holds the picture, rising-edge and event
triggers align the trace, spectrum and raster views (offscreen Qt)."""
import numpy as np
import pytest

from psigraph.graph import Graph

pytestmark = pytest.mark.gui

pytest.importorskip("pyqtgraph")
from psigraph.editor.runner import Runner  # noqa: E402
from psigraph.editor.scope import EVENT, RASTER, RISING, SPECTRUM, ScopeDock, envelope, rising_edges  # noqa: E402

F = 5.0           # Hz, the test sine at control rate


def _graph():
    g = Graph("scope_test", 24000, 1, {"audio": 24000, "control": 200})
    g.add_node("s", "sine", {"freq": F, "amp": 1.0, "rate": "control"})
    g.add_node("tone", "sine", {"freq": 1000.0, "amp": 0.5})
    g.add_node("ev", "event_source", {"events": [{"t": 0.5 * i, "kind": "tick" if i % 2 else "tock"}
                                                 for i in range(1, 40)]})
    return g


@pytest.fixture
def running(qtbot):
    """A runner on the test graph, run as fast as possible; paused by the test when needed."""
    runner = Runner(_graph(), realtime=False)
    docks = []

    def scope(ref, window_s=1.0):
        d = ScopeDock(runner, ref, window_s)
        qtbot.addWidget(d)
        docks.append(d)
        return d

    yield runner, scope
    runner.stop()
    for d in docks:
        d.shutdown()


def _run_to(qtbot, runner, t):
    if not runner.running:
        runner.start()
    qtbot.waitUntil(lambda: runner.graph_time >= t, timeout=60_000)
    runner.pause(wait=True)


def test_data_reaches_the_plot(qtbot, running):
    runner, scope = running
    dock = scope("s.y", 1.0)
    _run_to(qtbot, runner, 2.0)
    dock.redraw(force=True)
    x, y = dock._curves[0].getData()
    now = runner.graph_time - 1 / 200               # the newest sample's time
    assert len(x) == 201 and x[-1] == pytest.approx(0) and x[0] == pytest.approx(-1.0)
    assert np.allclose(y, np.sin(2 * np.pi * F * (now + x)), atol=1e-9)
    assert dock.redraws >= 1


def test_freeze_keeps_the_picture_while_data_flows(qtbot, running):
    runner, scope = running
    dock = scope("s.y", 1.0)
    _run_to(qtbot, runner, 1.0)
    dock.redraw(force=True)
    dock.set_freeze(True)
    before = dock._curves[0].getData()[1].copy()
    shown = dock.status.text()                     # "... t = <newest sample time> s"
    count = dock.redraws
    runner.resume()
    _run_to(qtbot, runner, runner.graph_time + 0.33)
    dock.redraw()
    assert dock.redraws == count and np.array_equal(dock._curves[0].getData()[1], before)
    assert dock.freeze_box.isChecked() and dock.status.text() == shown
    dock.set_freeze(False)
    dock.redraw()
    assert dock.redraws == count + 1 and dock.status.text() != shown


def test_rising_edge_trigger_puts_the_crossing_at_zero(qtbot, running):
    runner, scope = running
    dock = scope("s.y", 0.6)
    dock.set_trigger(RISING, 0.5)
    _run_to(qtbot, runner, 2.0)
    dock.redraw(force=True)
    x, y = dock._curves[0].getData()
    t = dock.triggered_at
    assert t is not None and t <= runner.graph_time - 0.3
    i = int(np.argmin(np.abs(x)))
    assert x[i] == pytest.approx(0) and y[i] >= 0.5 > y[i - 1]
    # the crossing of sin(2π F t) through 0.5 upwards: F t = 1/12 (mod 1), to a sample
    assert ((F * t - 1 / 12) % 1.0) * 200 / F < 1.0 + 1e-9
    assert x[0] == pytest.approx(-0.3, abs=0.006) and x[-1] == pytest.approx(0.3, abs=0.006)


def test_event_trigger_follows_the_newest_event(qtbot, running):
    runner, scope = running
    dock = scope("s.y", 0.4)
    dock.set_trigger(EVENT, event_ref="ev.y")
    _run_to(qtbot, runner, 3.1)
    dock.redraw(force=True)
    now = runner.graph_time
    expected = max(0.5 * i for i in range(1, 40) if 0.5 * i <= now - 1 / 200 - 0.2)
    assert dock.triggered_at == pytest.approx(expected)


def test_raster_view_of_an_events_wire(qtbot, running):
    runner, scope = running
    dock = scope("ev.y", 2.0)
    assert dock.mode == RASTER
    _run_to(qtbot, runner, 3.2)
    dock.redraw(force=True)
    xs, ys = dock._scatter.getData()
    now = runner.graph_time
    times = [0.5 * i for i in range(1, 40) if now - 2.0 <= 0.5 * i < now]
    assert np.allclose(np.sort(xs + now), times)
    assert sorted(set(ys.astype(int))) == [0, 1]


def test_spectrum_view_of_an_audio_wire(qtbot, running):
    runner, scope = running
    dock = scope("tone.y", 0.5)
    dock.set_mode(SPECTRUM)
    _run_to(qtbot, runner, 1.0)
    dock.redraw(force=True)
    f, db = dock._curves[0].getData()
    assert abs(f[int(np.argmax(db))] - 1000.0) <= 24000 / 4096
    with pytest.raises(Exception, match="no spectrum view"):
        scope("s.y").set_mode(SPECTRUM)       # a control-rate wire has no spectrum view


def test_channel_picker_and_window(qtbot, running):
    runner, scope = running
    dock = scope("s.y", 1.0)
    dock.set_channels([])
    assert dock._curves == []
    dock.set_channels([0])
    dock.set_window(0.5)
    _run_to(qtbot, runner, 1.0)
    dock.redraw(force=True)
    x, _ = dock._curves[0].getData()
    assert x[0] == pytest.approx(-0.5) and len(x) == 101


def test_envelope_keeps_peaks_and_edges():
    x = np.arange(10_000.0)
    y = np.zeros(10_000)
    y[4321] = 7.0
    y[17] = -3.0
    ex, ey = envelope(x, y, 500)
    assert len(ex) <= 502 and ey.max() == 7.0 and ey.min() == -3.0
    assert list(rising_edges(np.array([0, 1, 0, 2, 2]), 0.5)) == [1, 3]


def test_closing_a_scope_removes_its_taps_from_the_running_session(qtbot, running):
    runner, scope = running
    dock = scope("s.y", 1.0)
    dock.set_trigger(EVENT, event_ref="ev.y")
    _run_to(qtbot, runner, 0.5)
    taps = lambda: sum(len(v) for v in runner.session._taps.values())  # noqa: E731
    assert taps() == 2
    dock.set_window(0.5)                       # a new probe replaces the old one
    runner.resume()
    _run_to(qtbot, runner, runner.graph_time + 0.1)
    assert taps() == 2 and dock.probe.attached
    dock.shutdown()
    runner.resume()
    _run_to(qtbot, runner, runner.graph_time + 0.1)
    assert taps() == 0 and runner.probes() == []


def test_settings_round_trip_for_the_graph_file(qtbot, running):
    runner, scope = running
    dock = scope("s.y", 1.0)
    assert dock.settings() == {"port": "s.y", "window_s": 1.0}
    dock.set_window(0.25)
    dock.set_trigger(EVENT, event_ref="ev.y")
    saved = dock.settings()
    assert saved == {"port": "s.y", "window_s": 0.25,
                     "trigger": {"mode": EVENT, "level": 0.0, "channel": 0, "events": "ev.y"}}
    other = scope("s.y", 1.0)
    other.apply_settings(saved)
    assert other.settings() == saved
    tone = scope("tone.y", 0.5)
    tone.apply_settings({"view": SPECTRUM, "channels": ["nope"]})
    assert tone.settings() == {"port": "tone.y", "window_s": 0.5, "view": SPECTRUM, "channels": []}
