"""The editor window: canvas in the middle, palette, inspector, issues, scopes, coupling matrix,
face and profile in docks; menus and toolbar for files, edits, views and runs.

The window wires views to one :class:`~psigraph.editor.document.Document` and adds nothing
to the model: every edit is a Graph command on the Document's undo stack.
The run and its views (scopes, coupling matrix, face, profile) are in :mod:`.live`.
"""
from __future__ import annotations

import os

from PySide6.QtCore import QMimeData, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QApplication, QDockWidget, QFileDialog, QLabel, QMainWindow, QMessageBox,
                               QToolBar)

from psigraph.errors import PsigraphError

from . import fragment
from .canvas import GraphScene, GraphView
from .document import Document
from .inspector import Inspector
from .issues import IssuesList
from .live import DEFAULT_WINDOW_S, LiveViews
from .palette import Palette

FILE_FILTER = "psigraph graphs (*.yaml *.yml);;all files (*)"


def _count(issues) -> tuple[int, int]:
    errors = sum(i.severity == "error" for i in issues)
    return errors, len(issues) - errors


class MainWindow(QMainWindow):
    """The psigraph editor."""

    def __init__(self, settings: QSettings | None = None, parent=None):
        super().__init__(parent)
        self.resize(1500, 950)
        self.document = Document(settings=settings, parent=self)
        self.scene = GraphScene(self.document, self)
        self.view = GraphView(self.scene)
        self.setCentralWidget(self.view)
        self.ask_save = self._ask_save          # replaceable in tests: returns Save, Discard or Cancel
        self.palette = Palette()
        self.inspector = Inspector(self.document)
        self.issues = IssuesList(self.document)
        nodes_dock = self._dock("Nodes", self.palette, Qt.LeftDockWidgetArea)
        self.issues_dock = self._dock("Issues", self.issues, Qt.LeftDockWidgetArea)
        self.splitDockWidget(nodes_dock, self.issues_dock, Qt.Vertical)
        self.inspector_dock = self._dock("Inspector", self.inspector, Qt.RightDockWidgetArea)
        self.run_label = QLabel("stopped")
        self.live = LiveViews(self)
        self.statusBar().addPermanentWidget(self.run_label)
        self._actions()
        self.palette.add_requested.connect(self._add_from_palette)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.scene.refused.connect(self.report_refusal)
        self.scene.message.connect(lambda text: self.statusBar().showMessage(text, 4000))
        self.scene.probe_requested.connect(self.probe)
        self.issues.located.connect(self._locate)
        self.issues.counted.connect(self._issues_counted)
        self._issues_counted(*_count(self.document.issues()))
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
            self.live.close()
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
        try:
            loaded = self.document.read(path)
        except PsigraphError as e:              # nothing changes: the open graph and its views stay
            self.report_error(e.line())
            return False
        self.live.close()
        self.document.open(path, loaded)
        self.live.open_views()
        QTimer.singleShot(0, self.view.fit)
        self.statusBar().showMessage(f"opened {path}", 4000)
        return True

    def save(self) -> bool:
        if not self.document.path:
            return self.save_as()
        try:
            self.document.save()
        except (PsigraphError, OSError) as e:
            self.report_error(str(e))
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
            self.report_error(str(e))
            return False
        return True

    def report_error(self, text: str) -> None:
        """Status bar line plus a message box that does not block the event loop (runs and scopes go on)."""
        self.statusBar().showMessage(text.splitlines()[0] if text else "", 10000)
        if QApplication.platformName() in ("offscreen", "minimal"):
            return
        box = QMessageBox(QMessageBox.Warning, "psigraph", text, QMessageBox.Ok, self)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()

    def closeEvent(self, event):
        if not self.maybe_save():
            event.ignore()
            return
        self.shutdown()
        event.accept()

    # ---- edits ---------------------------------------------------------------------
    def report_refusal(self, text: str) -> None:
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
            self.report_refusal(e.line().splitlines()[0])
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
                self.live.show_coupling(nids[0])
            else:
                self.inspector_dock.raise_()

    def _issues_counted(self, errors: int, warnings: int) -> None:
        parts = [f"{errors} error{'s' * (errors != 1)}"] if errors else []
        parts += [f"{warnings} warning{'s' * (warnings != 1)}"] if warnings else []
        self.issues_dock.setWindowTitle(f"Issues ({', '.join(parts)})" if parts else "Issues")
        if errors:
            self.issues_dock.raise_()

    def _locate(self, nid: str, param: str, edge: int) -> None:
        if nid:
            self.scene.select([nid])
            self.inspector.show_node(nid)
            if param:
                self.inspector.focus_param(param)
        elif 0 <= edge < len(self.document.graph.edges):
            self.scene.select(edges=[self.document.graph.edges[edge]])

    # ---- running and the live views (editor/live.py) ---------------------------------
    @property
    def runner(self):
        return self.live.runner

    @property
    def scopes(self) -> dict:
        return self.live.scopes

    def run(self, realtime: bool = True) -> bool:
        """Run the open graph (1x, or as fast as possible); False when it cannot start."""
        return self.live.run(realtime)

    def pause(self) -> None:
        self.live.pause()

    def stop(self) -> None:
        self.live.stop()

    def probe(self, ref: str, window_s: float = DEFAULT_WINDOW_S, save: bool = True):
        """Open a scope on ``node.port``; ``save`` also records the probe in the file (undoable)."""
        return self.live.probe(ref, window_s, save)

    def open_default_views(self) -> None:
        """For screenshots: ψ order parameter and audio scopes in front of the saved ones."""
        self.live.open_default_views()

    def shutdown(self) -> None:
        """Stop the run and release the scopes and GL views (call before the interpreter exits)."""
        self.live.close()
