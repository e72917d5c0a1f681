"""The node canvas: a QGraphicsScene drawn from the Document's Graph, and its view.

Scene items hold a node id or an Edge (a value), never params: after every Graph
event the scene is rebuilt from the Graph (:meth:`GraphScene.rebuild`), so an edit
made by a script through the same Graph shows at once. Every user gesture becomes a
Graph command pushed on the Document (undoable): drag port → port to connect
(refused with the analysis' message), drop a palette entry to add, drag nodes to
move (snapped to the grid on release), right-click a wire to probe it.
"""
from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import (QGraphicsEllipseItem, QGraphicsItem, QGraphicsPathItem, QGraphicsRectItem,
                               QGraphicsScene, QGraphicsSimpleTextItem, QGraphicsView)

from psigraph.errors import PsigraphError
from psigraph.graph import AddNode, Compound, Connect, Edge, MoveNode

from . import viewmodel
from .document import Document

GRID = 20
NODE_W, HEAD_H, ROW_H, PORT_R = 160, 38, 18, 5
KIND_COLOURS = {"signal": "#3b82f6", "events": "#f59e0b", "value": "#10b981", "unknown": "#9ca3af"}
TYPE_MIME = "application/x-psigraph-type"


def snap(v: float) -> int:
    return int(round(v / GRID) * GRID)


class PortItem(QGraphicsEllipseItem):
    """A port circle on a node; drag from it to another port to connect."""

    def __init__(self, node: "NodeItem", view: viewmodel.PortView, y: float):
        r = PORT_R
        super().__init__(-r, -r, 2 * r, 2 * r, node)
        self.node, self.view = node, view
        x = 0 if view.direction == "in" else NODE_W
        self.setPos(x, y)
        colour = QColor(KIND_COLOURS.get(view.kind, "#9ca3af"))
        self.setBrush(QBrush(colour if not view.optional else colour.lighter(150)))
        self.setPen(QPen(colour.darker(150), 1))
        self.setToolTip(f"{self.ref} ({view.kind}, {view.rate}){' optional' if view.optional else ''}"
                        + (f"\n{view.doc}" if view.doc else ""))
        self.setAcceptedMouseButtons(Qt.LeftButton | Qt.RightButton)
        self.setCursor(Qt.CrossCursor)

    @property
    def ref(self) -> str:
        return f"{self.node.nid}.{self.view.name}"

    def mousePressEvent(self, event):
        if event.button() == Qt.LeftButton:
            self.scene().start_wire(self)
            event.accept()
        else:
            event.ignore()

    def mouseMoveEvent(self, event):
        self.scene().drag_wire(event.scenePos())

    def mouseReleaseEvent(self, event):
        self.scene().finish_wire(event.scenePos())

    def contextMenuEvent(self, event):
        if self.view.direction == "out":
            self.scene().probe_requested.emit(self.ref)
            event.accept()


