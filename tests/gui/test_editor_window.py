"""The Qt editor drives the model: every gesture is a Graph command, undo restores the file byte for byte,
the view is a function of the Graph (also when a script changes it), unknown node types survive."""
import shutil
from pathlib import Path

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, QPointF, QSettings, Qt  # noqa: E402
from PySide6.QtGui import QContextMenuEvent, QDropEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

from psigraph import fileformat  # noqa: E402
from psigraph.editor.app import MainWindow  # noqa: E402
from psigraph.editor.canvas import GraphScene, PortItem  # noqa: E402
from psigraph.editor.document import Document, GraphUndo  # noqa: E402
from psigraph.graph import Edge, connection_issues
from psigraph.graph import suggest_converter as graph_hint  # noqa: E402
from psigraph.runtime.shipped import graph_path  # noqa: E402

pytestmark = pytest.mark.gui
SHIPPED = sorted(p.stem for p in Path(graph_path("speak")).parent.glob("*.yaml"))
PLACEHOLDER = "tests/data/placeholder.yaml"


@pytest.fixture
def window(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "editor.ini"), QSettings.IniFormat)
    w = MainWindow(settings=settings)
    w.ask_save = lambda: QMessageBox.Discard
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.shutdown()


def open_copy(window, tmp_path, name="speak"):
    path = tmp_path / f"{name}.yaml"
    shutil.copyfile(graph_path(name), path)
    assert window.open(str(path), ask=False)
    window.view.fit()
    return path


def scene_snapshot(scene: GraphScene):
    """What the canvas shows: node boxes (id, type, place, ports with rates, issue count) and wires."""
    nodes = {nid: (item.view.type, round(item.pos().x()), round(item.pos().y()),
                   tuple((p.name, p.kind, p.rate) for p in item.view.inputs + item.view.outputs), len(item.issues))
             for nid, item in scene.nodes.items()}
    return nodes, [(w.edge, w.pen().style()) for w in scene.wires]


def drag_ports(qtbot, window, src: str, dst: str):
    """Press on one port, move, release on the other (as a user drags a wire)."""
    def port(ref):
        nid, name = ref.split(".")
        item = window.scene.nodes[nid]
        found = item.ports.get(("out", name)) or item.ports[("in", name)]
        window.view.ensureVisible(found, 20, 20)
        return found
    a, b = port(src), port(dst)
    pa, pb = window.view.mapFromScene(a.scenePos()), window.view.mapFromScene(b.scenePos())
    viewport = window.view.viewport()
    qtbot.mousePress(viewport, Qt.LeftButton, pos=pa)
    qtbot.mouseMove(viewport, pos=(pa + pb) / 2)
    qtbot.mouseRelease(viewport, Qt.LeftButton, pos=pb)
    qtbot.wait(20)


def drop_type(window, type_id: str, at: QPoint):
    """Drop a palette entry (its drag data) on the canvas."""
    palette = window.palette
    palette.search.setText(type_id)
    assert type_id in palette.visible_types()
    data = palette.tree.mimeData([palette.items[type_id]])
    event = QDropEvent(QPointF(at), Qt.CopyAction, data, Qt.LeftButton, Qt.NoModifier)
    window.view.dropEvent(event)


