"""The editor window: canvas in the middle, palette, inspector, issues, scopes, coupling matrix,
face and profile in docks; menus and toolbar for files, edits, views and runs.

The window wires views to one :class:`~psigraph.editor.document.Document` and adds nothing
to the model: every edit is a Graph command on the Document's undo stack.
The run machinery and its views (runner, scope, coupling, faceview, profile) are optional
modules: the window uses each one that is installed and says so when one is missing.
"""
from __future__ import annotations

import importlib
import os

from PySide6.QtCore import QMimeData, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QApplication, QDockWidget, QFileDialog, QLabel, QMainWindow, QMessageBox,
                               QToolBar)

from psigraph.errors import PsigraphError
from psigraph.graph import SetProbe

from . import fragment
from .canvas import GraphScene, GraphView
from .document import Document
from .inspector import Inspector
from .issues import IssuesList
from .palette import Palette

DEFAULT_WINDOW_S = 2.0
SCOPE_HEIGHT = 300
FILE_FILTER = "psigraph graphs (*.yaml *.yml);;all files (*)"


def optional(module: str, name: str):
    """A class from an optional editor module (run machinery, scopes...), or None when absent."""
    try:
        return getattr(importlib.import_module(f"psigraph.editor.{module}"), name)
    except (ImportError, AttributeError):
        return None


def default_probes(graph) -> list[str]:
    """Scopes worth opening on a speech graph: the ψ order parameter and the audio."""
    refs = []
    for nid, spec in graph.nodes.items():
        if spec.type.split("@")[0] == "psi_core":
            refs.append(f"{nid}.r")
            break
    for nid, spec in graph.nodes.items():
        if spec.type.split("@")[0] == "voice":
            refs.append(f"{nid}.audio")
            break
    return refs


def saved_probes(graph) -> list[tuple[str, float]]:
    probes = graph.editor.get("probes") if isinstance(graph.editor.get("probes"), list) else []
    out = []
    for p in probes:
        if isinstance(p, dict) and isinstance(p.get("port"), str):
            try:
                out.append((p["port"], float(p.get("window_s", DEFAULT_WINDOW_S))))
            except (TypeError, ValueError):
                out.append((p["port"], DEFAULT_WINDOW_S))
    return out


