"""editor.coupling: K_ij heatmap edits are Graph SetParam commands (undo restores the file),
the view follows the graph, edits apply live — and painting the micro block to 3× the
critical coupling synchronizes that band (r > 0.7 within 5 s, on the tapped data)."""
import numpy as np
import pytest

import psigraph
from psigraph.errors import PsigraphError
from psigraph.runtime.shipped import graph_path

pytestmark = pytest.mark.gui

pytest.importorskip("pyqtgraph")
from psigraph.editor.coupling import CouplingEditor, selector  # noqa: E402
from psigraph.editor.runner import Runner  # noqa: E402


def _demo():
    return psigraph.load(graph_path("psi_core"))


@pytest.fixture
def document(qtbot):
    doc_mod = pytest.importorskip("psigraph.editor.document")
    return doc_mod.Document(_demo(), graph_path("psi_core"))


def test_paint_is_one_undoable_command_and_undo_restores_the_file(qtbot, document):
    original = psigraph.dumps(document.graph)
    ed = CouplingEditor(document, "core")
    qtbot.addWidget(ed)
    k0 = ed.matrix()
    assert k0.shape == (177, 177) and k0[9, 10] == pytest.approx(6.0 / 128)     # roles first, then micro
    ed.symmetric = True
    ed.paint(slice(9, 20), slice(140, 150), 0.5)
    k1 = ed.matrix()
    assert np.all(k1[9:20, 140:150] == 0.5) and np.all(k1[140:150, 9:20] == 0.5)
    assert document.undo_stack.count() == 1
    assert document.graph.nodes["core"].params["coupling_edits"] == [
        {"rows": "micro[0:11]", "cols": "meso[3:13]", "set": 0.5},
        {"rows": "meso[3:13]", "cols": "micro[0:11]", "set": 0.5}]
    ed.scale_block("macro", "macro", 3.0)
    assert np.allclose(ed.matrix()[169:, 169:], 3 * 6.0 / 8)
    assert document.undo_stack.count() == 2
    document.undo_stack.undo()
    document.undo_stack.undo()
    assert psigraph.dumps(document.graph) == original and np.array_equal(ed.matrix(), k0)
    document.undo_stack.redo()
    assert np.all(ed._k[9:20, 140:150] == 0.5)                  # the view followed the redo


def test_cell_entry_block_selection_and_refused_values(qtbot, document):
    ed = CouplingEditor(document, "core")
    qtbot.addWidget(ed)
    ed.set_cell(0, 1, -0.25)                                  # syllable × jaw (two roles)
    assert ed.matrix()[0, 1] == -0.25 and ed.matrix()[1, 0] == 0.0
    assert document.graph.nodes["core"].params["coupling_edits"][-1] == {"rows": "syllable", "cols": "jaw",
                                                                         "set": -0.25}
    ed.select_block(100, 150)
    assert ed.block == ("micro", "meso")
    ed.scale_block(factor=0.0)
    assert np.all(ed.matrix()[9:137, 137:169] == 0.0)
    before = psigraph.dumps(document.graph)
    with pytest.raises(PsigraphError, match="finite"):
        ed.set_cell(3, 3, float("nan"))
    assert psigraph.dumps(document.graph) == before and document.undo_stack.count() == 2


def test_view_follows_a_graph_changed_behind_its_back(qtbot):
    g = _demo()                                               # a plain Graph, no Document
    ed = CouplingEditor(g, "core")
    qtbot.addWidget(ed)
    g.set_param("core", "coupling", 3.0)                      # a script edits the same model
    assert ed._k[9, 10] == pytest.approx(3.0 / 128)
    ed.set_block("micro", "micro", 0.2)                       # without a Document: graph.apply
    assert g.nodes["core"].params["coupling_edits"] == [{"rows": "micro", "cols": "micro", "set": 0.2}]
    g.remove_node("core")
    assert not ed.isEnabled()


def test_selector_names():
    from psigraph.nodes.psi.layout import build
    g = _demo()
    p = g.nodes["core"].params
    L = build(p["bands"], p["roles"], [])
    assert selector(L, 0, 1) == "syllable" and selector(L, 9, 137) == "micro"
    assert selector(L, 0, 9) == "[0:9]" and selector(L, 140, 150) == "meso[3:13]"
    assert selector(L, 5, 20) == "[5:20]" and selector(L, 0, 177) == "*"


def test_painting_three_times_critical_coupling_synchronizes_the_band(qtbot, document, tmp_path):
    """The ψ-core demo graph runs; r:micro sits below 0.7 (K = 6 rad/s, K_c = 2γ = 3.77 rad/s).
    Painting the micro block to K_ij = 3·K_c/N through the editor raises r:micro above 0.7
    within 5 s of graph time — read from the runner's probe (a runtime tap)."""
    runner = Runner(document, realtime=False, out_dir=str(tmp_path))
    r = runner.probe("core.r", window_s=12.0)
    ed = CouplingEditor(document, "core", runner)
    qtbot.addWidget(ed)
    kc = ed.critical("micro")
    assert kc == pytest.approx(2 * 2 * np.pi * 0.3)
    runner.start()
    qtbot.waitUntil(lambda: runner.graph_time >= 3.0, timeout=60_000)
    runner.pause(wait=True)
    snap = r.snapshot()
    micro = snap.labels.index("r:micro")
    assert snap.data[snap.times >= snap.times[-1] - 1.0, micro].mean() < 0.7
    ed.set_block("micro", "micro", 3 * kc / 128)               # one undoable edit, sent live
    runner.resume()
    qtbot.waitUntil(lambda: bool(runner.applied), timeout=10_000)
    (ref, value, k), = runner.applied
    assert ref == "core.coupling_edits" and value == document.graph.nodes["core"].params["coupling_edits"]
    t_edit = k / 24000
    qtbot.waitUntil(lambda: runner.graph_time >= t_edit + 5.5, timeout=60_000)
    runner.pause(wait=True)
    snap = r.snapshot()
    runner.stop()
    after = snap.times >= t_edit
    above = np.flatnonzero(after & (snap.data[:, micro] > 0.7))
    assert len(above) and snap.times[above[0]] - t_edit <= 5.0
    last = snap.times >= t_edit + 4.5
    assert snap.data[last, micro].min() > 0.7                  # and it stays synchronized
    ed.shutdown()