def test_edit_undo_to_identical_file_and_redo(qtbot, window, tmp_path):
    path = open_copy(window, tmp_path)
    original = path.read_bytes()
    graph = window.document.graph
    # add a node from the palette (dropped on the canvas, snapped to the grid)
    drop_type(window, "gain", QPoint(300, 300))
    assert "gain1" in graph.nodes
    x, y = graph.editor["positions"]["gain1"]
    assert x % 20 == 0 and y % 20 == 0
    # connect by dragging from voice.audio to gain1.x
    drag_ports(qtbot, window, "voice.audio", "gain1.x")
    assert Edge("voice", "audio", "gain1", "x") in graph.edges
    # a refused connection shows the model's own message (kind mismatch, with a converter hint)
    expected = connection_issues(graph, Edge("core", "state", "face", "events"))[0]
    assert expected == "cannot connect core.state (signal) to face.events (events)"
    drag_ports(qtbot, window, "core.state", "face.events")
    assert Edge("core", "state", "face", "events") not in graph.edges
    status = window.statusBar().currentMessage()
    assert status == f"refused: {expected}; " + graph_hint(graph, Edge("core", "state", "face", "events"))
    assert "insert a converter from signal to events: " in status
    # set a param in the inspector (a refused value shows the validation message and changes nothing)
    window.scene.select(["gain1"])
    field = window.inspector.fields["gain"]
    field.setText("0.25")
    field.editingFinished.emit()
    assert graph.nodes["gain1"].params == {"gain": 0.25}
    window.scene.select(["text"])
    window.scene.select(["core"])
    field = window.inspector.fields["coupling"]
    field.setText("-3")
    field.editingFinished.emit()
    assert "must be >= 0" in window.inspector.error.text()
    assert "coupling" not in graph.nodes["core"].params
    # delete a node (its edges go with it), then paste a copy of core
    window.scene.select(["koopman"])
    window.delete_selection()
    assert "koopman" not in graph.nodes and not graph.edges_from("koopman")
    window.scene.select(["core"])
    assert window.copy()
    assert window.paste() == ["core1"]
    assert graph.nodes["core1"].params == graph.nodes["core"].params
    # undo everything → the original file, byte for byte; redo → the edited graph
    window.save()
    edited = path.read_bytes()
    stack = window.document.undo_stack
    steps = stack.count()
    assert steps == 5 and all(isinstance(stack.command(i), GraphUndo) for i in range(steps))
    while stack.canUndo():
        stack.undo()
    window.save()
    assert path.read_bytes() == original
    while stack.canRedo():
        stack.redo()
    window.save()
    assert path.read_bytes() == edited
    reloaded = GraphScene(Document(fileformat.loads(edited.decode(), strict=False), settings=window.document.settings))
    assert scene_snapshot(window.scene)[0].keys() == scene_snapshot(reloaded)[0].keys()


def test_rate_mismatch_and_cycle_are_refused_with_the_analysis_message(qtbot, window, tmp_path):
    open_copy(window, tmp_path)
    graph = window.document.graph
    window.scene.add_node("audio_sink")
    window.scene.add_node("gain")
    edge = Edge("core", "r", "audio_sink1", "x")
    expected = connection_issues(graph, edge)[0]
    assert expected.startswith("rate mismatch: core.r runs at 200 Hz but audio_sink1.x expects 24000 Hz")
    assert not window.scene.connect_ports("core.r", "audio_sink1.x")
    assert expected in window.statusBar().currentMessage()
    # drawn from an input to an output works too; a zero-delay loop add1 -> gain1 -> add1 is refused
    window.scene.add_node("add")
    assert window.scene.connect_ports("add1.a", "core.r") and window.scene.connect_ports("add1.y", "gain1.x")
    assert not window.scene.connect_ports("gain1.y", "add1.b")
    assert "zero-delay cycle add1 -> gain1 -> add1" in window.statusBar().currentMessage()
    assert Edge("gain1", "y", "add1", "b") not in graph.edges


