"""koopman_monitor: a streaming delay-embedded DMD (Koopman) model of selected ψ observables.

Observables are chosen by ``channels`` (input labels or indices): a label
``phase:<name>`` contributes cos θ and sin θ, any other channel its value.
Each control tick the model o_{t+1} = W [o_t … o_{t-d+1}] gets one regularised
RLS update (kernels.py), then forecasts ``horizon_ms`` ahead by iterating.

Ports: ``x`` in (any Signal; labels needed for label channels);
``prediction`` — the forecast for t + horizon (one channel per observable);
``error`` — ‖forecast made horizon ago − observables now‖ (0 during warm-up);
``error1`` — the one-step innovation ‖o_t − W s_{t−1}‖ (the sharpest surprise
signal); ``eigs`` — frequency (Hz) and growth rate (1/s) of the ``modes``
leading eigenvalues of the delay operator (largest |μ| first, one per conjugate
pair), recomputed every ``eig_every`` ticks and held; ``correction`` —
−gain·innovation per observable, a stabilising nudge for a core (zeros unless
``correct`` is on: the ablation switch).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from psigraph.errors import ParamError, PortError
from psigraph.node import Node
from psigraph.params import Params, param
from psigraph.ports import In, Out, Signal, SignalSpec
from psigraph.util import did_you_mean

from . import kernels

__all__ = ["KoopmanMonitor", "KoopmanParams"]

DEFAULT_CHANNELS = ["phase:syllable", "phase:jaw", "phase:breath", "phase:head_yaw"]


class KoopmanParams(Params):
    channels: list = param(DEFAULT_CHANNELS, doc="input labels or indices; phase:<x> labels give cos and sin")
    delays: int = param(4, ge=1, le=64, doc="delay-embedding depth d")
    horizon_ms: float = param(50.0, gt=0, unit="ms", doc="forecast horizon (rounded to whole ticks, ≥ 1)")
    forgetting: float = param(0.995, gt=0.5, le=1.0, doc="RLS forgetting factor λ per tick")
    ridge: float = param(1e-8, ge=0, doc="ridge regularisation kept in the information matrix")
    modes: int = param(4, ge=1, le=64, doc="eigenvalues reported")
    eig_every: int = param(50, ge=1, doc="ticks between eigenvalue updates (an m×m eigensolve each)")
    warmup_ms: float = param(250.0, ge=0, unit="ms", doc="errors read 0 until the model has seen this much")
    robust: float = param(4.0, ge=0, doc="clip model updates at this × the running innovation RMS (0: off)")
    correct: bool = param(False, doc="emit the stabilising correction (ablation switch)")
    correction_gain: float = param(0.5, ge=0, doc="correction = −gain·innovation")


def _obs_names(p: KoopmanParams) -> list:
    out = []
    for c in p.channels:
        if isinstance(c, str) and c.startswith("phase:"):
            out += [f"cos:{c[6:]}", f"sin:{c[6:]}"]
        else:
            out.append(str(c))
    return out


@dataclass
class KoopmanState:
    """Model, delay embedding, forecast ring, counters (picklable)."""

    tick: int
    count: int
    ms: float            # running mean square of the one-step innovation
    W: np.ndarray
    P: np.ndarray
    s: np.ndarray
    ring: np.ndarray
    eigs: np.ndarray


class KoopmanMonitor(Node[KoopmanParams]):
    """Streaming delay-embedded DMD: forecast, forecast error, one-step innovation, eigenvalues."""

    type_id = "koopman_monitor"
    category = "psi"
    HOT_PARAMS = frozenset({"correct", "correction_gain", "forgetting"})
    x = In(Signal, doc="the signal to model (e.g. psi_core.state)")
    prediction = Out(Signal, like="x", channels=lambda p: len(_obs_names(p)), labels=_obs_names,
                     doc="forecast horizon_ms ahead")
    error = Out(Signal, like="x", channels=1, labels=["error"], doc="horizon forecast error norm")
    error1 = Out(Signal, like="x", channels=1, labels=["error1"], doc="one-step innovation norm")
    eigs = Out(Signal, like="x", channels=lambda p: 2 * p.modes,
               labels=lambda p: [f"{k}{i}" for i in range(p.modes) for k in ("freq", "growth")],
               doc="freq<i> (Hz), growth<i> (1/s)")
    correction = Out(Signal, like="x", channels=lambda p: len(_obs_names(p)),
                     labels=lambda p: [f"corr:{n}" for n in _obs_names(p)], doc="stabilising correction")

    @classmethod
    def example_input_specs(cls, params, timebase):
        labels = []
        for c in params.channels:
            if isinstance(c, str):
                labels.append(c)
        n = max([len(labels)] + [c + 1 for c in params.channels if isinstance(c, int)])
        labels += [f"ch{i}" for i in range(len(labels), n)]
        return {"x": SignalSpec(timebase.period("control"), max(n, 1), "float64", tuple(labels),
                                float(timebase.hz("control")))}

    def _resolve(self) -> None:
        spec = self.in_specs["x"]
        idx, is_phase = [], []
        for c in self.params.channels:
            if isinstance(c, bool) or not isinstance(c, (int, str)):
                raise ParamError(f"channel entries must be labels or indices (got {c!r})", where="channels")
            if isinstance(c, int):
                if not 0 <= c < spec.channels:
                    raise PortError(f"channel index {c} out of range (input has {spec.channels})",
                                    where=f"{getattr(self, 'node_id', 'koopman_monitor')}.channels")
                idx.append(c)
                is_phase.append(False)
                continue
            if c not in spec.labels:
                raise PortError(f"input has no channel {c!r}" + did_you_mean(c, spec.labels),
                                where=f"{getattr(self, 'node_id', 'koopman_monitor')}.channels",
                                hint="list labels of the connected port, e.g. phase:syllable")
            idx.append(spec.labels.index(c))
            is_phase.append(c.startswith("phase:"))
        self.idx = np.array(idx, dtype=np.int64)
        self.is_phase = np.array(is_phase, dtype=bool)

    def reset(self) -> None:
        p = self.params
        self._resolve()
        M = len(_obs_names(p))
        m = M * p.delays
        spec = self.in_specs["x"]
        hz = spec.rate_hz or self.master_rate / spec.period
        self.horizon = max(1, int(round(p.horizon_ms * 1e-3 * hz)))
        self.warmup = max(p.delays, int(round(p.warmup_ms * 1e-3 * hz)))
        self.dt = 1.0 / hz
        W = np.zeros((M, m))
        W[:, :M] = np.eye(M)                           # start as persistence
        P = np.eye(m) / max(p.ridge, 1e-12)
        self.state = KoopmanState(0, 0, 0.0, W, P, np.zeros(m), np.zeros((self.horizon, M)),
                                  np.zeros(2 * p.modes))
        self.work = np.zeros((5, max(m, M)))
        self.M, self.m = M, m

    def observables(self, x: np.ndarray) -> np.ndarray:
        """(n, M) observables of input rows."""
        cols = []
        for j, ph in zip(self.idx, self.is_phase):
            if ph:
                cols += [np.cos(x[:, j]), np.sin(x[:, j])]
            else:
                cols.append(x[:, j])
        return np.stack(cols, axis=1) if cols else np.zeros((len(x), 0))

    def _eigs(self) -> np.ndarray:
        """Leading eigenvalues of the delay operator as (freq Hz, growth 1/s) pairs."""
        M, m, p = self.M, self.m, self.params
        A = np.zeros((m, m))
        A[:M] = self.state.W
        A[M:, :m - M] = np.eye(m - M)
        mu = np.linalg.eigvals(A)
        mu = mu[np.imag(mu) >= -1e-12]
        mu = mu[np.argsort(-np.abs(mu), kind="stable")][:p.modes]
        out = np.zeros(2 * p.modes)
        with np.errstate(divide="ignore"):
            lg = np.log(mu.astype(complex)) / self.dt
        out[0:2 * len(mu):2] = np.imag(lg) / (2 * np.pi)
        out[1:2 * len(mu):2] = np.maximum(np.real(lg), -1e6)
        return out

    def process(self, x):
        n = len(x)
        st, p = self.state, self.params
        pred = np.empty((n, self.M))
        err = np.empty((n, 1))
        err1 = np.empty((n, 1))
        corr = np.empty((n, self.M))
        eig = np.empty((n, 2 * p.modes))
        if n == 0:
            return {"prediction": pred, "error": err, "error1": err1, "eigs": eig, "correction": corr}
        obs = np.ascontiguousarray(self.observables(x))
        lam = p.forgetting
        c = p.ridge * self.m * (1.0 - lam) if lam < 1.0 else p.ridge
        gain = p.correction_gain if p.correct else 0.0
        a = 0
        while a < n:                                   # split at eigenvalue ticks
            tick = st.tick + a
            b = min(n, a + (p.eig_every - tick % p.eig_every))
            st.count, st.ms = kernels._run(obs[a:b], tick, st.W, st.P, st.s, st.ring, lam, c, self.horizon,
                                           self.warmup, st.count, st.ms, p.robust, gain, pred[a:b],
                                           err[a:b], err1[a:b], corr[a:b], self.work)
            eig[a:b - 1] = st.eigs
            if (st.tick + b) % p.eig_every == 0:
                st.eigs = self._eigs()
            eig[b - 1] = st.eigs
            a = b
        st.tick += n
        return {"prediction": pred, "error": err, "error1": err1, "eigs": eig, "correction": corr}
