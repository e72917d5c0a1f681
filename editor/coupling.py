"""CouplingEditor: psi_core's K_ij as an editable heatmap.

The matrix shown is computed from the node's params exactly as the node computes it
(band coupling K/N, or ``coupling_matrix``, then ``coupling_edits``; see
``nodes/psi/coupling.py``), so the editor holds no matrix of its own. Every edit appends
to ``coupling_edits`` through one undoable ``SetParam`` command (``document.push`` when
there is a Document, else ``graph.apply``); whenever the param changes — an edit, an undo,
a script — the new value is sent to the running graph as a hot param.

Mouse: drag paints a rectangle of cells with the brush value; double-click a cell to type
its value; click selects the cell's block (roles or a band, rows × columns) for scaling.
Colours follow sign(K)·√|K| so the weak K/N of a large band stays visible.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import (QCheckBox, QDoubleSpinBox, QGraphicsRectItem, QHBoxLayout, QInputDialog, QLabel,
                               QPushButton, QVBoxLayout, QWidget)

from psigraph.errors import PsigraphError
from psigraph.graph import Graph, SetParam
from psigraph.nodes.psi.coupling import apply_edits, band_matrix, critical_coupling
from psigraph.nodes.psi.layout import build

from .runner import shield_qt_refcounts

shield_qt_refcounts()

PARAM = "coupling_edits"
_WATCHED = {PARAM, "coupling", "coupling_matrix", "bands", "roles", "constraints"}


def core_matrix(params: dict, defaults) -> tuple:
    """(layout, K_ij) of a psi_core with these (file) params; ``defaults`` is its Params class."""
    p = defaults.from_dict(params)
    layout = build(p.bands, p.roles, p.constraints)
    band_k = np.where(np.isnan(layout.band_coupling), p.coupling, layout.band_coupling)
    base = np.asarray(p.coupling_matrix, dtype=np.float64) if p.coupling_matrix is not None \
        else band_matrix(layout, band_k)
    return layout, apply_edits(layout, base, p.coupling_edits), p


def groups(layout) -> list:
    """Blocks along each axis: (name, selector, first index, count) — the extra roles, then each band."""
    out = []
    n_roles = layout.n - int(layout.band_count.sum())
    if n_roles:
        out.append(("roles", f"[0:{n_roles}]", 0, n_roles))
    for b, name in enumerate(layout.band_names):
        out.append((name, name, int(layout.band_start[b]), int(layout.band_count[b])))
    return out


def selector(layout, i0: int, i1: int) -> str:
    """The shortest selector for oscillators i0..i1-1 (state order)."""
    if i1 - i0 == 1:
        return layout.names[i0]
    for name, sel, start, count in groups(layout):
        if (i0, i1) == (start, start + count):
            return sel
        if name != "roles" and start <= i0 and i1 <= start + count:
            return f"{name}[{i0 - start}:{i1 - start}]"
    return "*" if (i0, i1) == (0, layout.n) else f"[{i0}:{i1}]"


class _Heatmap(pg.ImageItem):
    """The image; reports drags (rectangles of cells), clicks and double-clicks in cell indices."""

    def __init__(self, editor: "CouplingEditor"):
        super().__init__(axisOrder="row-major")
        self.editor = editor

    def _cell(self, pos) -> tuple:
        n = self.editor.n
        return (min(max(int(np.floor(pos.y())), 0), n - 1), min(max(int(np.floor(pos.x())), 0), n - 1))

    def mouseDragEvent(self, ev):
        if ev.button() != Qt.LeftButton:
            ev.ignore()
            return
        ev.accept()
        a, b = self._cell(ev.buttonDownPos()), self._cell(ev.pos())
        if ev.isFinish():
            self.editor._preview(None)
            self.editor.paint(slice(min(a[0], b[0]), max(a[0], b[0]) + 1),
                              slice(min(a[1], b[1]), max(a[1], b[1]) + 1))
        else:
            self.editor._preview((a, b))

    def mouseClickEvent(self, ev):
        if ev.button() != Qt.LeftButton:
            ev.ignore()
            return
        ev.accept()
        i, j = self._cell(ev.pos())
        if ev.double():
            self.editor.ask_cell(i, j)
        else:
            self.editor.select_block(i, j)

    def hoverEvent(self, ev):
        if not ev.isExit():
            self.editor._hover(*self._cell(ev.pos()))


class CouplingEditor(QWidget):
    """Edit psi_core ``node_id``'s K_ij: paint, type, symmetric mode, per-block scaling; undoable
    (Graph SetParam commands) and live (hot param ``coupling_edits`` through ``runner``)."""

    def __init__(self, document, node_id: str, runner=None, parent=None):
        super().__init__(parent)
        self.document, self.node_id, self.runner = document, node_id, runner
        self.symmetric = False
        self.block: tuple | None = None            # (row group, col group) selected for scaling
        self._sent = None                          # the coupling_edits value last sent live
        self._r_probe = None
        self._build_ui()
        if hasattr(document, "changed"):
            document.changed.connect(self._on_event)
            if hasattr(document, "replaced"):
                document.replaced.connect(self.refresh)
            self._unsubscribe = None
        else:
            self._unsubscribe = self.graph.subscribe(self._on_event)
        if runner is not None and runner.session is not None and self.node_id in self.graph.nodes:
            self._sent = self.edits()              # already running with the graph's value
        self.refresh()
        if runner is not None:
            runner.started.connect(self._runner_started)
            self._r_timer = QTimer(self)
            self._r_timer.setInterval(200)
            self._r_timer.timeout.connect(self._show_r)
            self._r_timer.start()

    # ---- model access ------------------------------------------------------------------
    @property
    def graph(self) -> Graph:
        return self.document if isinstance(self.document, Graph) else self.document.graph

    def _spec(self):
        spec = self.graph.nodes.get(self.node_id)
        if spec is None or spec.type != "psi_core":
            raise PsigraphError(f"no psi_core node {self.node_id!r} in the graph")
        return spec

    def _compute(self):
        from psigraph import registry
        spec = self._spec()
        return core_matrix(spec.params, registry.get("psi_core").Params)

    def matrix(self) -> np.ndarray:
        """The K_ij (rad/s) the node runs with, from the graph's params."""
        return self._compute()[1]

    def edits(self) -> list:
        return list(self._spec().params.get(PARAM, []))

    def critical(self, band: str) -> float:
        """K_c of a band (its Lorentzian spread), rad/s."""
        layout, _, p = self._compute()
        b = next(x for x in p.bands if x["name"] == band)
        return critical_coupling(b.get("spread_hz", 0.0))

    # ---- edits (each one undoable command) ------------------------------------------------
    def _push(self, new_edits: list, text: str) -> None:
        cmd = SetParam(self.node_id, PARAM, new_edits)
        try:
            if hasattr(self.document, "push"):
                self.document.push(cmd, text)
            else:
                self.graph.apply(cmd)
        except PsigraphError as exc:
            self.status.setText(str(exc))
            raise

    def _edit(self, entries: list, text: str) -> None:
        self._push(self.edits() + entries, text)

    def _rect_entries(self, rows: slice, cols: slice, op: str, value: float) -> list:
        layout = self.layout
        r = selector(layout, rows.start, rows.stop)
        c = selector(layout, cols.start, cols.stop)
        out = [{"rows": r, "cols": c, op: float(value)}]
        if self.symmetric and (r, c) != (c, r):
            out.append({"rows": c, "cols": r, op: float(value)})
        return out

    def paint(self, rows: slice, cols: slice, value: float | None = None) -> None:
        """Set K_ij = ``value`` (default: the brush) on a rectangle of cells (and its mirror when
        symmetric) — one undoable command."""
        v = self.brush.value() if value is None else float(value)
        self._edit(self._rect_entries(rows, cols, "set", v), f"paint K {rows.start}:{rows.stop} × "
                   f"{cols.start}:{cols.stop} = {v:g}")

    def set_cell(self, i: int, j: int, value: float) -> None:
        self.paint(slice(i, i + 1), slice(j, j + 1), value)

    def set_block(self, rows: str, cols: str, value: float) -> None:
        """Set every K_ij of selector ``rows`` × ``cols`` (e.g. ``"micro", "micro"``) to ``value``."""
        out = [{"rows": rows, "cols": cols, "set": float(value)}]
        if self.symmetric and rows != cols:
            out.append({"rows": cols, "cols": rows, "set": float(value)})
        self._edit(out, f"set K {rows} × {cols} = {value:g}")

    def scale_block(self, rows: str | None = None, cols: str | None = None, factor: float | None = None) -> None:
        """Multiply a block (default: the selected one) by ``factor`` (default: the scale box)."""
        if rows is None or cols is None:
            if self.block is None:
                raise PsigraphError("select a block first (click a cell)")
            rows, cols = self.block
        f = self.scale_box.value() if factor is None else float(factor)
        out = [{"rows": rows, "cols": cols, "scale": f}]
        if self.symmetric and rows != cols:
            out.append({"rows": cols, "cols": rows, "scale": f})
        self._edit(out, f"scale K {rows} × {cols} by {f:g}")

    def reset_edits(self) -> None:
        """Back to the plain band coupling (one undoable command)."""
        self._push([], "reset K_ij edits")

    def ask_cell(self, i: int, j: int) -> None:
        """Numeric entry of one cell (double-click)."""
        k = self.matrix()
        value, ok = QInputDialog.getDouble(self, "K_ij", f"K[{self.layout.names[i]}, {self.layout.names[j]}] "
                                           "(rad/s)", float(k[i, j]), -1e6, 1e6, 6)
        if ok:
            self.set_cell(i, j, value)

    def select_block(self, i: int, j: int) -> None:
        rg = next(g for g in groups(self.layout) if g[2] <= i < g[2] + g[3])
        cg = next(g for g in groups(self.layout) if g[2] <= j < g[2] + g[3])
        self.block = (rg[1], cg[1])
        self._block_item.setRect(QRectF(cg[2], rg[2], cg[3], rg[3]))
        self._block_item.show()
        self.block_label.setText(f"block {rg[0]} × {cg[0]}")

    # ---- view ------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        bar = QHBoxLayout()
        self.brush = QDoubleSpinBox()
        self.brush.setRange(-1e4, 1e4)
        self.brush.setDecimals(4)
        self.brush.setSingleStep(0.01)
        self.brush.setValue(0.1)
        self.brush.setToolTip("K_ij painted by a drag (rad/s)")
        sym = QCheckBox("symmetric")
        sym.toggled.connect(lambda on: setattr(self, "symmetric", bool(on)))
        self.sym_box = sym
        self.scale_box = QDoubleSpinBox()
        self.scale_box.setRange(-100, 100)
        self.scale_box.setDecimals(3)
        self.scale_box.setValue(2.0)
        scale = QPushButton("scale block")
        scale.clicked.connect(lambda: self._guarded(self.scale_block))
        reset = QPushButton("reset")
        reset.clicked.connect(lambda: self._guarded(self.reset_edits))
        self.block_label = QLabel("block: click a cell")
        for w in (QLabel("brush K_ij"), self.brush, sym, self.block_label, QLabel("×"), self.scale_box, scale, reset):
            bar.addWidget(w)
        bar.addStretch(1)
        lay.addLayout(bar)
        self.plot = pg.PlotWidget(background="#1e1f24")
        self.plot.setAspectLocked(True)
        self.plot.invertY(True)
        self.plot.showAxis("top")
        self.plot.hideAxis("bottom")
        self.image = _Heatmap(self)
        self.image.setColorMap(pg.colormap.get("CET-D1"))
        self.plot.addItem(self.image)
        self._grid = pg.PlotCurveItem(pen=pg.mkPen("#e0e0e0", width=1), connect="pairs")
        self.plot.addItem(self._grid)
        self._block_item = QGraphicsRectItem()
        self._block_item.setPen(QPen(QColor("#00e676"), 0))
        self._block_item.hide()
        self.plot.addItem(self._block_item)
        self._drag_item = QGraphicsRectItem()
        self._drag_item.setPen(QPen(QColor("#ffffff"), 0, Qt.DashLine))
        self._drag_item.hide()
        self.plot.addItem(self._drag_item)
        self.plot.getViewBox().sigRangeChanged.connect(self._ticks)
        lay.addWidget(self.plot, 1)
        self.status = QLabel("")
        self.r_label = QLabel("")
        lay.addWidget(self.status)
        lay.addWidget(self.r_label)

    def _guarded(self, fn) -> None:
        try:
            fn()
        except PsigraphError as exc:
            self.status.setText(str(exc))

    def refresh(self) -> None:
        """Redraw from the graph (after any change of the node's params)."""
        try:
            layout, k, _ = self._compute()
        except PsigraphError as exc:
            self.status.setText(str(exc))
            self.setEnabled(False)
            return
        self.setEnabled(True)
        self.layout, self.n = layout, layout.n
        self._k = k
        m = float(np.abs(k).max()) or 1.0
        self.image.setImage(np.sign(k) * np.sqrt(np.abs(k) / m), levels=(-1.0, 1.0))
        self.image.setRect(QRectF(0, 0, self.n, self.n))
        gs = groups(layout)
        edges = sorted({g[2] for g in gs} | {self.n})
        xs, ys = [], []
        for e in edges:
            xs += [e, e, 0, self.n]
            ys += [0, self.n, e, e]
        self._grid.setData(np.array(xs, float), np.array(ys, float))
        self._ticks()
        self.status.setText(f"{self.n} oscillators · {len(self.edits())} edit(s) · max |K_ij| = {m:.4g} rad/s")
        self._send_live()

    def _ticks(self, *_) -> None:
        """Axis labels from the layout: the blocks (roles, bands) at their centres; once zoomed in
        far enough for text to fit, every oscillator's name."""
        if not hasattr(self, "layout"):
            return
        vb = self.plot.getViewBox()
        (x0, x1), (y0, y1) = vb.viewRange()
        names = self.layout.names
        for axis, (a, b), px, need in (("left", (y0, y1), vb.height(), 12), ("top", (x0, x1), vb.width(), 64)):
            if max(px, 1.0) / max(b - a, 1e-9) >= need:
                lo, hi = max(int(a), 0), min(int(np.ceil(b)), self.n)
                ticks = [[(i + 0.5, names[i]) for i in range(lo, hi)]]
            else:
                ticks = [[(g[2] + g[3] / 2, g[0]) for g in groups(self.layout)]]
            self.plot.getAxis(axis).setTicks(ticks)

    def _hover(self, i: int, j: int) -> None:
        names = self.layout.names
        self.status.setText(f"K[{names[i]}, {names[j]}] = {self._k[i, j]:.5g} rad/s")

    def _preview(self, cells) -> None:
        if cells is None:
            self._drag_item.hide()
            return
        (r0, c0), (r1, c1) = cells
        self._drag_item.setRect(QRectF(min(c0, c1), min(r0, r1), abs(c1 - c0) + 1, abs(r1 - r0) + 1))
        self._drag_item.show()

    # ---- live -----------------------------------------------------------------------------
    def _on_event(self, event: dict) -> None:
        cmd = event.get("command")
        if cmd == "SetParam" and (event.get("nid") != self.node_id or event.get("name") not in _WATCHED):
            return
        if cmd in ("MoveNode", "SetProbe", "SetMeta"):
            return
        self.refresh()

    def _send_live(self) -> None:
        """Give the running graph the current ``coupling_edits`` (after edits, undo, redo)."""
        runner = self.runner
        if runner is None or runner.session is None:
            return
        edits = self.edits()
        if edits == self._sent:
            return
        try:
            runner.set_param(self.node_id, PARAM, edits)
            self._sent = edits
        except PsigraphError as exc:
            self.status.setText(str(exc))

    def _runner_started(self) -> None:
        self._sent = self.edits()              # the run started from the graph's current value

    def _show_r(self) -> None:
        runner = self.runner
        if runner is None or runner.session is None:
            return
        if self._r_probe is None:
            try:
                self._r_probe = runner.probe(f"{self.node_id}.r", 1.0)
            except PsigraphError:
                return
        snap = self._r_probe.snapshot()
        if len(snap.data):
            self.r_label.setText("order parameter  " + "   ".join(
                f"{lab.split(':', 1)[-1]} {v:.2f}" for lab, v in zip(snap.labels, snap.data[-1])))

    def closeEvent(self, event):
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None
        if self._r_probe is not None:
            self._r_probe.close()
            self._r_probe = None
