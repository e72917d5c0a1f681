"""editor.faceview on the running speak graph, editor.profile on the ψ-core demo: the face is rendered from
the probed blendshapes (the newest row, via the face family's renderer); the profile lists
every node with its cost; a wire without blendshapes is refused."""
import numpy as np
import pytest

import psigraph
from psigraph.errors import PsigraphError
from psigraph.runtime.shipped import graph_path

pytestmark = pytest.mark.gui

pytest.importorskip("pyqtgraph")
from psigraph.editor.runner import Runner  # noqa: E402


@pytest.fixture
def speak(qtbot, tmp_path):
    runner = Runner(psigraph.load(graph_path("speak")), realtime=False, out_dir=str(tmp_path))
    yield runner
    runner.stop()


def test_face_view_renders_the_probed_blendshapes(qtbot, speak):
    from psigraph.editor.faceview import FaceView, blendshape_row
    from psigraph.nodes.face.arkit import BLENDSHAPE_LABELS
    view = FaceView(speak, "face.blendshapes", size=96, fps=30)
    qtbot.addWidget(view)
    view.resize(200, 200)
    view.show()
    speak.start()
    qtbot.waitUntil(lambda: view.frames >= 2 or bool(view.error), timeout=60_000)
    assert not view.error
    speak.pause(wait=True)
    newest = view.probe.snapshot().times[-1]                # paused: the view catches up with it
    qtbot.waitUntil(lambda: view.last_time == newest, timeout=30_000)
    img = view.pixmap().toImage()
    assert (img.width(), img.height()) == (96, 96)
    lum = np.array([img.pixelColor(x, y).lightness() for x in range(0, 96, 4) for y in range(0, 96, 4)])
    assert lum.std() > 10                                   # a face, not a blank frame
    snap = view.probe.snapshot()                            # the row shown came from the probe
    hit = np.flatnonzero(np.isclose(snap.times, view.last_time))
    assert len(hit) == 1 and np.array_equal(view.last_row, snap.data[hit[0]])
    view.shutdown()
    assert list(blendshape_row(["jawOpen", "nope"], [0.5, 9.0]).nonzero()[0]) == [
        BLENDSHAPE_LABELS.index("jawOpen")]
    with pytest.raises(PsigraphError, match="no blendshapes"):
        FaceView(speak, "core.r")


def test_profile_panel_lists_every_node(qtbot, tmp_path):
    from psigraph.editor.profile import ProfilePanel
    speak = Runner(psigraph.load(graph_path("psi_core")), realtime=False, out_dir=str(tmp_path))
    panel = ProfilePanel(speak)
    qtbot.addWidget(panel)
    panel.refresh()
    assert panel.table.rowCount() == 0 and "stopped" in panel.summary.text()
    speak.start()
    qtbot.waitUntil(lambda: speak.graph_time >= 1.0, timeout=60_000)
    panel.refresh()
    rows = panel.rows()
    assert {r[0] for r in rows} == set(speak.graph.nodes)
    assert all(us > 0 and share > 0 for _, us, share in rows)
    assert [r[2] for r in rows] == sorted((r[2] for r in rows), reverse=True)
    assert panel.table.rowCount() == len(rows) and "under-runs: 0" in panel.summary.text()
    speak.stop()