class NodeItem(QGraphicsRectItem):
    """A node box titled by id and type, inputs on the left, outputs on the right."""

    def __init__(self, view: viewmodel.NodeView, issues: list):
        rows = max(len(view.inputs), len(view.outputs), 1)
        super().__init__(0, 0, NODE_W, HEAD_H + rows * ROW_H + 6)
        self.nid, self.view = view.nid, view
        self.setFlags(QGraphicsItem.ItemIsMovable | QGraphicsItem.ItemIsSelectable
                      | QGraphicsItem.ItemSendsGeometryChanges)
        fill = QColor("#f3f4f6") if view.placeholder else QColor("#ffffff")
        self.setBrush(QBrush(fill))
        self.issues = list(issues)
        self._paint_border()
        title = QGraphicsSimpleTextItem(view.nid, self)
        title.setFont(QFont("Sans", 9, QFont.Bold))
        title.setPos(8, 3)
        subtitle = QGraphicsSimpleTextItem(view.type + ("  (unknown type)" if view.placeholder else ""), self)
        subtitle.setFont(QFont("Sans", 7))
        subtitle.setBrush(QBrush(QColor("#6b7280")))
        subtitle.setPos(8, 20)
        self.badge = None
        if self.issues:
            errors = [i for i in self.issues if i.severity == "error"]
            self.badge = QGraphicsSimpleTextItem(f"⚠ {len(self.issues)}", self)
            self.badge.setBrush(QBrush(QColor("#dc2626" if errors else "#d97706")))
            self.badge.setFont(QFont("Sans", 8, QFont.Bold))
            self.badge.setPos(NODE_W - 30, 3)
        tip = f"{view.nid}: {view.type}" + (f"\n{view.doc}" if view.doc else "")
        tip += "".join(f"\n{i.severity}: {i.path}: {i.message}" for i in self.issues)
        self.setToolTip(tip)
        self.ports = {}
        for side in (view.inputs, view.outputs):
            for k, port in enumerate(side):
                self.ports[(port.direction, port.name)] = PortItem(self, port, HEAD_H + k * ROW_H + ROW_H / 2)
        for k in range(rows):
            self._label_row(k, view.inputs[k] if k < len(view.inputs) else None,
                            view.outputs[k] if k < len(view.outputs) else None)

    def _label_row(self, k: int, left, right) -> None:
        """Port names with their rates (signals); rates are dropped from a row too narrow for both."""
        def text(port, with_rate):
            if port is None:
                return ""
            rate = port.rate if with_rate and port.kind == "signal" else ""
            return f"{port.name} {rate}".strip() if port.direction == "in" else f"{rate} {port.name}".strip()
        font = QFont("Sans", 7)
        labels = []
        for with_rate in (True, False):
            labels = [QGraphicsSimpleTextItem(text(p, with_rate)) for p in (left, right)]
            for lab in labels:
                lab.setFont(font)
            if sum(lab.boundingRect().width() for lab in labels) <= NODE_W - 26:
                break
        y = HEAD_H + k * ROW_H + ROW_H / 2 - 7
        for lab, port in zip(labels, (left, right)):
            if port is None:
                continue
            lab.setParentItem(self)
            lab.setPos(8 if port.direction == "in" else NODE_W - 8 - lab.boundingRect().width(), y)

    def _paint_border(self):
        if any(i.severity == "error" for i in self.issues):
            pen = QPen(QColor("#dc2626"), 2)
        elif self.issues:
            pen = QPen(QColor("#d97706"), 2)
        else:
            pen = QPen(QColor("#374151"), 1)
        if self.view.placeholder:
            pen.setStyle(Qt.DashLine)
        self.setPen(pen)

    def port_pos(self, direction: str, name: str) -> QPointF:
        item = self.ports.get((direction, name))
        if item is None:                       # an edge to a port the node does not declare
            return self.mapToScene(QPointF(0 if direction == "in" else NODE_W, HEAD_H / 2))
        return item.scenePos()

    def itemChange(self, change, value):
        if change == QGraphicsItem.ItemPositionHasChanged and self.scene() is not None:
            self.scene().update_wires(self.nid)
        return super().itemChange(change, value)

    def paint(self, painter, option, widget=None):
        super().paint(painter, option, widget)
        painter.setPen(QPen(QColor("#e5e7eb"), 1))
        painter.drawLine(QPointF(0, HEAD_H - 4), QPointF(NODE_W, HEAD_H - 4))
        if self.isSelected():
            painter.setPen(QPen(QColor("#2563eb"), 2, Qt.DashLine))
            painter.drawRect(self.rect().adjusted(-3, -3, 3, 3))


