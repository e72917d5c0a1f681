"""ScopeDock: a pyqtgraph oscilloscope on one wire of the running graph.

Fed by a :class:`~psigraph.editor.runner.ProbeBuffer` (a runtime tap: bounded, decimated,
never changing results) and redrawn by a QTimer. Views: **time** (multi-channel, channel
picker, time window, trigger on a rising edge of a channel or on an event of another
wire, freeze, autoscale), **spectrum** (audio-rate wires) and **raster** (event wires).
"""
from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDockWidget, QDoubleSpinBox, QHBoxLayout, QLabel,
                               QListWidget, QListWidgetItem, QPushButton, QToolButton, QVBoxLayout, QWidget,
                               QWidgetAction, QMenu, QLineEdit)

from psigraph.errors import PsigraphError

from .runner import shield_qt_refcounts

shield_qt_refcounts()

HISTORY = 3                    # the probe keeps this many windows (room to find a trigger)
REDRAW_MS = 25                 # 40 Hz target: headroom above 30 on a busy machine
MAX_DEFAULT_CHANNELS = 4       # channels shown at first on wide wires (core.state has hundreds)
SPECTRUM_MIN_RATE = 1000.0     # Hz: wires at least this fast get the spectrum view
SPECTRUM_N = 4096
MAX_DRAWN_POINTS = 1500        # per curve: longer traces are drawn as their min/max envelope
COLORS = ["#f5c518", "#4fc3f7", "#ef5350", "#66bb6a", "#ab47bc", "#ffa726", "#26c6da", "#ec407a"]

TIME, SPECTRUM, RASTER = "time", "spectrum", "raster"
FREE, RISING, EVENT = "free", "rising edge", "event"


def rising_edges(x: np.ndarray, level: float) -> np.ndarray:
    """Indices i where x crosses ``level`` upwards between i-1 and i."""
    if len(x) < 2:
        return np.zeros(0, dtype=int)
    return np.flatnonzero((x[:-1] < level) & (x[1:] >= level)) + 1