def test_editor_holds_no_graph_state(qtbot, window, tmp_path):
    """Every edit is a Graph event; the canvas and the inspector are functions of the Graph, also when a
    script changes the Graph behind the editor's back."""
    open_copy(window, tmp_path)
    doc, graph = window.document, window.document.graph
    events = []
    graph.subscribe(events.append)

    def step(action):
        before, n = fileformat.dumps(graph), len(events)
        action()
        qtbot.wait(80)                          # the issues refresh is debounced
        changed = fileformat.dumps(graph) != before
        assert changed == (len(events) > n), "a view changed the graph without a Graph command"
        other = Document(graph)                 # a view built from the Graph alone
        fresh = GraphScene(other)
        fresh.refresh_issues()
        other.detach()
        assert scene_snapshot(window.scene) == scene_snapshot(fresh)
        return changed

    assert step(lambda: window.scene.add_node("sine", QPointF(100, 300)))
    assert step(lambda: window.scene.connect_ports("sine1.y", "wav.x")) is False      # already connected
    window.scene.select(["sine1"])
    assert step(lambda: window.inspector.set_param("freq", 220.0))
    item = window.scene.nodes["sine1"]
    item.setPos(item.pos() + QPointF(33, 7))
    assert step(window.scene.commit_moves)
    assert graph.editor["positions"]["sine1"][0] % 20 == 0
    assert step(lambda: window.probe("sine1.y", save=True))
    assert {"port": "sine1.y", "window_s": 2.0} in graph.editor["probes"]
    # a script edits the same Graph: the view follows, the document knows it changed
    doc.save()
    assert not doc.dirty
    assert step(lambda: graph.set_param("sine1", "freq", 330.0))
    assert window.inspector.fields["freq"].text() == "330.0"
    assert doc.dirty
    assert step(lambda: graph.rename_node("sine1", "osc"))
    assert "osc" in window.scene.nodes and "sine1" not in window.scene.nodes
    assert step(lambda: graph.move_node("osc", 700, 400))
    assert tuple(window.scene.nodes["osc"].pos().toTuple()) == (700, 400)
    assert step(lambda: graph.remove_node("osc"))
    assert "osc" not in window.scene.nodes


def test_unknown_node_type_is_a_placeholder_saved_unchanged(qtbot, window, tmp_path):
    path = tmp_path / "placeholder.yaml"
    shutil.copyfile(PLACEHOLDER, path)
    original = path.read_bytes()
    assert window.open(str(path), ask=False)
    item = window.scene.nodes["fx"]
    assert item.view.placeholder and item.view.type == "future_reverb@3"
    assert {p.name for p in item.view.inputs} == {"x"} and {p.name for p in item.view.outputs} == {"y"}
    assert any("unknown node type 'future_reverb@3'" in i.message for i in item.issues)
    assert window.issues_dock.windowTitle() == "Issues (1 error, 1 warning)"
    texts = [window.issues.item(i).text() for i in range(window.issues.count())]
    assert any("placeholder.yaml:9: nodes.fx.type: error: unknown node type" in t for t in texts)
    # clicking the issue selects the node
    row = next(i for i, t in enumerate(texts) if "nodes.fx.type" in t)
    window.issues.itemClicked.emit(window.issues.item(row))
    assert window.scene.selected_node_ids() == ["fx"] and window.inspector.nid == "fx"
    # edit around it, undo, save: the file is unchanged
    window.scene.select(["src"])
    window.inspector.set_param("freq", 110.0)
    window.scene.select(["fx"])
    assert window.duplicate() == ["fx1"]
    assert window.document.graph.nodes["fx1"].placeholder
    while window.document.undo_stack.canUndo():
        window.document.undo_stack.undo()
    window.save()
    assert path.read_bytes() == original


@pytest.mark.parametrize("name", SHIPPED)
def test_untouched_shipped_graph_saves_byte_identical(qtbot, tmp_path, name):
    doc = Document(settings=QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat))
    path = open_copy_doc(doc, tmp_path, name)
    before = path.read_bytes()
    doc.save()
    assert path.read_bytes() == before
    assert doc.recent_files()[0] == str(path)


def open_copy_doc(doc, tmp_path, name):
    path = tmp_path / f"{name}.yaml"
    shutil.copyfile(graph_path(name), path)
    doc.open(str(path))
    return path


def test_save_prompt_and_recent_files(qtbot, window, tmp_path):
    first = open_copy(window, tmp_path)
    window.scene.add_node("gain")
    assert window.document.dirty and window.windowTitle().startswith("speak.yaml *")
    asked = []
    window.ask_save = lambda: asked.append(1) or QMessageBox.Cancel
    other = tmp_path / "other.yaml"
    shutil.copyfile(graph_path("psi_core"), other)
    assert not window.open(str(other))                       # cancelled: nothing changes
    assert asked and "gain1" in window.document.graph.nodes
    window.ask_save = lambda: QMessageBox.Save
    assert window.open(str(other))
    assert "gain1" in fileformat.load(first, strict=False).nodes   # saved before opening the other file
    assert window.document.recent_files()[:2] == [str(other), str(first)]
    assert not window.document.dirty


