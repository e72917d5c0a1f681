"""The open document: one Graph, its undo stack, its file and whether it changed since the last save.

Every edit is a :mod:`psigraph.graph` command pushed with :meth:`Document.push`; the
QUndoStack holds thin :class:`GraphUndo` wrappers (the command's inverse undoes it).
Views never keep graph state: they listen to :attr:`Document.changed` (every Graph
event, including edits made by a script through the same Graph) and
:attr:`Document.replaced` (another file was opened), and read the Graph.
"""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from psigraph import fileformat
from psigraph.errors import GraphFileError, Issue
from psigraph.graph import Graph

MAX_RECENT = 8


def describe(cmd) -> str:
    """A short text for the Edit menu (``Undo add node gain1``)."""
    name = type(cmd).__name__
    d = cmd.__dict__
    if name == "Compound":
        return d.get("label") or f"{len(d['commands'])} edits"
    if name in ("Connect", "Disconnect"):
        return f"{name.lower()} {d['edge'].text()}"
    if name == "SetParam":
        return f"set {d['nid']}.{d['name']}"
    if name == "RenameNode":
        return f"rename {d['nid']} to {d['new']}"
    if name == "SetProbe":
        return f"{'remove' if d['settings'] is None else 'probe'} {d['port']}"
    words = {"AddNode": "add node", "RemoveNode": "delete node", "MoveNode": "move node", "SetMeta": "set"}
    return f"{words.get(name, name)} {d.get('nid', d.get('key', ''))}".strip()


class GraphUndo(QUndoCommand):
    """A QUndoCommand over a Graph command that was already applied (``inverse`` undoes it)."""

    def __init__(self, document: "Document", forward, inverse, text: str):
        super().__init__(text)
        self.document, self.forward, self.inverse = document, forward, inverse
        self._done = True        # the command was applied by Document.push before it reached the stack

    def redo(self):
        if self._done:
            self._done = False
            return
        self.inverse = self.document._apply(self.forward)

    def undo(self):
        self.forward = self.document._apply(self.inverse)


class Document(QObject):
    """Graph + QUndoStack + path + dirty flag; open/save/save-as and the recent-files list."""

    changed = Signal(dict)          # one Graph event (plain dict) per elementary edit
    replaced = Signal()             # a new graph (open, new): views rebuild
    dirty_changed = Signal(bool)
    path_changed = Signal(str)

    def __init__(self, graph: Graph | None = None, path: str = "", settings: QSettings | None = None, parent=None):
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._clean_changed)
        self.settings = settings if settings is not None else QSettings("psigraph", "editor")
        self.load_issues: list[Issue] = []
        self._graph: Graph | None = None
        self._unsubscribe = None
        self._applying = False
        self._external = False       # the graph was changed behind the undo stack (by a script)
        self._issue_cache: tuple[str, list[Issue]] | None = None
        self._set(graph or Graph("untitled"), path)

    # ---- state ------------------------------------------------------------
    @property
    def graph(self) -> Graph:
        return self._graph

    @property
    def path(self) -> str:
        return self._path

    @property
    def dirty(self) -> bool:
        return self._external or not self.undo_stack.isClean()

    def title(self) -> str:
        name = os.path.basename(self._path) if self._path else "untitled"
        return f"{name}{' *' if self.dirty else ''}"

    def _set(self, graph: Graph, path: str) -> None:
        self.detach()
        self._graph, self._path = graph, path
        self._unsubscribe = graph.subscribe(self._on_event)
        self._external = False
        self._issue_cache = None
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.replaced.emit()
        self.path_changed.emit(path)
        self.dirty_changed.emit(False)

    def _clean_changed(self, clean: bool) -> None:
        self.dirty_changed.emit(self._external or not clean)

    def detach(self) -> None:
        """Stop listening to the graph (a document that is thrown away while its Graph lives on)."""
        if self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None

    def _on_event(self, event: dict) -> None:
        self._issue_cache = None
        if not self._applying and not self._external:
            self._external = True
            self.dirty_changed.emit(True)
        self.changed.emit(event)

    # ---- editing ------------------------------------------------------------
    def push(self, cmd, text: str | None = None):
        """Apply ``cmd`` to the graph (raises the model's PsigraphError if refused: nothing changes)
        and put it on the undo stack. Returns the inverse command."""
        inverse = self._apply(cmd)
        self.undo_stack.push(GraphUndo(self, cmd, inverse, text or describe(cmd)))
        return inverse

    def _apply(self, cmd):
        self._applying = True
        try:
            return self._graph.apply(cmd)
        finally:
            self._applying = False

    # ---- files ------------------------------------------------------------
    def new(self) -> None:
        self._set(Graph("untitled"), "")

    @staticmethod
    def read(path: str | os.PathLike) -> tuple[Graph, list[Issue]]:
        """Load a graph file with the one load pipeline; a file that cannot be represented faithfully
        raises GraphFileError (every issue); semantic problems come back as issues."""
        path = os.fspath(path)
        graph, issues = fileformat.load_report(Path(path), filename=path)
        if graph is None:
            raise GraphFileError(issues)
        return graph, issues

    def open(self, path: str | os.PathLike, loaded: tuple[Graph, list[Issue]] | None = None) -> None:
        """Make the file at ``path`` the document (``loaded``: what :meth:`read` returned for it)."""
        path = os.fspath(path)
        graph, issues = loaded or self.read(path)
        self.load_issues = issues
        self._set(graph, path)
        self.remember(path)

    def save(self, path: str | os.PathLike | None = None) -> str:
        """Write the canonical file (atomically) to ``path`` or the current path; marks the document clean."""
        target = os.fspath(path) if path else self._path
        if not target:
            raise GraphFileError([Issue("", "the graph has no file yet: choose one with Save As")])
        fileformat.save(self._graph, target)
        if target != self._path:
            self._path = target
            self.path_changed.emit(target)
        self._external = False
        self.undo_stack.setClean()
        self.dirty_changed.emit(False)
        self.remember(target)
        return target

    def text(self) -> str:
        """The canonical file text of the graph as it is now."""
        return fileformat.dumps(self._graph)

    def issues(self) -> list[Issue]:
        """What ``psigraph validate`` would print for the file as it would be saved now."""
        text = self.text()
        if self._issue_cache is None or self._issue_cache[0] != text:
            _, found = fileformat.load_report(text, filename=self._path or "<unsaved>")
            self._issue_cache = (text, found)
        return list(self._issue_cache[1])

    # ---- recent files ------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = self.settings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def remember(self, path: str) -> None:
        path = os.path.abspath(path)
        recent = [path] + [p for p in self.recent_files() if p != path]
        self.settings.setValue("recent_files", recent[:MAX_RECENT])
