"""The node palette: every registered type (what `psigraph nodes` lists), grouped by family,
searchable, each with its doc as tooltip; drag an entry onto the canvas (or double-click)
to add a node."""
from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from psigraph import registry

from .canvas import TYPE_MIME


def _port_text(p: dict) -> str:
    return f"{p['name']} ({p['kind']}{', ' + str(p['rate']) if 'rate' in p else ''})"


def type_tooltip(cls) -> str:
    """Doc, ports and params of a node type, as shown on hover."""
    d = cls.describe()
    lines = [f"{d['type']} (v{d['version']}, {d['category']})", (cls.__doc__ or "").strip()]
    for title, ports in (("inputs", d["inputs"]), ("outputs", d["outputs"])):
        if ports:
            lines.append(f"{title}: " + ", ".join(_port_text(p) for p in ports))
    if d["params"]:
        lines.append("params: " + ", ".join(p["name"] for p in d["params"]))
    return "\n".join(line for line in lines if line)


class _TypeTree(QTreeWidget):
    def mimeTypes(self):
        return [TYPE_MIME]

    def mimeData(self, items):
        data = QMimeData()
        type_id = next((i.data(0, Qt.UserRole) for i in items if i.data(0, Qt.UserRole)), "")
        data.setData(TYPE_MIME, type_id.encode())
        data.setText(type_id)
        return data


class Palette(QWidget):
    """Search box + tree of node types by family."""

    add_requested = Signal(str)     # a type id (double-click)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.search = QLineEdit(placeholderText="search nodes (id, family, doc)")
        self.tree = _TypeTree()
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QTreeWidget.DragOnly)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.items: dict[str, QTreeWidgetItem] = {}
        groups: dict[str, QTreeWidgetItem] = {}
        for cls in registry.all_types():
            if cls.HIDDEN:
                continue
            group = groups.get(cls.category)
            if group is None:
                group = groups[cls.category] = QTreeWidgetItem([cls.category])
                group.setFlags(Qt.ItemIsEnabled)
            item = QTreeWidgetItem(group, [cls.type_id])
            item.setData(0, Qt.UserRole, cls.type_id)
            item.setToolTip(0, type_tooltip(cls))
            item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsDragEnabled)
            self.items[cls.type_id] = item
        self.tree.addTopLevelItems([groups[k] for k in sorted(groups)])
        self.tree.expandAll()
        self.search.textChanged.connect(self.filter)
        self.tree.itemDoubleClicked.connect(self._double_clicked)

    def filter(self, text: str) -> None:
        """Show the types whose id, family or doc contains every word of ``text``."""
        words = text.lower().split()
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            shown = 0
            for k in range(group.childCount()):
                item = group.child(k)
                hay = f"{item.text(0)} {group.text(0)} {item.toolTip(0)}".lower()
                hide = not all(w in hay for w in words)
                item.setHidden(hide)
                shown += not hide
            group.setHidden(shown == 0)

    def visible_types(self) -> list[str]:
        return [t for t, item in self.items.items() if not item.isHidden() and not item.parent().isHidden()]

    def _double_clicked(self, item, _column):
        type_id = item.data(0, Qt.UserRole)
        if type_id:
            self.add_requested.emit(type_id)