def test_palette_search_and_doc_tooltips(qtbot, window):
    palette = window.palette
    palette.search.setText("oscillators")
    assert palette.visible_types() == ["psi_core"]
    palette.search.setText("")
    assert "face_animator" in palette.visible_types() and "vector_sink" not in palette.items
    tip = palette.items["gain"].toolTip(0)
    assert "gain (v1, basic)" in tip and "inputs: x (signal" in tip and "params: gain" in tip


def test_hot_params_reach_the_running_graph(qtbot, window, tmp_path, monkeypatch):
    """While the graph runs, a hot param changed in the Graph — inspector, undo, a script — reaches the run;
    a value the model refuses reaches neither."""
    monkeypatch.chdir(tmp_path)                                    # the graph's sinks write here
    open_copy(window, tmp_path, "psi_core")
    assert window.run(realtime=False)
    assert window.runner.wait_started(60)
    window.scene.select(["core"])
    window.inspector_dock.raise_()
    assert window.inspector.set_param("coupling", 3.0)
    assert window.document.graph.nodes["core"].params["coupling"] == 3.0
    assert not window.inspector.set_param("coupling", -1.0)
    assert "must be >= 0" in window.inspector.error.text()
    assert window.inspector.set_param("noise", 0.3)
    window.document.undo_stack.undo()                                # back to the file's 0.1
    window.document.graph.set_param("core", "noise", 0.2)           # a script, behind the editor's back

    def sent(ref):
        return [v for r, v, _t in window.runner.applied if r == ref]
    qtbot.waitUntil(lambda: len(sent("core.noise")) == 3, timeout=30000)
    assert sent("core.noise") == [0.3, 0.1, 0.2]
    assert sent("core.coupling") == [3.0]
    window.stop()


def test_canvas_gestures_move_select_probe_pan_zoom(qtbot, window, tmp_path):
    open_copy(window, tmp_path)
    graph, view, scene = window.document.graph, window.view, window.scene
    viewport = view.viewport()
    # drag a node by its title: one MoveNode, snapped to the grid
    item = scene.nodes["wav"]
    start = view.mapFromScene(item.mapToScene(QPointF(40, 10)))
    qtbot.mousePress(viewport, Qt.LeftButton, pos=start)
    for k in range(1, 6):
        qtbot.mouseMove(viewport, pos=start + QPoint(9 * k, 5 * k))
    qtbot.mouseRelease(viewport, Qt.LeftButton, pos=start + QPoint(45, 25))
    qtbot.waitUntil(lambda: graph.editor["positions"]["wav"] != [720, -80], timeout=3000)
    x, y = graph.editor["positions"]["wav"]
    assert (x % 20, y % 20) == (0, 0) and x > 720 and y > -80
    assert window.document.undo_stack.undoText() == "move wav"
    # rubber band over text and planner selects both
    a = view.mapFromScene(QPointF(-30, -30))
    b = view.mapFromScene(scene.nodes["planner"].sceneBoundingRect().bottomRight() + QPointF(10, 10))
    qtbot.mousePress(viewport, Qt.LeftButton, pos=a)
    qtbot.mouseMove(viewport, pos=(a + b) / 2)
    qtbot.mouseMove(viewport, pos=b)
    qtbot.mouseRelease(viewport, Qt.LeftButton, pos=b)
    assert sorted(scene.selected_node_ids()) == ["planner", "text"]
    # right-click on a wire opens a scope on it and saves the probe with the graph
    wire = next(w for w in scene.wires if w.edge == Edge("voice", "audio", "wav", "x"))
    mid = view.mapFromScene(wire.path().pointAtPercent(0.5))
    # (QTest clicks bypass the window, which is what turns a right-click into a context-menu event)
    QApplication.sendEvent(viewport, QContextMenuEvent(QContextMenuEvent.Mouse, mid, viewport.mapToGlobal(mid)))
    assert "voice.audio" in window.scopes
    assert {"port": "voice.audio", "window_s": 2} in graph.editor["probes"]
    # select a wire and delete it (a disconnect); undo puts it back in its place
    index = graph.edges.index(Edge("core", "state", "face", "state"))
    scene.select(edges=[Edge("core", "state", "face", "state")])
    window.delete_selection()
    assert Edge("core", "state", "face", "state") not in graph.edges and "face" in graph.nodes
    window.document.undo_stack.undo()
    assert graph.edges.index(Edge("core", "state", "face", "state")) == index
    # zoom in and out, fit shows every node
    before = view.transform().m11()
    view.zoom(1.25)
    assert view.transform().m11() == pytest.approx(before * 1.25)
    view.fit()
    shown = view.mapToScene(viewport.rect()).boundingRect()
    assert all(shown.contains(n.sceneBoundingRect()) for n in scene.nodes.values())


