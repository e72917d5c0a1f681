"""koopman_monitor: a streaming delay-embedded DMD (Koopman) model of the input's observables.

Observables are chosen by ``channels`` (input labels or indices; empty: every
input channel): a channel labelled ``phase:<name>`` contributes cos θ and
sin θ, any other channel its value. Each control tick the model
o_{t+1} = W [o_t … o_{t-d+1}] takes one exponentially weighted least-squares
update in square-root (QR) form (kernels.py), then forecasts ``horizon_ms``
ahead by iterating. On a noise-free signal that the embedding can represent
exactly (e.g. a sum of k sinusoids with d ≥ 2k delays) the forecast is exact to
rounding, as batch DMD is.

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

from psigraph.errors import Issue, ParamError, PortError
from psigraph.node import Node
from psigraph.params import Params, param
from psigraph.ports import In, Out, Signal, SignalSpec
from psigraph.util import did_you_mean

from . import kernels

__all__ = ["KoopmanMonitor", "KoopmanParams"]

PHASE = "phase:"
MAX_EMBEDDING = 1024       # observables × delays; beyond this a tick costs milliseconds


class KoopmanParams(Params):
    channels: list = param([], doc="input labels or indices to model (empty: every input channel); "
                                   "a channel labelled phase:<x> gives cos and sin")
    delays: int = param(4, ge=1, le=64, doc="delay-embedding depth d")
    horizon_ms: float = param(50.0, gt=0, unit="ms", doc="forecast horizon (rounded to whole ticks, ≥ 1)")
    forgetting: float = param(0.995, gt=0.5, le=1.0, doc="least-squares forgetting factor λ per tick")
    ridge: float = param(0.0, ge=0, le=1.0,
                         doc="ridge shrinkage, relative to the data's mean information per direction "
                             "(scale-free); 0 keeps fits of noise-free signals exact, > 0 biases weak directions")
    modes: int = param(4, ge=1, le=64, doc="eigenvalues reported")
    eig_every: int = param(50, ge=1, doc="ticks between eigenvalue updates (an m×m eigensolve each)")
    warmup_ms: float = param(250.0, ge=0, unit="ms", doc="errors read 0 until the model has seen this much")
    robust: float = param(4.0, ge=0, doc="samples whose innovation exceeds this × its running RMS are reported, "
                                          "not learnt (0: learn every sample)")
    correct: bool = param(False, doc="emit the stabilising correction (ablation switch)")
    correction_gain: float = param(0.5, ge=0, doc="correction = −gain·innovation")

    def validate(self) -> list:
        bad = [c for c in self.channels if isinstance(c, bool) or not isinstance(c, (int, str))]
        if bad:
            return [ParamError(f"channel entries must be input labels or indices (got {bad[0]!r})",
                               where="channels", code="param.type")]
        neg = [c for c in self.channels if isinstance(c, int) and c < 0]
        if neg:
            return [ParamError(f"channel indices must be >= 0 (got {neg[0]})", where="channels",
                               code="param.range")]
        return []


@dataclass(frozen=True)
class Selection:
    """The input channels a monitor models and the observables they give."""

    idx: tuple            # input channel per selected entry
    is_phase: tuple       # True: the channel is a phase (→ cos, sin)
    names: tuple          # observable names (prediction labels)
    issues: tuple         # (code, message) for entries that do not resolve


def _label_list(labels, limit: int = 12) -> str:
    shown = ", ".join(repr(x) for x in labels[:limit])
    return shown + (f", … ({len(labels)} in all)" if len(labels) > limit else "")


def select(channels, spec: SignalSpec | None) -> Selection:
    """Resolve ``channels`` against the input spec (None: unresolved, params alone)."""
    labels = tuple(spec.labels) if spec is not None else ()
    n = spec.channels if spec is not None else None
    entries = list(channels) if channels else list(range(n or 0))
    idx, is_phase, names, issues = [], [], [], []
    for c in entries:
        if isinstance(c, bool) or not isinstance(c, (int, str)):
            issues.append(("param.type", f"channel entries must be input labels or indices (got {c!r})"))
            continue
        if isinstance(c, int):
            if n is not None and not 0 <= c < n:
                issues.append(("input.channel_out_of_range",
                               f"channel index {c} is out of range: input x has {n} channel{'s' * (n != 1)} "
                               f"(0..{n - 1})"))
                continue
            label = labels[c] if c < len(labels) and labels[c] else ""
            i = c
        else:
            if spec is not None and c not in labels:
                if labels:
                    msg = f"input x has no channel {c!r}{did_you_mean(c, labels)}; available: {_label_list(labels)}"
                else:
                    msg = (f"input x has no channel {c!r}: the connected signal has no channel labels; select "
                           f"its channels by index (0..{n - 1}) or leave channels empty to model them all")
                issues.append(("input.unknown_channel", msg))
                continue
            label = c
            i = labels.index(c) if spec is not None else -1
        ph = label.startswith(PHASE)
        idx.append(i)
        is_phase.append(ph)
        if ph:
            names += [f"cos:{label[len(PHASE):]}", f"sin:{label[len(PHASE):]}"]
        else:
            names.append(label or str(i))
    return Selection(tuple(idx), tuple(is_phase), tuple(names), tuple(issues))


def _obs_names(p: KoopmanParams, inputs=None) -> list:
    return list(select(p.channels, (inputs or {}).get("x")).names)


@dataclass
class KoopmanState:
    """Model (square-root information form), delay embedding, forecast ring, counters (picklable)."""

    tick: int
    count: int
    ms: float            # running mean square of the one-step innovation
    RZ: np.ndarray       # [R | Z], (m, m+M): RᵀR = weighted information, Wᵀ = R⁻¹Z
    W: np.ndarray        # (M, m) the model o_{t+1} = W s_t
    s: np.ndarray        # the delay embedding s_t
    one: np.ndarray      # W s_t: the one-step forecast (the innovation's reference next tick)
    ring: np.ndarray
    eigs: np.ndarray


class KoopmanMonitor(Node[KoopmanParams]):
    """Streaming delay-embedded DMD: forecast, forecast error, one-step innovation, eigenvalues."""

    type_id = "koopman_monitor"
    category = "psi"
    HOT_PARAMS = frozenset({"correct", "correction_gain", "forgetting"})
    x = In(Signal, doc="the signal to model (e.g. psi_core.state)")
    prediction = Out(Signal, like="x", channels=lambda p, i: len(_obs_names(p, i)), labels=_obs_names,
                     doc="forecast horizon_ms ahead")
    error = Out(Signal, like="x", channels=1, labels=["error"], doc="horizon forecast error norm")
    error1 = Out(Signal, like="x", channels=1, labels=["error1"], doc="one-step innovation norm")
    eigs = Out(Signal, like="x", channels=lambda p: 2 * p.modes,
               labels=lambda p: [f"{k}{i}" for i in range(p.modes) for k in ("freq", "growth")],
               doc="freq<i> (Hz), growth<i> (1/s)")
    correction = Out(Signal, like="x", channels=lambda p, i: len(_obs_names(p, i)),
                     labels=lambda p, i: [f"corr:{n}" for n in _obs_names(p, i)], doc="stabilising correction")

    @classmethod
    def example_input_specs(cls, params, timebase):
        labels = [c for c in params.channels if isinstance(c, str)]
        n = max([len(labels)] + [c + 1 for c in params.channels if isinstance(c, int)])
        labels += [f"ch{i}" for i in range(len(labels), n)]
        return {"x": SignalSpec(timebase.period("control"), max(n, 1), "float64", tuple(labels),
                                float(timebase.hz("control")))}

    @classmethod
    def check(cls, params, inputs) -> list:
        spec = inputs.get("x")
        if spec is None:
            return []
        sel = select(params.channels, spec)
        issues = [Issue("params.channels", msg, code=code) for code, msg in sel.issues]
        m = len(sel.names) * params.delays
        if not issues and not sel.names:
            issues.append(Issue("inputs.x", "the input has no channels to model", code="input.no_channels"))
        elif not issues and m > MAX_EMBEDDING:
            issues.append(Issue("params.channels",
                                f"{len(sel.names)} observables × {params.delays} delays = a {m}-dimensional "
                                f"embedding (at most {MAX_EMBEDDING}); list the channels to model, e.g. "
                                f"channels: [{', '.join(repr(x) for x in (spec.labels or range(spec.channels))[:2])}]",
                                code="param.embedding_too_large"))
        return issues

    def _resolve(self) -> None:
        sel = select(self.params.channels, self.in_specs["x"])
        if sel.issues:
            code, msg = sel.issues[0]
            raise PortError(msg, where=f"{self.node_id}.channels", code=code)
        self.idx = np.array(sel.idx, dtype=np.int64)
        self.is_phase = np.array(sel.is_phase, dtype=bool)
        self.names = sel.names

    def reset(self) -> None:
        p = self.params
        self._resolve()
        M = len(self.names)
        m = M * p.delays
        spec = self.in_specs["x"]
        hz = spec.rate_hz or self.master_rate / spec.period
        self.horizon = max(1, int(round(p.horizon_ms * 1e-3 * hz)))
        self.warmup_ticks = max(p.delays, int(round(p.warmup_ms * 1e-3 * hz)))
        self.dt = 1.0 / hz
        W = np.zeros((M, m))
        W[:, :M] = np.eye(M)                           # start as persistence (the prior)
        self.state = KoopmanState(0, 0, 0.0, np.zeros((m, m + M)), W, np.zeros(m), np.zeros(M),
                                  np.zeros((self.horizon, M)), np.zeros(2 * p.modes))
        self.work = np.zeros((7, m + M + self.horizon * M))
        self.work_t = np.zeros((m, M))
        self.M, self.m = M, m

    def warmup(self) -> None:
        """Compile the kernels (or load them from numba's cache) on a 1-observable, 2-delay model."""
        M, d, H, n = 1, 2, 2, 4
        m = M * d
        obs = np.ones((n, M))
        out = [np.zeros((n, k)) for k in (M, 1, 1, M)]
        kernels._run(obs, 0, np.zeros((m, m + M)), np.zeros((M, m)), np.zeros(m), np.zeros(M), np.zeros((H, M)),
                     0.99, 0.0, d, H, d, 0, 0.0, 4.0, 0.0, out[0], out[1], out[2], out[3],
                     np.zeros((7, m + M + H * M)), np.zeros((m, M)))

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
            growth = np.log(np.abs(mu)) / self.dt
        out[0:2 * len(mu):2] = np.angle(mu) / (2 * np.pi * self.dt)
        out[1:2 * len(mu):2] = np.maximum(growth, -1e6)
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
        obs = np.ascontiguousarray(self.observables(x), dtype=np.float64)
        lam = float(p.forgetting)
        gain = float(p.correction_gain) if p.correct else 0.0
        a = 0
        while a < n:                                   # split at eigenvalue ticks
            tick = st.tick + a
            b = min(n, a + (p.eig_every - tick % p.eig_every))
            st.count, st.ms = kernels._run(obs[a:b], tick, st.RZ, st.W, st.s, st.one, st.ring, lam, float(p.ridge),
                                           p.delays, self.horizon, self.warmup_ticks, st.count, st.ms,
                                           float(p.robust), gain, pred[a:b], err[a:b], err1[a:b], corr[a:b],
                                           self.work, self.work_t)
            eig[a:b - 1] = st.eigs
            if (st.tick + b) % p.eig_every == 0:
                st.eigs = self._eigs()
            eig[b - 1] = st.eigs
            a = b
        st.tick += n
        return {"prediction": pred, "error": err, "error1": err1, "eigs": eig, "correction": corr}