def envelope(x: np.ndarray, y: np.ndarray, max_points: int):
    """At most ~``max_points`` points that keep every peak: the min and max of each bucket
    (what the eye sees of a long trace; plain subsampling would alias)."""
    n = len(x)
    if n <= max_points:
        return x, y
    k = -(-2 * n // max_points)
    m = n // k
    yb = y[: m * k].reshape(m, k)
    xs = np.repeat(x[: m * k: k], 2)
    ys = np.column_stack([yb.min(axis=1), yb.max(axis=1)]).ravel()
    return xs, ys


class YRange:
    """Autoscale with hysteresis: grow at once when the data touch the outer 2 % of the range,
    shrink only after the data used less than a third of it for ``patience`` frames; ends snap
    to a 1-2-5 grid. So the axis (costly to repaint) stays still most frames."""

    def __init__(self, patience: int = 30):
        self.lo = self.hi = None
        self.patience, self._small = patience, 0

    def fit(self, lo: float, hi: float, force: bool = False):
        """The range to show for data spanning [lo, hi]; None when it need not change."""
        if not (np.isfinite(lo) and np.isfinite(hi)):
            return None
        if hi - lo < 1e-9 * max(1.0, abs(hi)):     # a constant (or silence): centre it
            half = 0.1 * abs(hi) if abs(hi) > 1e-6 else 1.0
            lo, hi = lo - half, hi + half
        span = hi - lo
        cur = None if self.lo is None else self.hi - self.lo
        if not force and cur is not None and self.lo + 0.02 * cur <= lo and hi <= self.hi - 0.02 * cur:
            if span > cur / 3:
                self._small = 0
                return None
            self._small += 1
            if self._small < self.patience:
                return None
        self._small = 0
        step = _nice_step(0.1 * span)
        self.lo, self.hi = np.floor(lo / step - 1) * step, np.ceil(hi / step + 1) * step
        return self.lo, self.hi


def _nice_step(x: float) -> float:
    """The smallest of 1, 2, 5 × 10^k that is ≥ x."""
    e = 10.0 ** np.floor(np.log10(x))
    return next((m * e for m in (1, 2, 5) if m * e >= x * (1 - 1e-9)), 10 * e)


def spectrum(x: np.ndarray, rate: float, n: int = SPECTRUM_N):
    """(frequencies in Hz, magnitude in dB) of the newest ``n`` samples (Hann window)."""
    x = np.asarray(x, dtype=np.float64)[-n:]
    if len(x) < 8:
        return np.zeros(0), np.zeros(0)
    w = np.hanning(len(x))
    mag = np.abs(np.fft.rfft((x - x.mean()) * w)) * 2 / w.sum()
    return np.fft.rfftfreq(len(x), 1.0 / rate), 20 * np.log10(mag + 1e-12)


class ScopeDock(QDockWidget):
    """An oscilloscope on ``ref`` (``node.port``) of ``runner``'s graph, docked in the window."""

    def __init__(self, runner, ref: str, window_s: float = 2.0, parent=None):
        super().__init__(f"scope {ref}", parent)
        self.setObjectName(f"scope:{ref}")
        self.setAttribute(Qt.WA_DeleteOnClose, False)
        self.runner, self.ref = runner, ref
        self.window_s = float(window_s)
        self.redraws = 0                  # plot updates done (for the redraw-rate benchmark)
        self.frozen = False
        self.trigger, self.level, self.trigger_channel = FREE, 0.0, 0
        self.trigger_ref: str | None = None
        self._trigger_probe = None
        self.triggered_at: float | None = None     # graph time of the trigger shown (None: free run)
        self.probe = runner.probe(ref, HISTORY * self.window_s)
        self.kind = self.probe.kind
        self.mode = RASTER if self.kind != "signal" else TIME
        self.channels = list(range(min(MAX_DEFAULT_CHANNELS, max(1, self.probe.channels)))) \
            if self.kind == "signal" else []
        self._curves: list = []
        self._build_ui()
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self.redraw)
        self._timer.start()

    # ---- UI --------------------------------------------------------------------------
    def _build_ui(self) -> None:
        body = QWidget(self)
        lay = QVBoxLayout(body)
        lay.setContentsMargins(2, 2, 2, 2)
        bar = QHBoxLayout()
        self.mode_box = QComboBox()
        self.mode_box.addItems([m for m in (TIME, SPECTRUM, RASTER) if self._mode_allowed(m)])
        self.mode_box.setCurrentText(self.mode)
        self.mode_box.currentTextChanged.connect(self.set_mode)
        self.window_box = QDoubleSpinBox()
        self.window_box.setRange(0.01, 600.0)
        self.window_box.setDecimals(2)
        self.window_box.setSuffix(" s")
        self.window_box.setValue(self.window_s)
        self.window_box.editingFinished.connect(lambda: self.set_window(self.window_box.value()))
        self.trigger_box = QComboBox()
        self.trigger_box.addItems([FREE, RISING, EVENT])
        self.trigger_box.currentTextChanged.connect(lambda m: self.set_trigger(m, self.level))
        self.level_box = QDoubleSpinBox()
        self.level_box.setRange(-1e6, 1e6)
        self.level_box.setDecimals(3)
        self.level_box.valueChanged.connect(lambda v: setattr(self, "level", float(v)))
        self.event_edit = QLineEdit()
        self.event_edit.setPlaceholderText("events wire, e.g. surprise.events")
        self.event_edit.editingFinished.connect(lambda: self.trigger == EVENT and self.set_trigger(
            EVENT, event_ref=self.event_edit.text().strip() or None))
        self.freeze_box = QCheckBox("freeze")
        self.freeze_box.toggled.connect(self.set_freeze)
        self.auto_box = QCheckBox("auto Y")
        self.auto_box.setChecked(True)
        self.auto_box.toggled.connect(self._auto_y)
        fit = QPushButton("autoscale")
        fit.clicked.connect(self.autoscale)
        self.channel_button = QToolButton()
        self.channel_button.setText("channels")
        self.channel_button.setPopupMode(QToolButton.InstantPopup)
        self.channel_list = QListWidget()
        for i, label in enumerate(self.probe.labels if self.kind == "signal" else []):
            item = QListWidgetItem(label)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Checked if i in self.channels else Qt.Unchecked)
            self.channel_list.addItem(item)
        self.channel_list.itemChanged.connect(self._channels_from_list)
        menu = QMenu(self.channel_button)
        act = QWidgetAction(menu)
        act.setDefaultWidget(self.channel_list)
        menu.addAction(act)
        self.channel_button.setMenu(menu)
        self.channel_button.setEnabled(self.kind == "signal")
        for w in (self.mode_box, QLabel("window"), self.window_box, QLabel("trigger"), self.trigger_box,
                  self.level_box, self.event_edit, self.channel_button, self.freeze_box, self.auto_box, fit):
            bar.addWidget(w)
        bar.addStretch(1)
        lay.addLayout(bar)
        self.legend = QLabel("")
        lay.addWidget(self.legend)
        self.plot = pg.PlotWidget(background="#1e1f24")
        self.plot.disableAutoRange()
        for name in ("left", "bottom"):            # fixed geometry: no relayout when ticks change
            axis = self.plot.getAxis(name)
            axis.enableAutoSIPrefix(False)
        self.plot.getAxis("left").setWidth(56)
        self.plot.setMouseEnabled(x=False, y=True)
        self._yrange = YRange()
        lay.addWidget(self.plot, 1)
        self.status = QLabel("")
        self._status_at = 0.0
        lay.addWidget(self.status)
        self.setWidget(body)
        self.auto_y, self._fit_now = True, True
        self._rebuild_items()

    def _mode_allowed(self, mode: str) -> bool:
        if self.kind != "signal":
            return mode == RASTER
        if mode == SPECTRUM:
            return (self.probe.rate or 0) >= SPECTRUM_MIN_RATE
        return mode == TIME

    def _rebuild_items(self) -> None:
        """Curves (time, spectrum) or the scatter item (raster) for the current mode and channels."""
        self.plot.clear()
        self._curves = []
        self._xrange = None
        labels = self.probe.labels
        if self.mode == RASTER:
            self._scatter = pg.ScatterPlotItem(symbol="s", size=7, pen=None, brush=pg.mkBrush(COLORS[0]))
            self.plot.addItem(self._scatter)
            self.plot.setLabel("bottom", "time before now", units="s")
            self.plot.setLabel("left", "event kind")
            self.plot.setXRange(-self.window_s, 0, padding=0)
            return
        for j, c in enumerate(self.channels):
            curve = self.plot.plot(pen=pg.mkPen(COLORS[j % len(COLORS)], width=1), skipFiniteCheck=True)
            self._curves.append(curve)
        self.legend.setText("  ".join(f'<span style="color:{COLORS[j % len(COLORS)]}">■</span> {labels[c]}'
                                      for j, c in enumerate(self.channels)))
        if self.mode == SPECTRUM:
            self.plot.setLabel("bottom", "frequency", units="Hz")
            self.plot.setLabel("left", "dB")
            self.plot.setXRange(0, (self.probe.rate or 1) / 2, padding=0)
        else:
            self.plot.setLabel("bottom", "time since trigger" if self.trigger != FREE else "time before now",
                               units="s")
            self.plot.setLabel("left", self.ref)
        self._fit_now = True

    def _channels_from_list(self, *_):
        chosen = [i for i in range(self.channel_list.count())
                  if self.channel_list.item(i).checkState() == Qt.Checked]
        self.set_channels(chosen)

    # ---- settings (also the API for tests and the main window) ---------------------------
    def set_mode(self, mode: str) -> None:
        if not self._mode_allowed(mode):
            raise PsigraphError(f"{self.ref}: no {mode} view for a {self.kind} wire at {self.probe.rate} Hz")
        self.mode = mode
        if self.mode_box.currentText() != mode:
            self.mode_box.setCurrentText(mode)
        self._rebuild_items()
        self.redraw(force=True)

    def set_channels(self, channels) -> None:
        """Show these channel indices (of the probe's labels)."""
        n = self.probe.channels
        chosen = sorted({int(c) for c in channels if 0 <= int(c) < n})
        self.channels = chosen
        self.channel_list.blockSignals(True)
        for i in range(self.channel_list.count()):
            self.channel_list.item(i).setCheckState(Qt.Checked if i in chosen else Qt.Unchecked)
        self.channel_list.blockSignals(False)
        self._rebuild_items()
        self.redraw(force=True)

    def set_window(self, window_s: float) -> None:
        """Show the newest ``window_s`` seconds (the probe keeps HISTORY times that, for triggering)."""
        window_s = float(window_s)
        if window_s == self.window_s:
            return
        old = self.probe
        self.probe = self.runner.probe(self.ref, HISTORY * window_s)
        old.close()
        self.window_s = window_s
        self.window_box.setValue(window_s)

    def set_trigger(self, mode: str, level: float | None = None, *, channel: int | None = None,
                    event_ref: str | None = None) -> None:
        """``free`` (scroll), ``rising edge`` of ``channel`` (index into the channels shown, default
        the first) through ``level``, or ``event``: the newest event on ``event_ref`` (an events wire)."""
        if mode not in (FREE, RISING, EVENT):
            raise PsigraphError(f"unknown trigger {mode!r} (use {FREE}, {RISING} or {EVENT})")
        if level is not None:
            self.level = float(level)
            self.level_box.setValue(self.level)
        if channel is not None:
            self.trigger_channel = int(channel)
        if mode == EVENT and event_ref and event_ref != self.trigger_ref:
            probe = self.runner.probe(event_ref, 4 * self.window_s + 10)
            if probe.kind == "signal":
                probe.close()
                raise PsigraphError(f"{event_ref} is a signal wire; an event trigger needs an events wire")
            if self._trigger_probe is not None:
                self._trigger_probe.close()
            self._trigger_probe, self.trigger_ref = probe, event_ref
            self.event_edit.setText(event_ref)
        self.trigger, self.triggered_at = mode, None
        if self.trigger_box.currentText() != mode:
            self.trigger_box.setCurrentText(mode)
        if self.mode == TIME:
            self._rebuild_items()

    def set_freeze(self, frozen: bool) -> None:
        """Keep the picture as it is (the probe goes on filling)."""
        self.frozen = bool(frozen)
        self._status_at = 0.0                      # the status line follows at the next redraw
        if self.freeze_box.isChecked() != self.frozen:
            self.freeze_box.setChecked(self.frozen)

    def autoscale(self) -> None:
        """Fit the Y axis to what is shown now (once; ``auto Y`` keeps fitting)."""
        self._fit_now = True
        self.redraw(force=True)

    def _auto_y(self, on: bool) -> None:
        self.auto_y = bool(on)
        if on:
            self._fit_now = True

    def _set_y(self, lo: float, hi: float) -> None:
        """Autoscale the Y axis to data spanning [lo, hi] (with hysteresis)."""
        if not (self.auto_y or self._fit_now):
            return
        r = self._yrange.fit(lo, hi, force=self._fit_now)
        self._fit_now = False
        if r is not None:
            self.plot.setYRange(*r, padding=0)

    def settings(self) -> dict:
        """What to save with the probe in the file's ``editor: probes`` entry (plain data)."""
        out = {"port": self.ref, "window_s": self.window_s}
        if self.mode != (RASTER if self.kind != "signal" else TIME):
            out["view"] = self.mode
        if self.kind == "signal" and self.channels != list(range(min(MAX_DEFAULT_CHANNELS, self.probe.channels))):
            out["channels"] = [self.probe.labels[c] for c in self.channels]
        if self.trigger != FREE:
            out["trigger"] = {"mode": self.trigger, "level": self.level, "channel": self.trigger_channel,
                              **({"events": self.trigger_ref} if self.trigger_ref else {})}
        return out

    def apply_settings(self, settings: dict) -> None:
        """Restore :meth:`settings` (unknown keys and channel names are ignored)."""
        if "window_s" in settings:
            self.set_window(float(settings["window_s"]))
        if settings.get("view") and self._mode_allowed(settings["view"]):
            self.set_mode(settings["view"])
        if isinstance(settings.get("channels"), list):
            labels = self.probe.labels
            self.set_channels([labels.index(c) for c in settings["channels"] if c in labels])
        trig = settings.get("trigger")
        if isinstance(trig, dict) and trig.get("mode") in (FREE, RISING, EVENT):
            self.set_trigger(trig["mode"], float(trig.get("level", 0.0)), channel=int(trig.get("channel", 0)),
                             event_ref=trig.get("events"))

    # ---- drawing ---------------------------------------------------------------------------
    def _trigger_time(self, times: np.ndarray, data: np.ndarray) -> float | None:
        """Graph time of the newest trigger with half a window of data after it, or None."""
        if self.trigger == FREE or len(times) < 2:
            return None
        half = self.window_s / 2
        latest = times[-1] - half
        if self.trigger == RISING:
            if not self.channels:
                return None
            col = self.channels[min(self.trigger_channel, len(self.channels) - 1)]
            idx = rising_edges(data[:, col], self.level)
            idx = idx[times[idx] <= latest]
            return float(times[idx[-1]]) if len(idx) else None
        if self._trigger_probe is None:
            return None
        ev = self._trigger_probe.snapshot().times
        ev = ev[(ev <= latest) & (ev >= times[0] + half)]
        return float(ev[-1]) if len(ev) else None

    def redraw(self, force: bool = False) -> None:
        """Pull the probe's newest data into the plot (the QTimer calls this)."""
        if self.frozen and not force:
            return
        if force:
            self._status_at = 0.0
        snap = self.probe.snapshot()
        if self.mode == RASTER:
            self._draw_raster(snap)
        elif self.mode == SPECTRUM:
            self._draw_spectrum(snap)
        else:
            self._draw_time(snap)
        self.redraws += 1

    def _draw_time(self, snap) -> None:
        times, data = snap.times, snap.data
        if len(times) == 0:
            for c in self._curves:
                c.setData([], [])
            return
        t_trig = self._trigger_time(times, data)
        if t_trig is None and self.trigger != FREE and self.triggered_at is not None:
            return                                 # no new trigger: keep the last triggered sweep
        self.triggered_at = t_trig
        if t_trig is None:
            x0, lo, hi = times[-1], -self.window_s, 0.0
        else:
            x0, lo, hi = t_trig, -self.window_s / 2, self.window_s / 2
        eps = 1e-9 * max(1.0, abs(x0))              # times are tick × period: allow for rounding
        a = int(np.searchsorted(times, x0 + lo - eps))
        b = int(np.searchsorted(times, x0 + hi + eps, side="right"))
        x = times[a:b] - x0
        ymin, ymax = np.inf, -np.inf
        for curve, c in zip(self._curves, self.channels):
            y = data[a:b, c]
            curve.setData(*envelope(x, y, MAX_DRAWN_POINTS))
            if len(y):
                ymin, ymax = min(ymin, float(y.min())), max(ymax, float(y.max()))
        if self._xrange != (lo, hi):
            self._xrange = (lo, hi)
            self.plot.setXRange(lo, hi, padding=0)
        self._set_y(ymin, ymax)
        where = f"trigger at {t_trig:.3f} s" if t_trig is not None else "free run"
        self._set_status(f"{snap.rate:g} Hz · {where} · t = {times[-1]:.2f} s")

    def _draw_spectrum(self, snap) -> None:
        data = snap.data
        n = min(len(data), SPECTRUM_N, int(self.window_s * snap.rate) or 1)
        ymin, ymax = np.inf, -np.inf
        for curve, c in zip(self._curves, self.channels):
            f, db = spectrum(data[-n:, c], snap.rate, n)
            curve.setData(*envelope(f, db, MAX_DRAWN_POINTS))
            if len(db):
                ymin, ymax = min(ymin, float(db.min())), max(ymax, float(db.max()))
        self._set_y(max(ymin, ymax - 120.0), ymax)
        self._set_status(f"spectrum of the newest {n} samples at {snap.rate:g} Hz")

    def _draw_raster(self, snap) -> None:
        now = self.runner.graph_time
        keep = snap.times >= now - self.window_s
        events = [e for e, k in zip(snap.data, keep) if k]
        kinds = sorted({e.kind for e in events})
        row = {k: i for i, k in enumerate(kinds)}
        ys = [row[e.kind] for e in events]
        self._scatter.setData(snap.times[keep] - now, ys)
        if kinds != getattr(self, "_raster_kinds", None):
            self._raster_kinds = kinds
            self.plot.getAxis("left").setTicks([[(i, k) for k, i in row.items()]])
            self.plot.setYRange(-0.5, max(len(kinds), 1) - 0.5, padding=0)
        self._set_status(f"{len(ys)} events in {self.window_s:g} s · t = {now:.2f} s")

    def _set_status(self, text: str) -> None:
        """The status line, at most 5 times a second (a label change costs a relayout)."""
        now = time.perf_counter()
        if self.frozen or now - self._status_at >= 0.2:
            self._status_at = now
            self.status.setText(text)

    # ---- lifetime ------------------------------------------------------------------------
    def redraw_rate(self) -> float:
        """Redraws per second since the last call (for the benchmark)."""
        now = time.perf_counter()
        last = getattr(self, "_rate_mark", None)
        self._rate_mark = (now, self.redraws)
        if last is None or now <= last[0]:
            return 0.0
        return (self.redraws - last[1]) / (now - last[0])

    def closeEvent(self, event):
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop redrawing and release the probes."""
        self._timer.stop()
        self.probe.close()
        if self._trigger_probe is not None:
            self._trigger_probe.close()
            self._trigger_probe = None