class EdgeItem(QGraphicsPathItem):
    """A wire; dashed with a ``delay N`` label when the edge carries a loop delay.
    Right-click asks for a scope on it (``GraphScene.probe_requested``)."""

    def __init__(self, edge: Edge, kind: str, issues: list):
        super().__init__()
        self.edge = edge
        self.setZValue(-1)
        self.setFlags(QGraphicsItem.ItemIsSelectable)
        colour = QColor("#dc2626") if issues else QColor(KIND_COLOURS.get(kind, "#6b7280"))
        pen = QPen(colour, 2)
        if edge.delay:
            pen.setStyle(Qt.DashLine)
        self.setPen(pen)
        self.label = None
        if edge.delay:
            self.label = QGraphicsSimpleTextItem(f"delay {edge.delay}", self)
            self.label.setFont(QFont("Sans", 7, QFont.Bold))
            self.label.setBrush(QBrush(colour))
        self.setToolTip(edge.text() + (f" (delay {edge.delay} ticks)" if edge.delay else "")
                        + "".join(f"\n{i.severity}: {i.message}" for i in issues)
                        + "\nright-click: scope")

    def route(self, a: QPointF, b: QPointF) -> None:
        self.setPath(wire_path(a, b))
        if self.label is not None:
            mid = self.path().pointAtPercent(0.5)
            self.label.setPos(mid + QPointF(-18, -16))

    def contextMenuEvent(self, event):
        self.scene().probe_requested.emit(f"{self.edge.src}.{self.edge.src_port}")
        event.accept()

    def shape(self):
        """A 10-pixel band around the wire, so it is easy to hit."""
        stroker = QPainterPathStroker()
        stroker.setWidth(10)
        return stroker.createStroke(self.path())

    def paint(self, painter, option, widget=None):
        if self.isSelected():
            pen = QPen(self.pen())
            pen.setWidth(4)
            painter.setPen(pen)
            painter.drawPath(self.path())
        else:
            super().paint(painter, option, widget)


def wire_path(a: QPointF, b: QPointF) -> QPainterPath:
    dx = max(40.0, abs(b.x() - a.x()) / 2)
    path = QPainterPath(a)
    path.cubicTo(a + QPointF(dx, 0), b - QPointF(dx, 0), b)
    return path


