"""ProfilePanel: per-node µs per call and share of real time of the running graph, and the
under-run counter (from :meth:`Runner.profile` and :attr:`Runner.underruns`)."""
from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from .runner import shield_qt_refcounts

shield_qt_refcounts()

COLUMNS = ("node", "µs / call", "share of real time")


class ProfilePanel(QWidget):
    """A table of the runner's profile, refreshed twice a second, costliest node first."""

    def __init__(self, runner, parent=None, interval_ms: int = 500):
        super().__init__(parent)
        self.runner = runner
        self.summary = QLabel("not running")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.summary)
        lay.addWidget(self.table, 1)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()

    def rows(self) -> list:
        """``[(node, µs per call, share)]``, costliest first."""
        prof = self.runner.profile()
        return sorted(((nid, us, share) for nid, (us, share) in prof.items()), key=lambda r: -r[2])

    def refresh(self) -> None:
        rows = self.rows()
        total = sum(r[2] for r in rows)
        state = "running" if self.runner.running else "stopped"
        if self.runner.running and self.runner.paused:
            state = "paused"
        self.summary.setText(f"{state} · t = {self.runner.graph_time:.2f} s · compute {100 * total:.1f} % of "
                             f"real time · under-runs: {self.runner.underruns}")
        self.table.setRowCount(len(rows))
        for i, (nid, us, share) in enumerate(rows):
            for j, text in enumerate((nid, f"{us:,.1f}", f"{100 * share:.2f} %")):
                item = self.table.item(i, j)
                if item is None:
                    self.table.setItem(i, j, QTableWidgetItem(text))
                elif item.text() != text:
                    item.setText(text)