def test_wire_delay_in_the_inspector_closes_a_loop(qtbot, window, tmp_path):
    """A feedback loop is refused without a delay; giving an existing wire a delay is one undoable edit."""
    open_copy(window, tmp_path)
    graph, scene = window.document.graph, window.scene
    scene.add_node("add")
    scene.add_node("gain")
    assert scene.connect_ports("core.r", "add1.a") and scene.connect_ports("add1.y", "gain1.x")
    assert not scene.connect_ports("gain1.y", "add1.b")              # zero-delay cycle
    graph.connect("gain1.y", "add1.b")                               # a script may write it anyway ...
    assert any("zero-delay cycle" in i.message for i in window.document.issues())
    loop = Edge("gain1", "y", "add1", "b")
    scene.select(edges=[loop])
    assert window.inspector.edge == loop
    assert window.inspector.set_delay(2)                             # ... and the inspector fixes it
    assert Edge("gain1", "y", "add1", "b", 2) in graph.edges and loop not in graph.edges
    assert not any("zero-delay cycle" in i.message for i in window.document.issues())
    wire = next(w for w in scene.wires if w.edge.delay == 2)
    assert wire.pen().style() == Qt.DashLine and wire.label.text() == "delay 2"
    text = fileformat.dumps(graph)
    assert "{from: gain1.y, to: add1.b, delay: 2}" in text
    window.document.undo_stack.undo()
    assert loop in graph.edges and graph.edges.index(loop) == len(graph.edges) - 1