class GraphScene(QGraphicsScene):
    """The scene of one Document: rebuilt from its Graph after every change."""

    probe_requested = Signal(str)        # "node.port" of a wire the user right-clicked
    refused = Signal(str)                # the model's message for a refused connection
    message = Signal(str)                # status text

    def __init__(self, document: Document, parent=None):
        super().__init__(parent)
        self.document = document
        self.nodes: dict[str, NodeItem] = {}
        self.wires: list[EdgeItem] = []
        self._wire = None                 # (PortItem, temporary path item) while dragging a connection
        self._issues: list = []
        self._issue_timer = QTimer(self)
        self._issue_timer.setSingleShot(True)
        self._issue_timer.setInterval(50)
        self._issue_timer.timeout.connect(self.refresh_issues)
        document.changed.connect(self._on_change)
        document.replaced.connect(self._on_replaced)
        self.setBackgroundBrush(QBrush(QColor("#fafafa")))
        self._on_replaced()

    # ---- model → view ---------------------------------------------------------
    def _on_change(self, event: dict) -> None:
        self.rebuild()
        self._issue_timer.start()

    def _on_replaced(self) -> None:
        self._issues = self.document.issues()
        self.rebuild()

    def refresh_issues(self) -> None:
        self._issues = self.document.issues()
        self.rebuild()

    def rebuild(self) -> None:
        """Redraw everything from the Graph (selection is kept by node id / edge)."""
        graph = self.document.graph
        selected_nodes = set(self.selected_node_ids())
        selected_edges = set(self.selected_edges())
        self._wire = None
        blocked = self.blockSignals(True)           # one selectionChanged for the whole rebuild
        try:
            self._rebuild(graph, selected_nodes, selected_edges)
        finally:
            self.blockSignals(blocked)
        if set(self.selected_node_ids()) != selected_nodes or set(self.selected_edges()) != selected_edges:
            self.selectionChanged.emit()

    def _rebuild(self, graph, selected_nodes: set, selected_edges: set) -> None:
        self.clear()
        self.nodes, self.wires = {}, []
        views = viewmodel.node_views(graph)
        where = viewmodel.positions(graph)
        node_issues = viewmodel.issues_by_node(self._issues)
        edge_issues = viewmodel.issues_by_edge(graph, self._issues)
        for nid, view in views.items():
            item = NodeItem(view, node_issues.get(nid, []))
            self.addItem(item)
            item.setPos(*where[nid])
            item.setSelected(nid in selected_nodes)
            self.nodes[nid] = item
        for i, e in enumerate(graph.edges):
            kind = next((p.kind for p in views[e.src].outputs if p.name == e.src_port), "unknown") \
                if e.src in views else "unknown"
            wire = EdgeItem(e, kind, edge_issues.get(i, []))
            self.addItem(wire)
            wire.setSelected(e in selected_edges)
            self.wires.append(wire)
        self.update_wires()
        self.setSceneRect(self.itemsBoundingRect().adjusted(-2000, -2000, 2000, 2000))

    def update_wires(self, nid: str | None = None) -> None:
        for wire in self.wires:
            e = wire.edge
            if nid is not None and nid not in (e.src, e.dst):
                continue
            if e.src in self.nodes and e.dst in self.nodes:
                wire.route(self.nodes[e.src].port_pos("out", e.src_port), self.nodes[e.dst].port_pos("in", e.dst_port))

    # ---- selection ------------------------------------------------------------
    def selected_node_ids(self) -> list[str]:
        try:
            return [i.nid for i in self.selectedItems() if isinstance(i, NodeItem)]
        except RuntimeError:          # items already deleted by clear()
            return []

    def selected_edges(self) -> list[Edge]:
        try:
            return [i.edge for i in self.selectedItems() if isinstance(i, EdgeItem)]
        except RuntimeError:
            return []

    def select(self, nids=(), edges=()) -> None:
        self.clearSelection()
        for nid in nids:
            if nid in self.nodes:
                self.nodes[nid].setSelected(True)
        for wire in self.wires:
            if wire.edge in set(edges):
                wire.setSelected(True)

    # ---- gestures → commands ------------------------------------------------
    def push(self, cmd) -> bool:
        """Push a command; a refusal is reported (``refused``) instead of raised."""
        try:
            self.document.push(cmd)
            return True
        except PsigraphError as e:
            self.refused.emit(e.message + (f"; {e.hint}" if e.hint else ""))
            return False

    def connect_ports(self, a: str, b: str) -> bool:
        """Connect two port refs (either order); refused with the model's message when invalid."""
        (na, pa), (nb, pb) = a.split(".", 1), b.split(".", 1)
        if na in self.nodes and ("in", pa) in self.nodes[na].ports and ("out", pa) not in self.nodes[na].ports:
            (na, pa), (nb, pb) = (nb, pb), (na, pa)
        edge = Edge(na, pa, nb, pb)
        ok = self.push(Connect(edge, checked=True))
        if ok:
            self.message.emit(f"connected {edge.text()}")
        return ok

    def add_node(self, type_id: str, pos: QPointF | None = None) -> str | None:
        """Add a node of ``type_id`` at ``pos`` (snapped); returns its id."""
        nid = viewmodel.unique_id(self.document.graph.nodes, type_id)
        cmds = [AddNode(nid, type_id)]
        if pos is not None:
            cmds.append(MoveNode(nid, [snap(pos.x()), snap(pos.y())]))
        if self.push(Compound(cmds, f"add {nid}")):
            self.select([nid])
            return nid
        return None

    def start_wire(self, port: PortItem) -> None:
        path = QGraphicsPathItem()
        path.setPen(QPen(QColor(KIND_COLOURS.get(port.view.kind, "#6b7280")), 2, Qt.DotLine))
        self.addItem(path)
        self._wire = (port, path)

    def drag_wire(self, pos: QPointF) -> None:
        if self._wire:
            port, path = self._wire
            a, b = (port.scenePos(), pos) if port.view.direction == "out" else (pos, port.scenePos())
            path.setPath(wire_path(a, b))

    def finish_wire(self, pos: QPointF) -> None:
        if not self._wire:
            return
        port, path = self._wire
        self._wire = None
        self.removeItem(path)
        target = next((i for i in self.items(pos) if isinstance(i, PortItem) and i is not port), None)
        if target is None:
            return
        if target.view.direction == port.view.direction:
            self.refused.emit(f"cannot connect {port.ref} to {target.ref}: both are "
                              f"{'inputs' if port.view.direction == 'in' else 'outputs'}; "
                              "drag from an output to an input")
            return
        src, dst = (port, target) if port.view.direction == "out" else (target, port)
        QTimer.singleShot(0, lambda: self.connect_ports(src.ref, dst.ref))   # rebuild outside the item's event

    def commit_moves(self) -> None:
        """After a drag: one command moving every node whose box left its saved place (snapped)."""
        saved = viewmodel.positions(self.document.graph)
        cmds = []
        for nid, item in self.nodes.items():
            here = (item.pos().x(), item.pos().y())
            if here != tuple(saved.get(nid, (math.nan, math.nan))):
                cmds.append(MoveNode(nid, [snap(here[0]), snap(here[1])]))
        if cmds:
            self.push(Compound(cmds, f"move {', '.join(c.nid for c in cmds)}"))

    def mouseReleaseEvent(self, event):
        super().mouseReleaseEvent(event)
        if event.button() == Qt.LeftButton and self._wire is None:
            QTimer.singleShot(0, self.commit_moves)

    def drawBackground(self, painter: QPainter, rect: QRectF):
        super().drawBackground(painter, rect)
        painter.setPen(QPen(QColor("#e5e7eb"), 1))
        left, top = int(rect.left()) - int(rect.left()) % (GRID * 5), int(rect.top()) - int(rect.top()) % (GRID * 5)
        x = left
        while x < rect.right():
            painter.drawLine(x, int(rect.top()), x, int(rect.bottom()))
            x += GRID * 5
        y = top
        while y < rect.bottom():
            painter.drawLine(int(rect.left()), y, int(rect.right()), y)
            y += GRID * 5


