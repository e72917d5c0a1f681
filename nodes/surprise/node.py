"""surprise_detector: ε against an adaptive threshold → ``surprise`` events.

ε_t is the input ``error`` (channel 0, or the Euclidean norm over channels when
``norm`` is on) — typically ``koopman_monitor.error1`` (one-step innovation,
the sharpest: a small-delay one-step predictor beats long forecasts for
surprise) or ``koopman_monitor.error``. The threshold is
``max(floor, factor · q)`` where q is the ``quantile`` of ε over an
exponentially weighted window (``window_s``), read from a log-spaced histogram
updated per tick (exact, deterministic, O(bins)). A tick whose ε exceeds the
threshold emits ``Event(t, "surprise", {"eps": ε, "threshold": thr})`` unless it
falls within ``refractory_ms`` of the previous surprise or before ``warmup_s``.
Surprising samples and the refractory aftermath of an event are not added to
the histogram, so a burst does not raise the threshold; ε = 0 (an upstream
warm-up) is ignored. Outputs: ``events`` and the ``threshold`` signal (scopes).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from psigraph import chain
from psigraph.node import Node
from psigraph.params import Params, param
from psigraph.ports import Event, Events, In, Out, Signal

from .kernels import _BINS, _detect

__all__ = ["SurpriseDetector", "SurpriseParams"]

class SurpriseParams(Params):
    quantile: float = param(0.999, gt=0.5, lt=1.0, doc="running quantile of ε")
    factor: float = param(2.0, ge=1.0, doc="threshold = factor × quantile")
    floor: float = param(1e-3, ge=0, doc="threshold never below this")
    window_s: float = param(10.0, gt=0, unit="s", doc="time constant of the exponentially weighted histogram")
    refractory_ms: float = param(250.0, ge=0, unit="ms", doc="no new event within this time of the last")
    warmup_s: float = param(1.0, ge=0, unit="s", doc="no events before the histogram has this much data")
    norm: bool = param(False, doc="use the norm over all input channels instead of channel 0")


@dataclass
class SurpriseState:
    """Histogram weights, total weight, last event tick, samples seen."""

    hist: np.ndarray
    total: float
    last: int
    seen: int
    tick: int


class SurpriseDetector(Node[SurpriseParams]):
    """Fires ``surprise`` events when the prediction error jumps above its adaptive threshold."""

    type_id = "surprise_detector"
    ROLE = chain.EVENTS
    category = "psi"
    HOT_PARAMS = frozenset({"factor", "floor", "refractory_ms"})
    error = In(Signal, doc="prediction error ε (e.g. koopman_monitor.error1)")
    events = Out(Events, doc="surprise events, payload {eps, threshold}")
    threshold = Out(Signal, like="error", channels=1, labels=["threshold"], doc="current threshold")

    def reset(self) -> None:
        spec = self.in_specs["error"]
        self.period = spec.period
        self.hz = spec.rate_hz or self.master_rate / spec.period
        self.state = SurpriseState(np.zeros(_BINS), 0.0, -1, 0, 0)
        self._derive()

    def _derive(self) -> None:
        p = self.params
        self.decay = float(np.exp(-1.0 / (p.window_s * self.hz)))
        self.refractory = int(round(p.refractory_ms * 1e-3 * self.hz))
        self.warmup_ticks = int(round(p.warmup_s * self.hz))

    def set_params(self, params) -> None:
        self.params = params
        self._derive()

    def process(self, error):
        n = len(error)
        thr = np.empty((n, 1))
        if n == 0:
            return {"events": [], "threshold": thr}
        p, st = self.params, self.state
        eps = np.sqrt((error ** 2).sum(axis=1)) if p.norm else np.ascontiguousarray(error[:, 0])
        fired = np.zeros(n, dtype=np.int64)
        k0 = -(-self.t0 // self.period)
        st.total, st.last, st.seen = _detect(eps, k0, st.hist, st.total, st.last, st.seen, self.decay,
                                             p.quantile, p.factor, p.floor, self.refractory, self.warmup_ticks,
                                             thr[:, 0], fired)
        st.tick = k0 + n
        evs = [Event(int((k0 + t) * self.period), "surprise", {"eps": float(eps[t]), "threshold": float(thr[t, 0])})
               for t in np.flatnonzero(fired)]
        return {"events": evs, "threshold": thr}