def test_a_file_that_cannot_be_read_faithfully_is_refused_and_nothing_changes(qtbot, window, tmp_path):
    good = open_copy(window, tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("psigraph: 1\nnodes:\n  a: {type: sine\n")            # unclosed flow mapping
    assert not window.open(str(bad), ask=False)
    assert window.statusBar().currentMessage().startswith(f"{bad}:")
    assert window.document.path == str(good) and "core" in window.document.graph.nodes
    assert "core.state" in window.scopes                                  # its views stay open


def test_copy_in_one_file_paste_in_another_and_rename(qtbot, window, tmp_path):
    open_copy(window, tmp_path)
    window.scene.select(["core", "voice"])
    assert window.copy()
    other = tmp_path / "placeholder.yaml"
    shutil.copyfile(PLACEHOLDER, other)
    assert window.open(str(other), ask=False)
    assert window.paste() == ["core", "voice"]                       # free ids in this file: kept
    graph = window.document.graph
    assert Edge("core", "state", "voice", "state") in graph.edges
    assert graph.nodes["core"].params == fileformat.load(graph_path("speak")).nodes["core"].params
    assert window.paste() == ["core1", "voice1"]                     # taken now: fresh ids, wires follow
    assert Edge("core1", "state", "voice1", "state") in graph.edges
    # rename in the inspector: wires and position follow; undo restores the file
    window.scene.select(["voice1"])
    ident = window.inspector.fields["@id"]
    ident.setText("voice_b")
    ident.editingFinished.emit()
    assert "voice_b" in graph.nodes and Edge("core1", "state", "voice_b", "state") in graph.edges
    assert "voice_b" in graph.editor["positions"] and "voice1" not in graph.editor["positions"]
    assert window.document.undo_stack.undoText() == "rename voice1 to voice_b"
    while window.document.undo_stack.canUndo():
        window.document.undo_stack.undo()
    assert window.document.text().encode() == other.read_bytes()


def test_inspector_is_generated_from_params(qtbot, window, tmp_path):
    """Choices become a list, booleans a box, limits/units/docs tooltips; each change is one Graph command."""
    from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit
    open_copy(window, tmp_path)
    graph, inspector = window.document.graph, window.inspector
    window.scene.select(["face"])
    choice = inspector.fields["blink_source"]
    assert isinstance(choice, QComboBox)
    assert [choice.itemText(i) for i in range(choice.count())] == ["auto", "oscillator", "hash"]
    choice.setCurrentText("hash")
    assert graph.nodes["face"].params["blink_source"] == "hash"
    window.scene.select(["core"])
    box = inspector.fields["grammar"]
    assert isinstance(box, QCheckBox) and box.isChecked()
    box.setChecked(False)
    assert graph.nodes["core"].params["grammar"] is False
    coupling = inspector.fields["coupling"]
    assert isinstance(coupling, QLineEdit) and "≥ 0" in coupling.toolTip()
    assert "hot: changes apply to a running graph at the next block" in coupling.toolTip()
    bands = inspector.fields["bands"]
    assert graph.nodes["core"].params["bands"][0]["count"] == 128
    bands.setText(bands.text().replace("count: 128", "count: 64"))
    bands.editingFinished.emit()
    assert graph.nodes["core"].params["bands"][0]["count"] == 64
    assert window.document.undo_stack.count() == 3
    # an empty text field puts a param back to its default (removed from the file)
    window.scene.select(["core"])
    inspector.fields["bands"].setText("")
    inspector.fields["bands"].editingFinished.emit()
    assert "bands" not in graph.nodes["core"].params
    assert inspector.fields["bands"].text().startswith("[{count: ")          # shows the default again


def test_nodes_without_saved_positions_are_laid_out_by_depth_without_editing_the_file(qtbot, tmp_path):
    from psigraph.graph import Graph
    g = Graph("chain")
    for nid, type_id in (("s", "sine"), ("a", "gain"), ("b", "gain"), ("c", "gain"), ("out", "wav_sink")):
        g.add_node(nid, type_id)
    for src, dst in (("s", "a"), ("a", "b"), ("a", "c"), ("b", "out")):
        g.connect(f"{src}.y", f"{dst}.x")
    text = fileformat.dumps(g)
    doc = Document(g, settings=QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat))
    scene = GraphScene(doc)
    places = {nid: (item.pos().x(), item.pos().y()) for nid, item in scene.nodes.items()}
    assert len(set(places.values())) == 5                                   # no two boxes on one spot
    assert places["s"][0] < places["a"][0] < places["b"][0] == places["c"][0] < places["out"][0]
    assert not doc.dirty and fileformat.dumps(g) == text and g.editor == {}
    doc.detach()


def test_param_issues_show_on_the_inspector_field(qtbot, window, tmp_path):
    """A param the file got wrong is marked in the inspector with the message validate prints."""
    path = tmp_path / "bad_param.yaml"
    text = open(graph_path("speak"), encoding="utf-8").read().replace("persona: default}", "persona: nobody}", 1)
    path.write_text(text)
    assert window.open(str(path), ask=False)
    issue = next(i for i in window.document.issues() if i.path.startswith("nodes.planner.params.persona"))
    window.issues.itemClicked.emit(next(window.issues.item(k) for k in range(window.issues.count())
                                        if "nodes.planner.params.persona" in window.issues.item(k).text()))
    assert window.inspector.nid == "planner"
    field = window.inspector.fields["persona"]
    assert issue.message in field.toolTip()
    window.inspector.set_param("persona", "default")
    assert not any(i.path.startswith("nodes.planner.params.persona") for i in window.document.issues())
    assert issue.message not in window.inspector.fields["persona"].toolTip()