class GraphView(QGraphicsView):
    """Pan (middle button), zoom (wheel), fit (F), rubber-band selection; accepts
    node types dropped from the palette."""

    def __init__(self, scene: GraphScene, parent=None):
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setAcceptDrops(True)
        self._pan = None

    def zoom(self, factor: float) -> None:
        scale = self.transform().m11() * factor
        if 0.1 <= scale <= 5:
            self.scale(factor, factor)

    def fit(self) -> None:
        rect = QRectF()
        for item in self.scene().nodes.values():
            rect = rect.united(item.sceneBoundingRect())
        if not rect.isNull():
            self.fitInView(rect.adjusted(-40, -40, 40, 40), Qt.KeepAspectRatio)

    def wheelEvent(self, event):
        self.zoom(1.15 ** (event.angleDelta().y() / 120))

    def keyPressEvent(self, event):
        if event.key() == Qt.Key_F and not event.modifiers():
            self.fit()
        else:
            super().keyPressEvent(event)

    def mousePressEvent(self, event):
        if event.button() == Qt.MiddleButton:
            self._pan = event.position()
            self.setCursor(Qt.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event):
        if self._pan is not None:
            delta = event.position() - self._pan
            self._pan = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(delta.y()))
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event):
        if event.button() == Qt.MiddleButton and self._pan is not None:
            self._pan = None
            self.unsetCursor()
            return
        super().mouseReleaseEvent(event)

    # palette drops
    def dragEnterEvent(self, event):
        if event.mimeData().hasFormat(TYPE_MIME):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event):
        if event.mimeData().hasFormat(TYPE_MIME):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event):
        if event.mimeData().hasFormat(TYPE_MIME):
            type_id = bytes(event.mimeData().data(TYPE_MIME)).decode()
            self.scene().add_node(type_id, self.mapToScene(event.position().toPoint()))
            event.acceptProposedAction()
        else:
            super().dropEvent(event)
