"""The issues list: what ``psigraph validate`` prints for the graph as it would be saved now.
Clicking an issue emits the node (and param) or edge it names."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QListWidget, QListWidgetItem

from .document import Document


def locate(path: str) -> tuple[str, str, int]:
    """``nodes.core.params.n`` → ("core", "n", -1); ``edges.3`` → ("", "", 3)."""
    parts = path.split(".")
    if len(parts) >= 2 and parts[0] == "nodes":
        return parts[1], parts[3] if len(parts) >= 4 and parts[2] == "params" else "", -1
    if len(parts) >= 2 and parts[0] == "edges" and parts[1].isdigit():
        return "", "", int(parts[1])
    return "", "", -1


class IssuesList(QListWidget):
    """One line per issue (``file:line: path: severity: message``), refreshed after edits."""

    located = Signal(str, str, int)       # node id, param name, edge index
    counted = Signal(int, int)            # errors, warnings (after every refresh)

    def __init__(self, document: Document, parent=None):
        super().__init__(parent)
        self.document = document
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(50)
        self._timer.timeout.connect(self.refresh)
        document.changed.connect(lambda _e: self._timer.start())
        document.replaced.connect(self.refresh)
        self.itemClicked.connect(self._clicked)
        self.refresh()

    def refresh(self) -> None:
        self.clear()
        issues = self.document.issues()
        for issue in issues:
            item = QListWidgetItem(issue.format())
            item.setData(Qt.UserRole, issue.path)
            item.setForeground(QColor("#b91c1c" if issue.severity == "error" else "#92400e"))
            self.addItem(item)
        if not issues:
            item = QListWidgetItem("no issues: the graph validates")
            item.setForeground(QColor("#15803d"))
            self.addItem(item)
        errors = sum(i.severity == "error" for i in issues)
        self.counted.emit(errors, len(issues) - errors)

    def _clicked(self, item: QListWidgetItem) -> None:
        path = item.data(Qt.UserRole)
        if path:
            self.located.emit(*locate(path))
