"""psi_core: the multi-band network of coupled phase oscillators that drives voice and face.

Ports
-----
* ``score`` (Events, optional) — the gestural score (docs/SPEECH_CHAIN.md §1):
  ``force`` pulls a role toward a phase reference (rotating at the role's own
  frequency, equal to ``phase`` at the event time) and/or an amplitude, with
  ``strength`` (1/s), for ``dur`` samples or until the next force on that role;
  ``syllable`` entrains the ``syllable`` role (partial phase reset toward 0 by
  ``syllable_reset``, then a pull toward a reference running at 2π/dur for the
  syllable's duration; amplitude by stress; the pull and amplitude also apply
  to ``jaw``); ``emotion``/``utterance`` set
  the expression amplitudes (``smile`` ← valence⁺, ``brow`` ← 0.6·arousal⁺ +
  0.4·valence⁻) and the sadness used by the grammar; ``end`` releases the
  syllable forcing; ``target`` drives the tract channels (nodes/speech/tract.py);
  ``kick`` ``{role, dphase}`` shifts a role's phase at once (a perturbation for
  surprise tests and demos). Other kinds (``phone``) are ignored.
  An event at time t takes effect at the first control tick ≥ t.
  Amplitudes relax at ``amp_rate`` toward their resting value (an amplitude
  force replaces it by its target, at rate amp_rate + strength); phases get
  counter-based noise of ``noise`` rad/√s (roles may override it).
* ``state`` (Signal @ control) — ``phase:<osc>`` in [0, 2π) for every
  oscillator (roles by role name, then ``micro0``…, ``meso0``…, ``macro0``…),
  then ``amp:<osc>`` in the same order, then the tract channels.
* ``r`` — Kuramoto order parameter per band (labels ``r:<band>``).
* ``energy`` — V_b = −½ Σ_{i,j∈b} K_ij cos(θ_i − θ_j) per band (i = j terms
  included, so V_b = −½ K N r² for all-to-all coupling), then ``V:grammar`` =
  Σ −w cos(nθ_a − mθ_b − φ) over the lock constraints.

The layout (bands, roles, constraints) is documented in ``layout.py``; the
integrator (exact rotation for ω plus RK4 for the coupling) in ``kernels.py``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from psigraph.errors import ParamError, PsigraphError
from psigraph.node import Node
from psigraph.params import Params, param
from psigraph.ports import Events, In, Out, Signal

from psigraph import chain
from psigraph.chain import TRACT_CHANNELS
from psigraph.kernels.tract import Tract

from . import kernels
from .coupling import apply_edits, band_matrix, check_edits
from .layout import DEFAULT_BANDS, DEFAULT_CONSTRAINTS, DEFAULT_ROLES, Layout, build

__all__ = ["PsiCore", "CoreParams", "CoreState"]


def _errstate():
    """Silence uint64 wrap-around warnings of the noise hash when kernels run as plain Python
    (numba reads NUMBA_DISABLE_JIT from the environment; importing numba here would cost its start-up)."""
    import contextlib
    import os
    if os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0"):
        return lambda: np.errstate(over="ignore")
    return contextlib.nullcontext


_ERRSTATE = _errstate()


class CoreParams(Params):
    bands: list = param(DEFAULT_BANDS, doc="bands: {name, count, period_ms, spread_hz (Lorentzian half-width), "
                        "coupling (rad/s, optional)}")
    roles: list = param(DEFAULT_ROLES, doc="named oscillators: {name, period_ms, band, pull, amp, noise} "
                        "or {name, member: <band><i>}")
    constraints: list = param(DEFAULT_CONSTRAINTS, doc="harmonic grammar: {lock: [a, b], weight, ratio, offset} "
                              "or {kind: sad_slows, band, weight}")
    grammar: bool = param(True, doc="apply the constraints (ablation switch)")
    coupling: float = param(6.0, ge=0, unit="rad/s", doc="K of every band that sets no coupling of its own "
                            "(K_ij = K/N; K_c = 4π·spread_hz)")
    coupling_matrix: Any = param(None, nullable=True,
                                 doc="optional N×N matrix K_ij (rad/s) over all oscillators in state order; "
                                     "replaces the all-to-all band coupling")
    coupling_edits: list = param([], doc="edits of K_ij applied in order over the band coupling (or "
                                 "coupling_matrix): {rows: SEL, cols: SEL, set: v rad/s} or {rows, cols, "
                                 "scale: s}; SEL = band, oscillator, 'micro[0:64]', '[10:20]' or '*' "
                                 "(coupling.py; the editor's coupling matrix)")
    upward_gain: float = param(0.15, ge=0, unit="rad/s", doc="fast band → next slower band (n:1 mean field)")
    downward_gain: float = param(0.07, ge=0, unit="rad/s", doc="slow band → next faster band (n:1 mean field)")
    noise: float = param(0.1, ge=0, unit="rad/√s", doc="phase noise of every oscillator (roles may override)")
    seed: int = param(0, ge=0, doc="mixed with the graph seed for initial phases and noise")
    init_spread: float = param(1.0, ge=0, le=1, doc="initial phases uniform over this fraction of the circle")
    substeps: int = param(1, ge=1, le=64, doc="RK4 substeps per control tick (raise for K above ~50 rad/s)")
    amp_rate: float = param(8.0, ge=0, unit="1/s", doc="amplitude relaxation rate toward the target")
    entrain: float = param(40.0, ge=0, unit="1/s", doc="pull strength of syllable events")
    syllable_reset: float = param(0.0, ge=0, le=1, doc="fraction of the phase error removed at once at a "
                                  "syllable onset (such jumps read as surprises)")

    def validate(self) -> list:
        try:
            layout = build(self.bands, self.roles, self.constraints)
        except ParamError as e:
            return [e]
        if self.coupling_matrix is not None:
            n = layout.n
            try:
                k = np.asarray(self.coupling_matrix, dtype=np.float64)
            except (TypeError, ValueError):
                k = np.zeros(0)
            if k.shape != (n, n) or not np.all(np.isfinite(k)):
                return [ParamError(f"must be a finite {n}×{n} matrix (got shape {k.shape})",
                                   where="coupling_matrix", hint="one row and column per oscillator, in state order",
                                   code="param.shape")]
        return check_edits(layout, self.coupling_edits)


def _layout(p: CoreParams) -> Layout:
    return build(p.bands, p.roles, p.constraints)


def _state_labels(p: CoreParams) -> list:
    return _layout(p).labels() + list(TRACT_CHANNELS)


@dataclass
class CoreState:
    """Everything that evolves (picklable): phases, amplitudes, forcing, tract, tick."""

    tick: int
    theta: np.ndarray
    amp: np.ndarray
    f_s: np.ndarray        # phase forcing strength (1/s), 0 = off
    f_phase: np.ndarray    # phase of the forcing reference at the current tick
    f_omega: np.ndarray    # angular frequency of the reference
    f_end: np.ndarray      # tick at which the forcing stops (-1: never)
    a_s: np.ndarray        # amplitude forcing strength (1/s)
    a_tgt: np.ndarray      # amplitude forcing target
    amp_rest: np.ndarray   # resting amplitude (expressions change it)
    amp_eq: np.ndarray     # equilibrium of the amplitude ODE (derived)
    amp_decay: np.ndarray  # exp(−(rate + a_s)·dt) (derived)
    sad: float
    tract: Tract
    z: np.ndarray          # (cos θ, sin θ), carried by the integrator
    tract_base: int = 0    # tick the tract's own state stands at
    tract_cache: Any = None  # unused (kept so older pickled states load)


class PsiCore(Node[CoreParams]):
    """Multi-band coupled phase oscillators with roles, forcing and a harmonic grammar (the ψ-state)."""

    type_id = "psi_core"
    category = "psi"
    OWN_EVENT_TIMES = True      # one call per span: events apply at their tick here, not by span cuts
    HOT_PARAMS = frozenset({"coupling", "coupling_edits", "upward_gain", "downward_gain", "noise", "grammar",
                            "entrain", "syllable_reset"})
    score = In(Events, optional=True, doc="gestural score events (force, syllable, emotion, target, ...)")
    state = Out(Signal, rate="control", channels=lambda p: len(_state_labels(p)), labels=_state_labels,
                doc="phase:<osc>, amp:<osc>, then tract channels")
    r = Out(Signal, rate="control", channels=lambda p: len(_layout(p).band_names),
            labels=lambda p: [f"r:{b}" for b in _layout(p).band_names], doc="order parameter per band")
    energy = Out(Signal, rate="control", channels=lambda p: len(_layout(p).band_names) + 1,
                 labels=lambda p: [f"V:{b}" for b in _layout(p).band_names] + ["V:grammar"],
                 doc="Lyapunov energy per band, then the grammar penalty")

    # ---- configuration ------------------------------------------------------
    def _configure(self) -> None:
        p, L = self.params, self.layout
        self.band_k = np.where(np.isnan(L.band_coupling), p.coupling, L.band_coupling)
        self.sig = np.where(np.isnan(L.noise), p.noise, L.noise)
        self.sig_max = float(self.sig.max(initial=0.0))
        if p.coupling_matrix is not None or p.coupling_edits:   # checked by CoreParams.validate
            k = np.asarray(p.coupling_matrix, dtype=np.float64) if p.coupling_matrix is not None \
                else band_matrix(L, self.band_k)
            if p.coupling_edits:
                k = apply_edits(L, k, p.coupling_edits)
            self.kmat, self.use_matrix = np.ascontiguousarray(k), True
        else:
            self.kmat, self.use_matrix = np.zeros((1, 1)), False
        locks = L.locks if p.grammar else []
        self.coupling_bound = (float(self.band_k.max(initial=0.0)) + p.upward_gain + p.downward_gain
                               + float(L.role_pull.max(initial=0.0))
                               + sum(c[4] * max(c[2], c[3]) for c in locks) * 2
                               + (float(np.abs(self.kmat).sum(axis=1).max()) if self.use_matrix else 0.0))
        self.lock_a = np.array([c[0] for c in locks], dtype=np.int64)
        self.lock_b = np.array([c[1] for c in locks], dtype=np.int64)
        self.lock_n = np.array([c[2] for c in locks], dtype=np.int64)
        self.lock_m = np.array([c[3] for c in locks], dtype=np.int64)
        self.lock_w = np.array([c[4] for c in locks], dtype=np.float64)
        self.lock_off = np.array([c[5] for c in locks], dtype=np.float64)

    def _update_omega(self) -> None:
        """Effective frequencies (grammar tempo terms) and their exact half-step rotations."""
        L, p = self.layout, self.params
        scale = np.ones(L.n)
        if p.grammar and self.state is not None:
            for b, w in L.sad_slows:
                f = max(0.0, 1.0 - w * self.state.sad)
                scale[(L.band_of == b) | (L.role_band == b)] *= f
        self.omega = L.omega * scale
        h = self.dt / p.substeps
        self.rh_c = np.cos(0.5 * h * self.omega)
        self.rh_s = np.sin(0.5 * h * self.omega)

    def _amp_refresh(self, i) -> None:
        """Amplitude ODE of oscillator i: relax to rest at amp_rate, or to the forced target at rate + a_s."""
        st = self.state
        forced = st.a_s[i] > 0.0
        st.amp_eq[i] = st.a_tgt[i] if forced else st.amp_rest[i]
        st.amp_decay[i] = math.exp(-(self.amp_rate[i] + st.a_s[i]) * self.dt)

    def reset(self) -> None:
        p = self.params
        self.layout = L = _layout(p)
        spec = self.out_specs.get("state")
        self.period = spec.period if spec is not None else self.master_rate // 200
        self.dt = self.period / self.master_rate
        n = L.n
        self._configure()
        self.amp_rate = np.full(n, p.amp_rate)
        self.seed_u = np.uint64(((int(self.seed) * 0x9E3779B1) ^ (p.seed * 0x85EBCA77 + 0x165667B1))
                                & 0xFFFFFFFFFFFFFFFF)
        u = np.array([kernels.hash_int(self.seed_u, 2**62 + i) >> 11 for i in range(n)],
                     dtype=np.float64) * (1.0 / 9007199254740992.0)
        theta = (2 * np.pi * p.init_spread * u) % (2 * np.pi)
        self.state = CoreState(0, theta, L.amp_rest.copy(), np.zeros(n), np.zeros(n), np.zeros(n),
                               np.full(n, -1, dtype=np.int64), np.zeros(n), np.zeros(n), L.amp_rest.copy(),
                               L.amp_rest.copy(), np.ones(n), 0.0, Tract(self.master_rate / self.period),
                               np.array([np.cos(theta), np.sin(theta)]))
        for i in range(n):
            self._amp_refresh(i)
        self._update_omega()
        self.bound = self._bound()
        self.work = np.zeros((18, n))
        self.force_idx = np.array(sorted(L.role_index.values()), dtype=np.int64)
        self.n_tract = len(TRACT_CHANNELS)
        self.ignored_events = 0
        self.integrate = True

    def outputs_read(self, read: dict) -> None:
        """Told by a ``skip_unread`` Session what is read: when nothing reads a phase, an amplitude,
        ``r`` or ``energy`` (e.g. ``say`` to a WAV: the voice reads only tract channels), the
        oscillators are not integrated and those columns are NaN. The tract channels are unchanged."""
        state = read.get("state")
        self.integrate = not (read.get("r") == frozenset() and read.get("energy") == frozenset()
                              and state is not None and state <= frozenset(TRACT_CHANNELS))

    def set_params(self, params) -> None:
        self.params = params
        self._configure()
        self._update_omega()
        self.bound = self._bound()

    # ---- events -------------------------------------------------------------
    def _role(self, name):
        """Oscillator index of a role, or None: events for roles this layout lacks are ignored
        (a generic core can sit behind any planner), and counted in ``ignored_events``."""
        i = self.layout.role_index.get(name)
        if i is None:
            self.ignored_events += 1
        return i

    def _end_tick(self, t_event, dur):
        return max(-(-(int(t_event) + int(dur)) // self.period), self.state.tick + 1)

    def _apply(self, ev) -> None:
        st, p, kind, pl = self.state, self.params, ev.kind, ev.payload or {}
        t_k = st.tick * self.period
        late = (t_k - ev.t) / self.master_rate          # seconds from the event to the tick it acts on
        if kind == chain.TARGET:
            self._tract_apply(pl)
        elif kind == chain.FORCE:
            i = self._role(pl.get("role"))
            if i is None:
                return
            strength = float(pl.get("strength", 10.0))
            if pl.get("phase") is not None:
                st.f_s[i], st.f_omega[i] = strength, self.omega[i]
                st.f_phase[i] = (float(pl["phase"]) + self.omega[i] * late) % (2 * np.pi)
            else:
                st.f_s[i] = 0.0
            st.a_s[i], st.a_tgt[i] = (strength, float(pl["amp"])) if pl.get("amp") is not None else (0.0, 0.0)
            st.f_end[i] = self._end_tick(ev.t, pl["dur"]) if pl.get("dur") else -1
            self._amp_refresh(i)
        elif kind == chain.SYLLABLE_EVENT:
            i = self.layout.role_index.get(chain.SYLLABLE)
            dur = int(pl.get("dur", 0))
            if i is None or dur <= 0:
                return
            w = 2 * np.pi * self.master_rate / dur
            ref = (w * late) % (2 * np.pi)
            err = (ref - st.theta[i] + np.pi) % (2 * np.pi) - np.pi
            st.theta[i] = (st.theta[i] + p.syllable_reset * err) % (2 * np.pi)
            st.z[0, i], st.z[1, i] = np.cos(st.theta[i]), np.sin(st.theta[i])
            amp = {1: 1.0, 2: 0.85}.get(int(pl.get("stress", 0)), 0.7)
            end = self._end_tick(ev.t, dur)
            for j in {i, self.layout.role_index.get(chain.JAW, i)}:
                st.f_s[j], st.f_omega[j], st.f_phase[j] = p.entrain, w, ref
                st.a_s[j], st.a_tgt[j], st.f_end[j] = p.entrain, amp, end
                self._amp_refresh(j)
        elif kind in (chain.EMOTION, chain.UTTERANCE):
            vad = pl.get("vad", pl.get("emotion"))
            if vad is None:
                return
            v, a = float(vad[0]), float(vad[1]) if len(vad) > 1 else 0.0
            targets = {chain.SMILE: min(max(v, 0.0), 1.0),
                       chain.BROW: min(0.6 * max(a, 0.0) + 0.4 * max(-v, 0.0), 1.0)}
            for name, val in targets.items():
                j = self.layout.role_index.get(name)
                if j is not None:
                    st.amp_rest[j] = val
                    self._amp_refresh(j)
            st.sad = min(max(-v, 0.0), 1.0) * (1.0 - min(max(a, 0.0), 1.0))
            self._update_omega()
        elif kind == chain.KICK:
            i = self._role(pl.get("role"))
            if i is None:
                return
            st.theta[i] = (st.theta[i] + float(pl.get("dphase", 0.0))) % (2 * np.pi)
            st.z[0, i], st.z[1, i] = np.cos(st.theta[i]), np.sin(st.theta[i])
        elif kind == chain.END:
            for name in (chain.SYLLABLE, chain.JAW):
                j = self.layout.role_index.get(name)
                if j is not None:
                    st.f_s[j] = st.a_s[j] = 0.0
                    st.f_end[j] = -1
                    self._amp_refresh(j)

    # ---- processing ---------------------------------------------------------
    def _bound(self) -> float:
        """Bound of a phase increment per substep from coupling and noise (forcing is added per tick)."""
        h = self.dt / self.params.substeps
        return self.coupling_bound * h + self.sig_max * 3.47 * np.sqrt(h)

    def _tract_sync(self) -> None:
        """Bring the tract to the current tick (no values are computed on the way: they are closed-form)."""
        st = self.state
        if st.tract_base < st.tick:
            st.tract.advance(st.tick - st.tract_base)
            st.tract_base = st.tick
        st.tract_cache = None

    def _tract_apply(self, payload) -> None:
        self._tract_sync()
        self.state.tract.apply(payload)

    def process(self, score=None):
        """The span's ticks; each event acts from the first tick at or after its time (OWN_EVENT_TIMES)."""
        k0, n = self.ticks("state")
        L, st = self.layout, self.state
        nb = len(L.band_names)
        out = np.empty((n, 2 * L.n + self.n_tract))
        r = np.empty((n, nb))
        e = np.empty((n, nb + 1))
        if n and k0 != st.tick:
            raise PsigraphError(f"psi_core expected tick {st.tick}, got {k0}: spans must be gapless")
        if not self.integrate:
            out[:, :2 * L.n] = np.nan
            r.fill(np.nan)
            e.fill(np.nan)
        done = 0
        for ev in score or ():
            due = min(max(-(-ev.t // self.period) - k0, done), n)   # ticks before the event's first tick
            if due > done:
                self._ticks(done, due, out, r, e)
                done = due
            self._apply(ev)
        if n > done:
            self._ticks(done, n, out, r, e)
        return {"state": out, "r": r, "energy": e}

    def _ticks(self, a: int, b: int, out, r, e) -> None:
        """Rows a..b−1 of the span's outputs (the ticks from the current one on); the state advances."""
        st = self.state
        if self.integrate:
            self._integrate(b - a, out[a:b], r[a:b], e[a:b])
        self._tract_sync()
        st.tract.write(out[a:b], 2 * self.layout.n)
        st.tick += b - a

    def _integrate(self, n, out, r, e) -> None:
        """Phases, amplitudes, r and energy of the next ``n`` ticks (the oscillators advance)."""
        L, st = self.layout, self.state
        with _ERRSTATE():
            kernels._advance(n, st.tick, self.params.substeps, self.dt, st.theta, st.amp, self.omega,
                             self.rh_c, self.rh_s, self.sig, self.seed_u,
                             L.band_start, L.band_count, self.band_k, L.band_ratio,
                             self.params.upward_gain, self.params.downward_gain,
                             L.role_band, L.role_pull, L.role_q, len(L.role_band) - int(L.band_count.sum()),
                             self.use_matrix, self.kmat,
                             st.f_s, st.f_phase, st.f_omega, st.f_end, self.force_idx, st.a_s, st.a_tgt,
                             st.amp_rest,
                             self.amp_rate, st.amp_eq, st.amp_decay,
                             self.lock_a, self.lock_b, self.lock_n, self.lock_m, self.lock_w, self.lock_off,
                             self.bound, st.z, self.work, out, r, e)
