"""The inspector: a form generated from the selected node's ``Params`` (limits, units, choices,
docs), plus its id (rename). Every change is a Graph command on the Document; a value the
model refuses is shown with the validation message and the field goes back to the model's
value. (The window sends hot params of a running graph on to the runner.)"""
from __future__ import annotations

import yaml
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QLabel, QLineEdit, QScrollArea, QSpinBox,
                               QVBoxLayout, QWidget)

from psigraph.errors import PsigraphError
from psigraph.graph import _UNSET, Compound, Connect, Disconnect, Edge, RenameNode, SetParam

from .document import Document


def value_text(value) -> str:
    """A param value as one line of YAML (what the field shows and parses back)."""
    text = yaml.safe_dump(value, default_flow_style=True, width=10 ** 6, allow_unicode=True).strip()
    return text[:-3].strip() if text.endswith("...") else text


def parse_text(text: str):
    """The value typed in a field (YAML: 0.5, true, default, [1, 2]); empty = back to the default."""
    if not text.strip():
        return _UNSET
    return yaml.safe_load(text)


def _limits(d: dict) -> str:
    parts = [f"{sym} {d[k]}" for k, sym in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")) if k in d]
    return ", ".join(parts)


class Inspector(QScrollArea):
    """Param form of one node; rebuilt from the Graph after every change."""

    def __init__(self, document: Document, parent=None):
        super().__init__(parent)
        self.document = document
        self.nid: str | None = None
        self.edge: Edge | None = None
        self.fields: dict[str, QWidget] = {}
        self.setWidgetResizable(True)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b91c1c")
        document.changed.connect(lambda _e: self.refresh())
        document.replaced.connect(lambda: self.show_node(None))
        self.show_node(None)

    # ---- building -------------------------------------------------------------
    def show_node(self, nid: str | None) -> None:
        self.nid = nid if nid in self.document.graph.nodes else None
        self.edge = None
        self.refresh()

    def show_edge(self, edge: Edge) -> None:
        """Show a wire: its ends and its loop delay (editable)."""
        self.nid, self.edge = None, edge
        self.refresh()

    def refresh(self) -> None:
        graph = self.document.graph
        if self.nid not in graph.nodes:
            self.nid = None
        error = self.error.text()
        page = QWidget()
        outer = QVBoxLayout(page)
        form = QFormLayout()
        outer.addLayout(form)
        self.fields = {}
        self.error = QLabel(error)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b91c1c")
        if self.edge is not None and self.edge in graph.edges:
            form.addRow("wire", QLabel(self.edge.text()))
            delay = QSpinBox()
            delay.setRange(0, 10 ** 6)
            delay.setValue(self.edge.delay)
            delay.setToolTip("loop delay in ticks of the consumer's rate (0 = none); a feedback loop needs one")
            delay.editingFinished.connect(lambda w=delay: self.set_delay(w.value()))
            form.addRow("delay [ticks]", delay)
            self.fields["@delay"] = delay
        elif self.nid is None:
            form.addRow(QLabel("select a node to edit its params"))
        else:
            spec = graph.nodes[self.nid]
            ident = QLineEdit(self.nid)
            ident.editingFinished.connect(lambda w=ident: self._rename(w.text()))
            form.addRow("id", ident)
            self.fields["@id"] = ident
            form.addRow("type", QLabel(spec.type + ("  (unknown: kept as written)" if spec.placeholder else "")))
            if spec.placeholder:
                for name, value in spec.params.items():
                    form.addRow(name, QLabel(value_text(value)))
            else:
                cls = graph.node_class(self.nid)
                problems = self._param_issues()
                for d in cls.Params.describe():
                    self._add_field(form, d, spec.params, cls.HOT_PARAMS, problems.get(d["name"], []))
        outer.addWidget(self.error)
        outer.addStretch(1)
        old = self.takeWidget()
        self.setWidget(page)
        if old is not None:
            old.deleteLater()

    def _param_issues(self) -> dict[str, list[str]]:
        """Messages of the issues located at the shown node's params (``nodes.<id>.params.<name>``)."""
        out: dict[str, list[str]] = {}
        prefix = f"nodes.{self.nid}.params."
        for issue in self.document.issues():
            if issue.path.startswith(prefix):
                out.setdefault(issue.path[len(prefix):].split(".")[0], []).append(f"{issue.severity}: {issue.message}")
        return out

    def _add_field(self, form: QFormLayout, d: dict, given: dict, hot, problems: list) -> None:
        name = d["name"]
        value = given.get(name, d.get("default"))
        tip = "\n".join(x for x in (*problems, d.get("doc", ""), _limits(d), f"type {d['type']}",
                                    f"default {value_text(d.get('default'))}" if "default" in d else "",
                                    "hot: changes apply to a running graph at the next block" if name in hot else "")
                        if x)
        if d["type"] == "bool":
            w = QCheckBox()
            w.setChecked(bool(value))
            w.toggled.connect(lambda on, n=name: self.set_param(n, on))
        elif d.get("choices"):
            w = QComboBox()
            w.addItems([str(c) for c in d["choices"]])
            w.setCurrentText(str(value))
            w.currentIndexChanged.connect(lambda i, n=name, cs=list(d["choices"]): self.set_param(n, cs[i]))
        else:
            w = QLineEdit(value_text(value))
            w.editingFinished.connect(lambda n=name, f=w: self._commit_text(n, f))
        w.setToolTip(tip)
        label = QLabel(name + (f" [{d['unit']}]" if d.get("unit") else "") + (" ⚡" if name in hot else ""))
        label.setToolTip(tip)
        if name in given:
            font = label.font()
            font.setBold(True)
            label.setFont(font)
        if problems:
            label.setStyleSheet("color: #b91c1c")
        form.addRow(label, w)
        self.fields[name] = w

    # ---- edits → commands -----------------------------------------------------
    def _commit_text(self, name: str, field: QLineEdit) -> None:
        spec = self.document.graph.nodes.get(self.nid)
        if spec is None:
            return
        try:
            value = parse_text(field.text())
        except yaml.YAMLError as e:
            self.error.setText(f"{self.nid}.{name}: not a YAML value ({str(e).splitlines()[0]})")
            return
        if value is _UNSET and name not in spec.params:
            return
        if value is not _UNSET and spec.params.get(name, _UNSET) == value:
            return
        if value is not _UNSET and name not in spec.params:
            default = next((d.get("default") for d in self.document.graph.node_class(self.nid).Params.describe()
                            if d["name"] == name), _UNSET)
            if default == value:
                return
        self.set_param(name, value)

    def set_param(self, name: str, value) -> bool:
        """Set a param of the shown node through the Document; refused values show the model's message."""
        nid = self.nid
        if nid is None:
            return False
        try:
            self.document.push(SetParam(nid, name, value))
        except PsigraphError as e:
            self.error.setText(e.line())
            self.refresh()
            return False
        self.error.setText("")
        self.refresh()
        return True

    def set_delay(self, ticks: int) -> bool:
        """Give the shown wire a loop delay: one undoable edit (disconnect + connect in place)."""
        old = self.edge
        if old is None or old not in self.document.graph.edges or ticks == old.delay:
            return False
        new = Edge(old.src, old.src_port, old.dst, old.dst_port, int(ticks))
        index = self.document.graph.edges.index(old)
        self.edge = new
        try:
            self.document.push(Compound([Disconnect(old), Connect(new, index, checked=True)],
                                        f"delay {new.text()} = {ticks}"))
        except PsigraphError as e:
            self.edge = old
            self.error.setText(e.line())
            self.refresh()
            return False
        self.error.setText("")
        return True

    def _rename(self, new: str) -> None:
        if self.nid is None or new == self.nid:
            return
        old = self.nid
        try:
            self.nid = new
            self.document.push(RenameNode(old, new))
            self.error.setText("")
        except PsigraphError as e:
            self.nid = old
            self.error.setText(e.line())
        self.refresh()

    def focus_param(self, name: str) -> None:
        w = self.fields.get(name)
        if w is not None:
            w.setFocus(Qt.OtherFocusReason)
            self.ensureWidgetVisible(w)
