"""`psigraph edit --screenshot`: renders the window to a PNG without a display; bad arguments are one line."""
import argparse
import subprocess
import sys

import pytest

pytest.importorskip("PySide6")

from PySide6.QtGui import QImage  # noqa: E402

from psigraph.editor import commands  # noqa: E402
from psigraph.errors import PsigraphError  # noqa: E402
from psigraph.runtime.shipped import graph_path  # noqa: E402

pytestmark = pytest.mark.gui


def args(**kw):
    return argparse.Namespace(**{"graph": None, "screenshot": None, "run_seconds": None, **kw})


def test_screenshot_of_the_speak_graph(qtbot, tmp_path):
    out = tmp_path / "shot.png"
    assert commands.run(args(graph=graph_path("speak"), screenshot=str(out))) == 0
    image = QImage(str(out))
    assert (image.width(), image.height()) == commands.SCREENSHOT_SIZE
    colours = {image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, image.height(), 37)}
    assert len(colours) > 20, "the screenshot is blank"
    assert not list(tmp_path.glob(".*.part")), "the PNG is written atomically"


@pytest.mark.parametrize("kw, text", [
    ({"graph": "missing.yaml"}, "no graph file 'missing.yaml'"),
    ({"screenshot": "shot.txt"}, "must end in .png"),
])
def test_bad_arguments_are_one_line_errors(tmp_cwd, kw, text):
    with pytest.raises(PsigraphError, match=text):
        commands.run(args(**kw))


def test_help_does_not_import_qt():
    code = ("import sys; from psigraph.runtime.cli import build_parser; build_parser(); "
            "print('PySide6' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_unreadable_graph_is_a_one_line_error(tmp_cwd):
    (tmp_cwd / "bad.yaml").write_text("psigraph: 1\nnodes:\n  a: {type: sine\n")
    with pytest.raises(PsigraphError) as err:
        commands.run(args(graph="bad.yaml", screenshot="shot.png"))
    assert err.value.line().startswith("bad.yaml:2: nodes: error: ")       # what psigraph validate prints
    assert not (tmp_cwd / "shot.png").exists()


def test_no_display_without_screenshot_is_a_one_line_error(monkeypatch):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(PsigraphError, match="no display to open the editor on"):
        commands.run(args(graph=graph_path("speak")))


@pytest.mark.slow
def test_screenshot_after_a_run(qtbot, tmp_cwd, monkeypatch):
    """--run 1 --screenshot: the graph runs (its sink writes), the scopes hold data when the PNG is taken."""
    seen = {}

    def grab(window, path):
        seen.update({ref: dock.probe.snapshot() for ref, dock in window.scopes.items()})
        real_save(window, path)
    real_save = commands.save_screenshot
    monkeypatch.setattr(commands, "save_screenshot", grab)
    assert commands.run(args(graph=graph_path("speak"), screenshot="shot.png", run_seconds=1.0)) == 0
    assert QImage("shot.png").width() == commands.SCREENSHOT_SIZE[0]
    assert {"core.r", "voice.audio", "core.state"} <= set(seen)
    assert all(len(snap.times) > 0 for snap in seen.values())
