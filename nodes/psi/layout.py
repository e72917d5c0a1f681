"""The ψ-core layout: bands, roles and grammar constraints turned into flat arrays.

Oscillators are numbered roles first (in the order of the ``roles`` param),
then the members of every band (``micro0`` … ``micro127``, ``meso0`` …).

* **Band** ``{name, count, period_ms, spread_hz, coupling}``: ``count``
  oscillators with intrinsic periods around ``period_ms``; their frequencies
  are the deterministic quantiles of a Lorentzian of half-width ``spread_hz``
  (so N = 128 samples the distribution evenly without randomness). Members are
  coupled all-to-all with K_ij = K/N (K = the band's ``coupling`` or the node's
  global ``coupling``, rad/s). Bands are ordered by period; neighbours are
  coupled n:1 (n = round(T_slow/T_fast)) through their mean fields:
  ``upward_gain`` lets the fast band drive the next slower one,
  ``downward_gain`` the slow band drive the next faster one.
* **Role** ``{name, period_ms, band, pull, amp, noise}``: an extra oscillator
  addressed by name (``phase:<name>``/``amp:<name>`` in the state). When
  ``band`` is given, the band's mean field pulls it with strength ``pull``
  (rad/s) at the q:1 ratio q = round(T_role/T_band) ≥ 1. ``amp`` is the
  resting amplitude (expression roles rest at 0: the amplitude carries the
  expression). ``noise`` overrides the node's phase noise for this role.
  Instead of an extra oscillator, ``{name, member: "meso3"}`` gives a band
  member a role name (its labels then use the role name).
  The default is no roles; the speak graph's roles (``psigraph.chain.SPEAK_ROLES``):
  ``syllable`` and ``jaw`` (250 ms, meso), ``breath`` (4 s,
  macro), ``blink`` (4 s, free, extra noise 0.8 rad/√s so blinks are
  irregular), ``smile`` (6 s) and ``brow`` (5 s) resting at amplitude 0,
  ``head_pitch``/``head_yaw``/``head_roll`` (3.1/4.7/5.9 s, weakly pulled by
  macro).
* **Constraint** (harmonic grammar, energy penalties):
  ``{lock: [a, b], weight: w, ratio: [n, m], offset: φ}`` adds
  E = −w·cos(n·θ_a − m·θ_b − φ) and its gradient flow;
  ``{kind: sad_slows, band: meso, weight: w}`` (alias ``sad_slows_meso``)
  scales the intrinsic frequencies of the band and of the roles attached to it
  by (1 − w·sadness), a linear tilt E = w·sadness·Σ ω_i θ_i of the potential.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from psigraph.chain import SEED_BANDS
from psigraph.errors import ParamError
from psigraph.util import did_you_mean

DEFAULT_BANDS = SEED_BANDS     # the seed configuration: micro 128 × 25 ms, meso 32 × 250 ms, macro 8 × 2 s
DEFAULT_ROLES: list = []       # generic: no named oscillators (the speak graph declares its own)
DEFAULT_CONSTRAINTS: list = []
MAX_OSCILLATORS = 8192         # the coupling matrix is N×N

_BAND_KEYS = ("name", "count", "period_ms", "spread_hz", "coupling")
_ROLE_KEYS = ("name", "period_ms", "band", "pull", "amp", "noise", "member")


@dataclass
class Layout:
    """Flat arrays describing the network (built from params, never mutated)."""

    names: list            # oscillator names, state order
    omega: np.ndarray      # intrinsic angular frequency (rad/s)
    amp_rest: np.ndarray   # resting amplitude target
    noise: np.ndarray      # phase noise (rad/√s); NaN = node's global noise
    band_names: list
    band_start: np.ndarray  # int64 first oscillator of each band
    band_count: np.ndarray
    band_coupling: np.ndarray  # K per band (rad/s), NaN = node's global coupling
    band_ratio: np.ndarray  # int64 n between band b and b+1 (last entry unused)
    band_of: np.ndarray    # int64 band index of each oscillator (-1 for extra roles)
    role_index: dict       # role name -> oscillator index
    role_band: np.ndarray  # int64 per oscillator: band pulling it (-1 none)
    role_pull: np.ndarray  # pull strength per oscillator (0 for band members)
    role_q: np.ndarray     # int64 q of the q:1 pull
    locks: list            # (a, b, n, m, weight, offset)
    sad_slows: list        # (band index, weight)

    @property
    def n(self) -> int:
        return len(self.names)

    def labels(self) -> list:
        return [f"phase:{n}" for n in self.names] + [f"amp:{n}" for n in self.names]


def _err(where, msg):
    return ParamError(msg, where=where)


def _num(d, key, where, default=None, lo=None, integer=False, hi=None):
    v = d.get(key, default)
    if v is None:
        raise _err(f"{where}.{key}", "required")
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise _err(f"{where}.{key}", f"must be a number (got {v!r})")
    if integer and int(v) != v:
        raise _err(f"{where}.{key}", f"must be an integer (got {v!r})")
    if lo is not None and v < lo:
        raise _err(f"{where}.{key}", f"must be >= {lo} (got {v!r})")
    if hi is not None and v > hi:
        raise _err(f"{where}.{key}", f"must be <= {hi} (got {v!r})")
    return int(v) if integer else float(v)


def _check_keys(d, keys, where):
    if not isinstance(d, dict):
        raise _err(where, f"must be a mapping (got {d!r})")
    for k in d:
        if k not in keys:
            raise _err(f"{where}.{k}", f"unknown key {k!r}" + did_you_mean(k, keys))


def lorentz_quantiles(count: int, center: float, half_width: float) -> np.ndarray:
    """Deterministic Lorentzian sample: center + γ·tan(π((i+½)/N − ½))."""
    i = np.arange(count, dtype=np.float64)
    return center + half_width * np.tan(np.pi * ((i + 0.5) / count - 0.5))


def build(bands, roles, constraints) -> Layout:
    """Validate the band / role / constraint params and build a :class:`Layout` (cached per value)."""
    import json
    try:
        key = json.dumps([bands, roles, constraints], sort_keys=True, allow_nan=True)
    except (TypeError, ValueError):
        return _build(bands, roles, constraints)
    layout = _CACHE.get(key)
    if layout is None:
        layout = _build(bands, roles, constraints)
        if len(_CACHE) >= 64:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = layout
    return layout


_CACHE: dict = {}


def _build(bands, roles, constraints) -> Layout:
    if not isinstance(bands, list):
        raise _err("bands", "must be a list of band mappings")
    parsed = []
    for j, b in enumerate(bands):
        w = f"bands[{j}]"
        _check_keys(b, _BAND_KEYS, w)
        name = b.get("name")
        if not isinstance(name, str) or not name.isidentifier():
            raise _err(f"{w}.name", f"must be an identifier (got {name!r})")
        parsed.append((name, _num(b, "count", w, lo=1, integer=True, hi=MAX_OSCILLATORS), _num(b, "period_ms", w, lo=1e-3),
                       _num(b, "spread_hz", w, 0.0, lo=0.0), b.get("coupling")))
        if b.get("coupling") is not None:
            _num(b, "coupling", w, lo=0.0)
    if sum(p[1] for p in parsed) + len(roles if isinstance(roles, list) else []) > MAX_OSCILLATORS:
        raise _err("bands", f"at most {MAX_OSCILLATORS} oscillators in all (the coupling matrix is N×N)")
    names_b = [p[0] for p in parsed]
    if len(set(names_b)) != len(names_b):
        raise _err("bands", f"band names must be unique (got {names_b})")
    parsed.sort(key=lambda p: p[2])            # fast to slow
    if not isinstance(roles, list):
        raise _err("roles", "must be a list of role mappings")
    if not isinstance(constraints, list):
        raise _err("constraints", "must be a list of constraint mappings")

    band_idx = {p[0]: i for i, p in enumerate(parsed)}
    extra, members = [], {}
    for j, r in enumerate(roles):
        w = f"roles[{j}]"
        _check_keys(r, _ROLE_KEYS, w)
        name = r.get("name")
        if not isinstance(name, str) or not name.isidentifier():
            raise _err(f"{w}.name", f"must be an identifier (got {name!r})")
        if name in band_idx or any(name == e[0] for e in extra) or name in members:
            raise _err(f"{w}.name", f"duplicate oscillator name {name!r}")
        if r.get("member") is not None:
            members[name] = (r["member"], w)
            continue
        band = r.get("band")
        if band is not None and not isinstance(band, str):
            raise _err(f"{w}.band", f"must be a band name (got {band!r}); known: {', '.join(band_idx)}")
        if band is not None and band not in band_idx:
            raise _err(f"{w}.band", f"unknown band {band!r}" + did_you_mean(band, list(band_idx)))
        period = _num(r, "period_ms", w, lo=1e-3)
        q = 1
        if band is not None:
            tb = parsed[band_idx[band]][2]
            if period < tb * 0.75:
                raise _err(f"{w}.period_ms", f"role {name!r} is faster than its band {band!r} "
                           f"({period} < {tb} ms); attach it to a faster band or drop 'band'")
            q = max(1, int(round(period / tb)))
        noise = r.get("noise")
        extra.append((name, period, band_idx.get(band, -1), _num(r, "pull", w, 0.0, lo=0.0),
                      _num(r, "amp", w, 1.0, lo=0.0), q,
                      float("nan") if noise is None else _num(r, "noise", w, lo=0.0)))

    names, omega, amp, noise = [], [], [], []
    band_of, role_band, role_pull, role_q = [], [], [], []
    for name, period, b, pull, a, q, nz in extra:
        names.append(name)
        omega.append(2 * np.pi * 1000.0 / period)
        amp.append(a)
        noise.append(nz)
        band_of.append(-1)
        role_band.append(b)
        role_pull.append(pull)
        role_q.append(q)
    starts, counts, ks = [], [], []
    for name, count, period, spread, k in parsed:
        starts.append(len(names))
        counts.append(count)
        ks.append(float("nan") if k is None else float(k))
        w = lorentz_quantiles(count, 2 * np.pi * 1000.0 / period, 2 * np.pi * spread)
        for i in range(count):
            names.append(f"{name}{i}")
        omega.extend(w.tolist())
        amp.extend([1.0] * count)
        noise.extend([float("nan")] * count)
        band_of.extend([band_idx[name]] * count)
        role_band.extend([-1] * count)
        role_pull.extend([0.0] * count)
        role_q.extend([1] * count)
    role_index = {e[0]: i for i, e in enumerate(extra)}
    for name, (member, w) in members.items():
        if member not in names or member in role_index:
            raise _err(f"{w}.member", f"no band member named {member!r}"
                       + did_you_mean(str(member), [n for n in names if n not in role_index]))
        i = names.index(member)
        names[i] = name
        role_index[name] = i
    ratios = [max(1, int(round(parsed[b + 1][2] / parsed[b][2]))) for b in range(len(parsed) - 1)] + [1]

    locks, sad = [], []
    for j, c in enumerate(constraints):
        w = f"constraints[{j}]"
        if not isinstance(c, dict):
            raise _err(w, f"must be a mapping (got {c!r})")
        if "lock" in c:
            _check_keys(c, ("lock", "weight", "ratio", "offset"), w)
            pair = c["lock"]
            if not (isinstance(pair, list) and len(pair) == 2):
                raise _err(f"{w}.lock", f"must be a list of two role names (got {pair!r})")
            ids = []
            for nm in pair:
                if nm not in role_index:
                    raise _err(f"{w}.lock", f"unknown role {nm!r}" + did_you_mean(str(nm), list(role_index)))
                ids.append(role_index[nm])
            ratio = c.get("ratio", [1, 1])
            if not (isinstance(ratio, list) and len(ratio) == 2 and all(isinstance(x, int) and x >= 1 for x in ratio)):
                raise _err(f"{w}.ratio", f"must be two positive integers [n, m] (got {ratio!r})")
            locks.append((ids[0], ids[1], ratio[0], ratio[1], _num(c, "weight", w, 1.0, lo=0.0),
                          _num(c, "offset", w, 0.0)))
        elif c.get("kind") in ("sad_slows", "sad_slows_meso"):
            _check_keys(c, ("kind", "band", "weight"), w)
            band = c.get("band", "meso")
            if band not in band_idx:
                raise _err(f"{w}.band", f"unknown band {band!r}" + did_you_mean(str(band), list(band_idx)))
            sad.append((band_idx[band], _num(c, "weight", w, 0.25, lo=0.0)))
        else:
            raise _err(w, "unknown constraint: use {lock: [a, b], weight: w} "
                          "or {kind: sad_slows, band: meso, weight: w}")

    i64 = lambda x: np.asarray(x, dtype=np.int64)  # noqa: E731
    f64 = lambda x: np.asarray(x, dtype=np.float64)  # noqa: E731
    return Layout(names, f64(omega), f64(amp), f64(noise), [p[0] for p in parsed], i64(starts), i64(counts),
                  f64(ks), i64(ratios), i64(band_of), role_index, i64(role_band), f64(role_pull), i64(role_q),
                  locks, sad)
