"""The editor live: graphs/speak.yaml at 1× with scopes on core.r and voice.audio, the face
view and the coupling editor open (Qt offscreen). Prints three numbers against their targets:

* scope redraws per second (each scope; target ≥ 30),
* UI latency: a QTimer posts timestamped events every 20 ms, the delay until each is handled
  is what any input would wait (p50 / p99 / max; target ≤ 50 ms),
* under-runs of the 1× pacing over the run (target 0),

plus the run's load average and the graph's compute share of real time. Midway the
coupling editor paints the micro block (a live hot change under load).

Run: QT_QPA_PLATFORM=offscreen python benchmarks/editor_live.py [--seconds 60] [--text "..."]
     QT_QPA_PLATFORM=offscreen python benchmarks/editor_live.py --screenshots docs/img   (pictures only)
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow  # noqa: E402

import psigraph  # noqa: E402
from psigraph.editor.coupling import CouplingEditor  # noqa: E402
from psigraph.editor.faceview import FaceView  # noqa: E402
from psigraph.editor.profile import ProfilePanel  # noqa: E402
from psigraph.editor.runner import Runner  # noqa: E402
from psigraph.editor.scope import ScopeDock  # noqa: E402
from psigraph.runtime.shipped import graph_path  # noqa: E402

PING = QEvent.Type(QEvent.registerEventType())


class _Ping(QEvent):
    def __init__(self):
        super().__init__(PING)
        self.stamp = time.perf_counter()


class LatencyProbe(QObject):
    """Posts a timestamped event every ``interval_ms``; records how long each waited in the queue."""

    def __init__(self, interval_ms: int = 20):
        super().__init__()
        self.delays: list = []
        self.stamps: list = []
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(lambda: QCoreApplication.postEvent(self, _Ping()))

    def event(self, ev):
        if ev.type() == PING:
            self.delays.append(time.perf_counter() - ev.stamp)
            self.stamps.append(ev.stamp)
            return True
        return super().event(ev)


def _dock(window, title, widget, area):
    d = QDockWidget(title, window)
    d.setWidget(widget)
    window.addDockWidget(area, d)
    return d


def screenshots(app, graph, out: str, folder: str) -> int:
    """Deterministic pictures for the docs (graph time, not wall time): run as fast as possible,
    paint the micro block to 3·K_c at 4 s, pause at 6 s, save the two scopes and the coupling editor."""
    runner = Runner(graph, realtime=False, out_dir=out)
    win = QMainWindow()
    win.resize(1400, 800)
    scopes = [ScopeDock(runner, "core.r", 4.0, win), ScopeDock(runner, "voice.audio", 0.5, win)]
    for s in scopes:
        win.addDockWidget(Qt.BottomDockWidgetArea, s)
    coupling = CouplingEditor(graph, "core", runner)
    coupling.resize(700, 760)
    win.show()
    coupling.show()
    runner.start()
    for t_stop, action in ((4.0, lambda: coupling.set_block("micro", "micro", 3 * coupling.critical("micro") / 128)),
                           (6.0, None)):
        while runner.graph_time < t_stop:
            app.processEvents()
            time.sleep(0.002)
        runner.pause(wait=True)
        if action:
            action()
            runner.resume()
    for s in scopes:
        s.redraw(force=True)
    coupling.select_block(100, 100)
    coupling._show_r()
    app.processEvents()
    os.makedirs(folder, exist_ok=True)
    for s, name in zip(scopes, ("scope_r.png", "scope_audio.png")):
        s.grab().save(os.path.join(folder, name))
    coupling.grab().save(os.path.join(folder, "scope_coupling.png"))
    runner.stop()
    for s in scopes:
        s.shutdown()
    coupling.shutdown()
    print(f"saved scope_r.png, scope_audio.png, scope_coupling.png in {folder}")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--text", default=None, help="override the speak graph's text")
    ap.add_argument("--screenshots", default=None, help="save scope / coupling screenshots into this folder")
    ap.add_argument("--paint-at", type=float, default=None,
                    help="seconds into the run at which the micro block is painted (default: a third)")
    args = ap.parse_args(argv)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    graph = psigraph.load(graph_path("speak"))
    if args.text:
        graph.set_param("text", "text", args.text)
    out = tempfile.mkdtemp(prefix="editor_live_")
    if args.screenshots:
        return screenshots(app, graph, out, args.screenshots)
    runner = Runner(graph, realtime=True, out_dir=out)
    win = QMainWindow()
    win.resize(1600, 1000)
    scopes = [ScopeDock(runner, "core.r", 4.0, win), ScopeDock(runner, "voice.audio", 0.5, win)]
    for s in scopes:
        win.addDockWidget(Qt.BottomDockWidgetArea, s)
    face = FaceView(runner, "face.blendshapes")
    coupling = CouplingEditor(graph, "core", runner)
    profile = ProfilePanel(runner)
    _dock(win, "face", face, Qt.RightDockWidgetArea)
    _dock(win, "coupling core", coupling, Qt.LeftDockWidgetArea)
    _dock(win, "profile", profile, Qt.RightDockWidgetArea)
    win.show()
    latency = LatencyProbe()

    runner.start()
    while not runner.wait_started(0.01):
        app.processEvents()
        if not runner.running and runner.last_error:
            print("error:", runner.last_error)
            return 1
    load0 = open("/proc/loadavg").read().split()[:3]
    for s in scopes:
        s.redraws = 0
    latency.timer.start()
    cpu0 = os.times()
    t0 = time.perf_counter()
    painted = False
    while (now := time.perf_counter() - t0) < args.seconds:
        app.processEvents()
        time.sleep(0.001)
        if not painted and now >= (args.seconds / 3 if args.paint_at is None else args.paint_at):
            painted = True
            coupling.set_block("micro", "micro", 3 * coupling.critical("micro") / 128)
    wall = time.perf_counter() - t0
    cpu1 = os.times()
    cpu = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / wall
    latency.timer.stop()
    app.processEvents()
    load1 = open("/proc/loadavg").read().split()[:3]
    rates = [s.redraws / wall for s in scopes]
    d = np.array(latency.delays) * 1e3
    prof = runner.profile()
    share = sum(v[1] for v in prof.values())
    top = sorted(prof.items(), key=lambda kv: -kv[1][1])[:4]
    underruns, gtime = runner.underruns, runner.graph_time
    where = getattr(runner._pacer, "underrun_at", [])
    worst = float(np.array(latency.stamps)[int(np.argmax(latency.delays))] - t0) if latency.delays else 0.0
    runner.stop()
    face_fps = face.frames / wall
    for s in scopes:
        s.shutdown()
    face.shutdown()
    coupling.shutdown()

    print(f"editor live, graphs/speak.yaml at 1x for {wall:.1f} s (graph time {gtime:.1f} s); "
          f"load average {' '.join(load0)} -> {' '.join(load1)}")
    print(f"scope redraws per second: core.r {rates[0]:.1f}, voice.audio {rates[1]:.1f} (target >= 30) "
          f"-> {'ok' if min(rates) >= 30 else 'MISSED'}")
    print(f"UI latency (posted events, n={len(d)}): p50 {np.percentile(d, 50):.1f} ms, "
          f"p99 {np.percentile(d, 99):.1f} ms, max {d.max():.1f} ms at {worst:.1f} s (target <= 50) "
          f"-> {'ok' if np.percentile(d, 99) <= 50 else 'MISSED'}")
    print(f"under-runs: {underruns} (target 0) -> {'ok' if underruns == 0 else 'MISSED'}"
          + (f" at graph time {', '.join(f'{t:.1f}' for t in where[:8])} s" if where else ""))
    print(f"(the micro block was painted at {args.seconds / 3 if args.paint_at is None else args.paint_at:.1f} s)")
    print(f"graph compute {100 * share:.1f} % of real time; face view {face_fps:.1f} frames/s; "
          f"coupling edit applied live: {bool(runner.applied)}")
    print(f"this process used {100 * cpu:.0f} % of one core (the face render process not counted)")
    print("costliest nodes: " + ", ".join(f"{nid} {100 * sh:.1f} % ({us:.0f} us/call)" for nid, (us, sh) in top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
