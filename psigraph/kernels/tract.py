"""Tract channels (names in :mod:`psigraph.chain`) and their exact control-rate dynamics.

A :class:`Tract` holds one value per channel and moves it toward the targets of
``target`` score events:

* ``smooth`` — critically damped 2nd-order approach, x'' = −2x'/τ − (x − x*)/τ²;
* ``ramp``   — straight line from the current value to the target in τ, then hold;
* ``step``   — jump to the target.

Every value is computed in closed form from the state at the last event that
touched its channel (an *anchor*) and the whole number of ticks since then, so
the track is bit-identical however the ticks are split into ``step()`` calls.
``step(out)`` writes the value *at* each tick, then advances one tick: an event
applied just before tick k is visible at out[k] for ``step`` mode and starts
moving from there for ``smooth``/``ramp``. Shared by psi_core (which integrates it) and the speech family's offline renderer.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from psigraph.chain import TRACT_CHANNELS, TRACT_INDEX, TRACT_REST

from . import njit
from .aot import trusted

__all__ = ["CHANNELS", "REST", "INDEX", "Tract", "TractState", "SMOOTH", "RAMP", "STEP"]

CHANNELS = TRACT_CHANNELS
INDEX = TRACT_INDEX
REST = TRACT_REST

SMOOTH, RAMP, STEP = 0, 1, 2
_MODES = {"smooth": SMOOTH, "ramp": RAMP, "step": STEP}
_REST_VEC = np.array([REST[c] for c in CHANNELS], dtype=np.float64)


@dataclass
class TractState:
    """Per channel: anchor value/velocity, target, time constant (s), mode, ticks since anchor."""

    x0: np.ndarray = field(default_factory=lambda: _REST_VEC.copy())
    v0: np.ndarray = field(default_factory=lambda: np.zeros(len(CHANNELS)))
    targets: np.ndarray = field(default_factory=lambda: _REST_VEC.copy())
    taus: np.ndarray = field(default_factory=lambda: np.full(len(CHANNELS), 0.02))
    modes: np.ndarray = field(default_factory=lambda: np.full(len(CHANNELS), STEP, dtype=np.int64))
    elapsed: np.ndarray = field(default_factory=lambda: np.zeros(len(CHANNELS), dtype=np.int64))
    tick: int = 0                   # ticks written since reset

    def copy(self) -> "TractState":
        return TractState(self.x0.copy(), self.v0.copy(), self.targets.copy(), self.taus.copy(),
                          self.modes.copy(), self.elapsed.copy(), self.tick)


def _evaluate(st: TractState, k: np.ndarray, dt: float, cols=slice(None)):
    """Values and velocities after ``k`` ticks since each channel's anchor (k broadcasts).

    The vectorised reference of :func:`_value` (kept for tests and diagnostics)."""
    x0, v0, tg = st.x0[cols], st.v0[cols], st.targets[cols]
    tau, mode = st.taus[cols], st.modes[cols]
    t = k * dt
    tau_safe = np.where(tau > 0.0, tau, 1.0)
    # smooth: exact critically damped solution
    w = 1.0 / tau_safe
    e0 = x0 - tg
    c = v0 + w * e0
    decay = np.exp(-w * t)
    xs = tg + (e0 + c * t) * decay
    vs = (v0 - w * c * t) * decay
    # ramp: linear over tau, then hold
    frac = np.minimum(t / tau_safe, 1.0)
    xr = x0 + (tg - x0) * frac
    vr = np.where(t < tau_safe, (tg - x0) / tau_safe, 0.0)
    smooth_ok = (mode == SMOOTH) & (tau > 0.0)
    ramp_ok = (mode == RAMP) & (tau > 0.0)
    x = np.where(smooth_ok, xs, np.where(ramp_ok, xr, tg))
    v = np.where(smooth_ok, vs, np.where(ramp_ok, vr, 0.0))
    return x, v


@njit(fastmath=False)
def _value(x0, v0, tg, tau, mode, t):
    """(value, velocity) of one channel ``t`` seconds after its anchor (same formulas as _evaluate)."""
    if tau > 0.0 and mode == SMOOTH:
        w = 1.0 / tau
        e0 = x0 - tg
        c = v0 + w * e0
        decay = math.exp(-w * t)
        return tg + (e0 + c * t) * decay, (v0 - w * c * t) * decay
    if tau > 0.0 and mode == RAMP:
        frac = min(t / tau, 1.0)
        return x0 + (tg - x0) * frac, ((tg - x0) / tau if t < tau else 0.0)
    return tg, 0.0


@njit(fastmath=False, aot="f8[::1] f8[::1] f8[::1] f8[::1] i8[::1] i8[::1] f8 f8[:, ::1] i8")
def _rows(x0, v0, tg, taus, modes, elapsed, dt, out, col0):
    """Write the values of ``out.shape[0]`` ticks from each channel's ``elapsed`` into out[:, col0:col0+C]."""
    for c in range(x0.shape[0]):
        for r in range(out.shape[0]):
            t = (elapsed[c] + r) * dt
            out[r, col0 + c] = _value(x0[c], v0[c], tg[c], taus[c], modes[c], float(t))[0]