class MainWindow(QMainWindow):
    """The psigraph editor."""

    def __init__(self, settings: QSettings | None = None, parent=None):
        super().__init__(parent)
        self.resize(1500, 950)
        self.document = Document(settings=settings, parent=self)
        self.scene = GraphScene(self.document, self)
        self.view = GraphView(self.scene)
        self.setCentralWidget(self.view)
        self.runner = None
        self.scopes: dict[str, QDockWidget] = {}
        self.extra_docks: dict[str, QDockWidget] = {}
        self.missing: list[str] = []
        self.ask_save = self._ask_save          # replaceable in tests: returns Save, Discard or Cancel
        self.palette = Palette()
        self.inspector = Inspector(self.document)
        self.issues = IssuesList(self.document)
        nodes_dock = self._dock("Nodes", self.palette, Qt.LeftDockWidgetArea)
        self.issues_dock = self._dock("Issues", self.issues, Qt.LeftDockWidgetArea)
        self.splitDockWidget(nodes_dock, self.issues_dock, Qt.Vertical)
        self.inspector_dock = self._dock("Inspector", self.inspector, Qt.RightDockWidgetArea)
        self.run_label = QLabel("stopped")
        self.statusBar().addPermanentWidget(self.run_label)
        self._actions()
        self.palette.add_requested.connect(self._add_from_palette)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.scene.refused.connect(self._refused)
        self.scene.message.connect(lambda text: self.statusBar().showMessage(text, 4000))
        self.scene.probe_requested.connect(self.probe)
        self.issues.located.connect(self._locate)
        self.document.changed.connect(self._send_hot_param)
        self.document.dirty_changed.connect(lambda _d: self._title())
        self.document.path_changed.connect(lambda _p: self._title())
        self._title()

    def _dock(self, title: str, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _title(self) -> None:
        self.setWindowTitle(f"{self.document.title()} — psigraph editor")

    # ---- menus -----------------------------------------------------------------
    def _action(self, menu, text, slot, shortcut=None, toolbar=None) -> QAction:
        act = QAction(text, self)
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
        act.triggered.connect(lambda _checked=False: slot())
        menu.addAction(act)
        if toolbar is not None:
            toolbar.addAction(act)
        return act

    def _actions(self) -> None:
        bar = QToolBar("main", self)
        bar.setObjectName("main toolbar")
        self.addToolBar(bar)
        m = self.menuBar().addMenu("&File")
        self._action(m, "&New", self.new, QKeySequence.New)
        self._action(m, "&Open…", self.open_dialog, QKeySequence.Open, bar)
        self.recent_menu = m.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._action(m, "&Save", self.save, QKeySequence.Save, bar)
        self._action(m, "Save &As…", self.save_as, QKeySequence.SaveAs)
        m.addSeparator()
        self._action(m, "&Quit", self.close, QKeySequence.Quit)
        m = self.menuBar().addMenu("&Edit")
        undo = self.document.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.Undo)
        redo = self.document.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence.Redo)
        m.addActions([undo, redo])
        bar.addActions([undo, redo])
        m.addSeparator()
        self._action(m, "Cu&t", self.cut, QKeySequence.Cut)
        self._action(m, "&Copy", self.copy, QKeySequence.Copy)
        self._action(m, "&Paste", self.paste, QKeySequence.Paste)
        self._action(m, "D&uplicate", self.duplicate, "Ctrl+D")
        self._action(m, "&Delete", self.delete_selection, QKeySequence.Delete)
        self._action(m, "Select &All", lambda: self.scene.select(self.document.graph.nodes), QKeySequence.SelectAll)
        m = self.menuBar().addMenu("&View")
        self._action(m, "&Fit", self.view.fit, "F", bar)
        self._action(m, "Zoom &In", lambda: self.view.zoom(1.25), QKeySequence.ZoomIn)
        self._action(m, "Zoom &Out", lambda: self.view.zoom(0.8), QKeySequence.ZoomOut)
        m = self.menuBar().addMenu("&Run")
        bar.addSeparator()
        self._action(m, "&Run (1×)", lambda: self.run(realtime=True), "F5", bar)
        self._action(m, "Run as &fast as possible", lambda: self.run(realtime=False), "Shift+F5")
        self._action(m, "&Pause / resume", self.pause, "F6", bar)
        self._action(m, "&Stop", self.stop, "Shift+F6", bar)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.document.recent_files():
            act = self.recent_menu.addAction(path)
            act.triggered.connect(lambda _c=False, p=path: self.open(p))

    # ---- files -------------------------------------------------------------------
    def _ask_save(self):
        return QMessageBox.question(self, "psigraph", f"Save the changes to {self.document.title().rstrip(' *')}?",
                                    QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel)

    def maybe_save(self) -> bool:
        """True when the current document may be closed (saved, discarded or clean)."""
        if not self.document.dirty:
            return True
        answer = self.ask_save()
        if answer == QMessageBox.Cancel:
            return False
        if answer == QMessageBox.Save:
            return self.save()
        return True

    def new(self) -> None:
        if self.maybe_save():
            self._close_run()
            self.document.new()

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open graph", os.getcwd(), FILE_FILTER)
        if path:
            self.open(path, ask=False)

    def open(self, path: str, ask: bool = True) -> bool:
        """Open a graph file: canvas, issues, the scopes saved with it and the coupling/face views."""
        if ask and not self.maybe_save():
            return False
        self._close_run()
        try:
            self.document.open(path)
        except PsigraphError as e:
            self._error(e.line())
            return False
        self._open_run_views()
        QTimer.singleShot(0, self.view.fit)
        self.statusBar().showMessage(f"opened {path}", 4000)
        return True

    def save(self) -> bool:
        if not self.document.path:
            return self.save_as()
        try:
            self.document.save()
        except (PsigraphError, OSError) as e:
            self._error(str(e))
            return False
        self.statusBar().showMessage(f"saved {self.document.path}", 4000)
        return True

    def save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, "Save graph as", self.document.path or os.getcwd(), FILE_FILTER)
        if not path:
            return False
        try:
            self.document.save(path)
        except (PsigraphError, OSError) as e:
            self._error(str(e))
            return False
        return True

    def _error(self, text: str) -> None:
        self.statusBar().showMessage(text.splitlines()[0] if text else "", 10000)
        if QApplication.platformName() not in ("offscreen", "minimal"):
            QMessageBox.warning(self, "psigraph", text)

    def closeEvent(self, event):
        if not self.maybe_save():
            event.ignore()
            return
        self.shutdown()
        event.accept()

    # ---- edits ---------------------------------------------------------------------
    def _refused(self, text: str) -> None:
        self.statusBar().showMessage(f"refused: {text}", 10000)

    def _add_from_palette(self, type_id: str) -> None:
        center = self.view.mapToScene(self.view.viewport().rect().center())
        self.scene.add_node(type_id, center)

    def copy(self) -> bool:
        nids = self.scene.selected_node_ids()
        if not nids:
            return False
        text = fragment.copy_text(self.document.graph, nids)
        data = QMimeData()
        data.setData(fragment.MIME, text.encode("utf-8"))
        data.setText(text)
        QApplication.clipboard().setMimeData(data)
        self.statusBar().showMessage(f"copied {', '.join(nids)}", 4000)
        return True

    def paste(self, text: str | None = None) -> list[str]:
        """Paste a fragment (the clipboard's by default): one undoable command; returns the new ids."""
        if text is None:
            data = QApplication.clipboard().mimeData()
            text = bytes(data.data(fragment.MIME)).decode("utf-8") if data.hasFormat(fragment.MIME) \
                else QApplication.clipboard().text()
        try:
            cmd, ids = fragment.paste_command(self.document.graph, text)
            self.document.push(cmd)
        except PsigraphError as e:
            self._refused(e.line().splitlines()[0])
            return []
        self.scene.select(ids)
        return ids

    def cut(self) -> None:
        if self.copy():
            self.delete_selection()

    def duplicate(self) -> list[str]:
        nids = self.scene.selected_node_ids()
        return self.paste(fragment.copy_text(self.document.graph, nids)) if nids else []

    def delete_selection(self) -> None:
        graph = self.document.graph
        nids = [n for n in self.scene.selected_node_ids() if n in graph.nodes]
        edges = [e for e in self.scene.selected_edges() if e in graph.edges]
        if nids or edges:
            self.scene.push(fragment.delete_command(self.document.graph, nids, edges))

    def _selection_changed(self) -> None:
        graph = self.document.graph
        nids = [n for n in self.scene.selected_node_ids() if n in graph.nodes]
        edges = [e for e in self.scene.selected_edges() if e in graph.edges]
        if not nids and len(edges) == 1 and edges[0] != self.inspector.edge:
            self.inspector.show_edge(edges[0])
            self.inspector_dock.raise_()
        if len(nids) == 1 and nids[0] != self.inspector.nid:
            self.inspector.show_node(nids[0])
            if graph.nodes[nids[0]].type.split("@")[0] == "psi_core":
                self._show_coupling(nids[0])
            else:
                self.inspector_dock.raise_()

    def _locate(self, nid: str, param: str, edge: int) -> None:
        if nid:
            self.scene.select([nid])
            self.inspector.show_node(nid)
            if param:
                self.inspector.focus_param(param)
        elif 0 <= edge < len(self.document.graph.edges):
            self.scene.select(edges=[self.document.graph.edges[edge]])

    # ---- running, scopes and the live views ---------------------------------------
    def _ensure_runner(self):
        if self.runner is None:
            Runner = optional("runner", "Runner")
            if Runner is None:
                self._missing("runner")
                return None
            self.runner = Runner(self.document)
            self.runner.started.connect(lambda: self.run_label.setText("running"))
            self.runner.stopped.connect(lambda why: self.run_label.setText(f"stopped {why}".strip()))
            self.runner.error.connect(lambda text: self._error(text))
        return self.runner

    def _missing(self, what: str) -> None:
        if what not in self.missing:
            self.missing.append(what)
        self.statusBar().showMessage(f"psigraph.editor.{what} is not installed: that view is unavailable", 8000)

    def run(self, realtime: bool = True) -> bool:
        runner = self._ensure_runner()
        if runner is None:
            return False
        if runner.running:
            return True
        runner.realtime = realtime
        try:
            runner.start()
        except PsigraphError as e:
            self._error(e.line())
            return False
        self.run_label.setText("starting…")
        return True

    def _send_hot_param(self, event: dict) -> None:
        """While the graph runs, a hot param changed in the Graph (inspector, undo, redo, a script)
        reaches the run at its next block; other changes wait for the next run."""
        runner = self.runner
        if event.get("command") != "SetParam" or runner is None or not runner.running:
            return
        nid, name = event["nid"], event["name"]
        spec = self.document.graph.nodes.get(nid)
        if spec is None or spec.placeholder:
            return
        cls = self.document.graph.node_class(nid)
        if name not in cls.HOT_PARAMS:
            self.statusBar().showMessage(f"{nid}.{name} is not hot: it takes effect at the next run", 6000)
            return
        value = spec.params.get(name, getattr(cls.Params.from_dict(spec.params), name))
        try:
            runner.set_param(nid, name, value)
        except PsigraphError as e:
            self._refused(e.line())

    def pause(self) -> None:
        if self.runner is not None and self.runner.running:
            if self.runner.paused:
                self.runner.resume()
                self.run_label.setText("running")
            else:
                self.runner.pause()
                self.run_label.setText("paused")

    def stop(self) -> None:
        if self.runner is not None:
            self.runner.stop()
            self.run_label.setText("stopped")

    def probe(self, ref: str, window_s: float = DEFAULT_WINDOW_S, save: bool = True) -> QDockWidget | None:
        """Open a scope on ``node.port``; ``save`` also records the probe in the file (undoable)."""
        if save and ref not in dict(saved_probes(self.document.graph)):
            try:
                self.document.push(SetProbe(ref, {"window_s": window_s}))
            except PsigraphError as e:
                self._refused(e.line())
                return None
        if ref in self.scopes:
            self.scopes[ref].show()
            self.scopes[ref].raise_()
            return self.scopes[ref]
        ScopeDock, runner = optional("scope", "ScopeDock"), self._ensure_runner()
        if ScopeDock is None or runner is None:
            self._missing("scope")
            return None
        try:
            dock = ScopeDock(runner, ref, window_s, self)
        except PsigraphError as e:
            self._refused(e.line())
            return None
        self._place_scope(dock)
        self.scopes[ref] = dock
        return dock

    def _place_scope(self, dock: QDockWidget) -> None:
        """Scopes fill the bottom: the first two side by side, later ones as tabs behind them."""
        shown = list(self.scopes.values())
        self.addDockWidget(Qt.BottomDockWidgetArea, dock)
        if len(shown) == 1:
            self.splitDockWidget(shown[0], dock, Qt.Horizontal)
        elif len(shown) >= 2:
            self.tabifyDockWidget(shown[len(shown) % 2], dock)
            shown[len(shown) % 2].raise_()
        self.resizeDocks([dock], [SCOPE_HEIGHT], Qt.Vertical)

    def _open_run_views(self, defaults: bool = False) -> None:
        """The scopes saved with the graph (plus the speech defaults when asked), the coupling editor
        of the first ψ-core and the face of the first face animator."""
        refs = saved_probes(self.document.graph)
        if defaults:
            refs += [(r, DEFAULT_WINDOW_S) for r in default_probes(self.document.graph)]
        seen = set()
        for ref, window_s in refs:
            if ref not in seen:
                seen.add(ref)
                self.probe(ref, window_s, save=False)
        core = self._first("psi_core")
        if core:
            self._show_coupling(core)
        face = self._first("face_animator")
        if face:
            self._show_extra("faceview", "FaceView", lambda cls: cls(self._ensure_runner(), f"{face}.blendshapes"),
                             "Face")
        self._show_extra("profile", "ProfilePanel", lambda cls: cls(self._ensure_runner()), "Profile")

    def _first(self, type_id: str) -> str | None:
        return next((n for n, s in self.document.graph.nodes.items() if s.type.split("@")[0] == type_id), None)

    def open_default_views(self) -> None:
        """For screenshots: the ψ order parameter and audio scopes in front of the saved ones."""
        self._open_run_views(defaults=True)
        for ref in default_probes(self.document.graph):
            if ref in self.scopes:
                self.scopes[ref].raise_()

    def _show_coupling(self, nid: str) -> None:
        spec = self.document.graph.nodes.get(nid)
        if spec is None or spec.type.split("@")[0] != "psi_core":
            return
        self._show_extra("coupling", "CouplingEditor",
                         lambda cls: cls(self.document, nid, runner=self._ensure_runner()),
                         f"Coupling K_ij ({nid})", key=f"coupling:{nid}")

    def _show_extra(self, module: str, name: str, make, title: str, key: str | None = None) -> None:
        """Open an optional view (coupling matrix, face, profile) in its dock, once."""
        key = key or module
        if key in self.extra_docks:
            self.extra_docks[key].show()
            self.extra_docks[key].raise_()
            return
        cls = optional(module, name)
        if cls is None or (module != "coupling" and self._ensure_runner() is None):
            self._missing(module)
            return
        try:
            widget = make(cls)
        except PsigraphError as e:
            self._refused(e.line())
            return
        except Exception as e:  # noqa: BLE001 - a view that cannot start (no GL) must not take the editor down
            self.statusBar().showMessage(f"{title}: unavailable ({type(e).__name__}: {e})", 10000)
            return
        if isinstance(widget, QDockWidget):
            dock = widget
        else:
            dock = QDockWidget(title, self)
            dock.setObjectName(key)
            dock.setWidget(widget)
        self._place_extra(module, dock)
        self.extra_docks[key] = dock

    def _place_extra(self, module: str, dock: QDockWidget) -> None:
        """Coupling matrix as a tab over the inspector, the face right of the scopes, the profile beside
        the issues."""
        if module == "coupling":
            self.addDockWidget(Qt.RightDockWidgetArea, dock)
            self.tabifyDockWidget(self.inspector_dock, dock)
            dock.raise_()
        elif module == "faceview":
            self.addDockWidget(Qt.BottomDockWidgetArea, dock)
            scopes = list(self.scopes.values())
            if scopes:
                self.splitDockWidget(scopes[min(1, len(scopes) - 1)], dock, Qt.Horizontal)
            self.resizeDocks([dock], [SCOPE_HEIGHT], Qt.Horizontal)
        else:
            self.addDockWidget(Qt.LeftDockWidgetArea, dock)
            self.tabifyDockWidget(self.issues_dock, dock)

    def _close_run(self) -> None:
        """Stop a run and close the views bound to it (before another graph is opened)."""
        if self.runner is not None:
            self.runner.stop()
        for dock in list(self.scopes.values()) + list(self.extra_docks.values()):
            for target in {id(x): x for x in (dock, dock.widget()) if x is not None}.values():
                if hasattr(target, "shutdown"):
                    target.shutdown()
            self.removeDockWidget(dock)
            dock.deleteLater()
        self.scopes, self.extra_docks = {}, {}
        self.runner = None

    def shutdown(self) -> None:
        """Stop the run and release the scopes and GL views (call before the interpreter exits)."""
        self._close_run()
