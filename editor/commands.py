"""`psigraph edit [G.yaml] [--screenshot PNG] [--run SECONDS]`: the Qt node editor.

``--screenshot`` renders the window to a PNG after loading (and after running
``--run`` seconds) and exits, for tests, docs and machines without a display
(it uses the offscreen platform when there is no display). Qt is imported
only when the command runs, so ``psigraph --help`` stays fast.
"""
from __future__ import annotations

import argparse
import os

MAX_RUN_S = 3600.0
SCREENSHOT_SIZE = (1920, 1080)
START_TIMEOUT_S = 120.0


def register(sub) -> None:
    p = sub.add_parser("edit", help="open the Qt node editor (canvas, inspector, live scopes)",
                       description="Edit a graph visually; run it and watch any wire on a live scope. "
                       "With --screenshot, render the window to a PNG and exit (no display needed).")
    p.add_argument("graph", nargs="?", metavar="G.yaml", help="graph file to open")
    p.add_argument("--screenshot", metavar="PNG", help="render the window to this PNG and exit")
    p.add_argument("--run", type=_seconds, default=None, metavar="SECONDS", dest="run_seconds",
                   help="run the graph at 1x for this long first (with --screenshot: then render it)")
    p.set_defaults(run=run)


def _seconds(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not 0 < v <= MAX_RUN_S:
        raise argparse.ArgumentTypeError(f"must be > 0 and at most {MAX_RUN_S:g} s (got {text})")
    return v


def run(args) -> int:
    from psigraph.errors import PsigraphError
    from psigraph.outputs import path_issues
    if args.screenshot:
        bad = [i for i in path_issues(args.screenshot, "screenshot", (".png",)) if i.severity == "error"]
        if bad:
            raise PsigraphError(bad[0].message, where="--screenshot")
        if not _has_display():
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    elif not _has_display() and not os.environ.get("QT_QPA_PLATFORM"):
        raise PsigraphError("no display to open the editor on (DISPLAY is not set)",
                            hint="run it in a desktop session, under xvfb-run -a, or with --screenshot PNG")
    if args.graph:
        if not os.path.isfile(args.graph):
            raise PsigraphError(f"no graph file {args.graph!r}", hint="give the path of a .yaml graph")
        from pathlib import Path

        from psigraph.errors import GraphFileError
        from psigraph.fileformat import load_report
        graph, issues = load_report(Path(args.graph), filename=args.graph)
        if graph is None:                      # cannot be shown faithfully: say why, as validate does
            raise GraphFileError(issues)
    try:
        from PySide6.QtWidgets import QApplication
    except ImportError as e:
        raise PsigraphError(f"the editor needs PySide6 ({e})", hint="pip install 'psigraph[editor]'") from None
    from .app import MainWindow
    app = QApplication.instance() or QApplication(["psigraph edit"])
    window = MainWindow()
    try:
        if args.graph and not window.open(args.graph, ask=False):
            raise PsigraphError(window.statusBar().currentMessage() or f"cannot open {args.graph}")
        if args.screenshot:
            window.resize(*SCREENSHOT_SIZE)
            window.open_default_views()
        window.show()
        if args.run_seconds:
            if not window.run(realtime=True):
                why = window.statusBar().currentMessage() or "see the issues"
                raise PsigraphError(f"cannot run the graph: {why}")
            runner = window.runner
            wait(app, START_TIMEOUT_S, until=lambda: runner.session is not None or not runner.running
                 or runner.last_error)                                # building the graph is not running it
            wait(app, args.run_seconds, until=lambda: not runner.running or runner.last_error)
            if window.runner is not None and window.runner.last_error:
                raise PsigraphError(f"the run failed: {window.runner.last_error}")
        if args.screenshot:
            window.view.fit()
            wait(app, 0.3)
            save_screenshot(window, args.screenshot)
            print(f"wrote {args.screenshot}")
            return 0
        return app.exec()
    finally:                                   # pyqtgraph and GL views must be gone before the interpreter
        from PySide6.QtCore import QEvent
        window.shutdown()
        window.close()
        window.deleteLater()
        app.processEvents()
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def wait(app, seconds: float, until=lambda: False) -> None:
    """Keep the event loop turning for ``seconds`` (or until ``until()`` is true)."""
    import time
    end = time.monotonic() + seconds
    while time.monotonic() < end and not until():
        app.processEvents()
        time.sleep(0.01)


def save_screenshot(window, path: str) -> None:
    """Render ``window`` (``QWidget.grab``, works offscreen and under Xvfb) to a PNG, atomically."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    from psigraph.outputs import atomic_write
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.WriteOnly)
    window.grab().save(buf, "PNG")
    buf.close()
    atomic_write(path, lambda f: f.write(bytes(data)))