@njit(fastmath=False, aot="f8[::1] f8[::1] f8[::1] f8[::1] i8[::1] i8[::1] f8 i8[::1]")
def _anchor(x0, v0, tg, taus, modes, elapsed, dt, idx):
    """Re-anchor channels ``idx`` at their current value and velocity (elapsed back to 0)."""
    for i in idx:
        x, v = _value(x0[i], v0[i], tg[i], taus[i], modes[i], elapsed[i] * dt)
        x0[i] = x
        v0[i] = v
        elapsed[i] = 0


class Tract:
    """The tract channels with exact per-tick dynamics (see module docstring)."""

    def __init__(self, control_rate: float = 200.0):
        if not control_rate > 0:
            raise ValueError(f"control_rate must be > 0 (got {control_rate})")
        self.control_rate = float(control_rate)
        self.dt = 1.0 / self.control_rate
        self.state = TractState()

    def reset(self) -> None:
        """Back to REST, holding still."""
        self.state = TractState()

    def current(self) -> tuple[np.ndarray, np.ndarray]:
        """(values, velocities) at the next tick to be written."""
        st = self.state
        pairs = [_value(st.x0[c], st.v0[c], st.targets[c], st.taus[c], st.modes[c], st.elapsed[c] * self.dt)
                 for c in range(len(CHANNELS))]
        return np.array([x for x, _ in pairs]), np.array([v for _, v in pairs])

    def apply(self, payload: dict) -> None:
        """Apply a ``target`` event payload ``{"values": {...}, "tau_ms": .., "mode": ..}``."""
        values = payload.get("values") or {}
        if not values:
            return
        mode_name = payload.get("mode", "smooth")
        mode = _MODES.get(mode_name)
        if mode is None:
            raise ValueError(f"target mode must be smooth, ramp or step (got {mode_name!r})")
        tau_ms = payload.get("tau_ms", 0.0)
        st = self.state
        idx = []
        for name in values:
            i = INDEX.get(name)
            if i is None:
                raise ValueError(f"unknown tract channel {name!r}; known: {', '.join(CHANNELS)}")
            idx.append(i)
        trusted(_anchor)(st.x0, st.v0, st.targets, st.taus, st.modes, st.elapsed, self.dt,
                         np.array(idx, dtype=np.int64))
        per_channel = isinstance(tau_ms, dict)
        for j, (name, val) in zip(idx, values.items()):
            tau = max(float(tau_ms.get(name, 0.0) if per_channel else tau_ms), 0.0) * 1e-3
            st.targets[j] = float(val)
            st.taus[j] = tau
            st.modes[j] = m = mode if tau > 0.0 else STEP
            if m == STEP:
                st.x0[j] = float(val)
                st.v0[j] = 0.0

    def advance(self, n: int) -> None:
        """Move ``n`` ticks on without writing them (values are closed-form in the ticks since the anchor)."""
        if n > 0:
            self.state.elapsed += n
            self.state.tick += n

    def write(self, out: np.ndarray, col0: int = 0) -> None:
        """Write the next ``len(out)`` ticks into ``out[:, col0:col0 + len(CHANNELS)]`` without advancing."""
        st = self.state
        if out.dtype == np.float64 and out.ndim == 2 and out.flags.c_contiguous:
            trusted(_rows)(st.x0, st.v0, st.targets, st.taus, st.modes, st.elapsed, self.dt, out, int(col0))
        else:
            tmp = np.empty((out.shape[0], len(CHANNELS)))
            _rows(st.x0, st.v0, st.targets, st.taus, st.modes, st.elapsed, self.dt, tmp, 0)
            out[:, col0:col0 + len(CHANNELS)] = tmp

    def step(self, out: np.ndarray) -> None:
        """Write ``len(out)`` ticks into ``out[:, :len(CHANNELS)]`` and advance."""
        n = out.shape[0]
        if n == 0:
            return
        self.write(out)
        self.advance(n)

    def run(self, events, n_ticks: int) -> np.ndarray:
        """Convenience: apply ``(tick, payload)`` pairs (sorted) and return an (n_ticks, C) track."""
        out = np.empty((n_ticks, len(CHANNELS)))
        pos = 0
        for tick, payload in events:
            tick = min(max(int(tick), pos), n_ticks)
            self.step(out[pos:tick])
            pos = tick
            self.apply(payload)
        self.step(out[pos:])
        return out
