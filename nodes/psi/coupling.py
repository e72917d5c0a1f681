"""Edits of the ψ-core coupling matrix K_ij (the ``coupling_edits`` param), applied in order.

Without edits the core couples each band all-to-all with K_ij = K/N (mean field). With
edits it builds that same matrix explicitly (or starts from ``coupling_matrix``), applies
the edits and integrates the dense K_ij. Each edit is a mapping::

    {rows: SEL, cols: SEL, set: v}      # K_ij = v (rad/s) for i in rows, j in cols
    {rows: SEL, cols: SEL, scale: s}    # K_ij *= s

A selector SEL is a band name (its members), an oscillator name (a role, or a band member
such as ``micro3``), a range of band members ``micro[0:64]``, a range of oscillators in
state order ``[10:20]`` (roles first, then the bands, as in ``layout.py``), or ``*`` (all).
A Kuramoto block of N oscillators with K_ij = K/N has the critical coupling K_c = 2γ
(γ = 2π·spread_hz, the Lorentzian half-width in rad/s).
"""
from __future__ import annotations

import math
import re

import numpy as np

from psigraph.errors import ParamError
from psigraph.util import did_you_mean

from .layout import Layout

_RANGE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)?\[(\d*):(\d*)\]$")
_KEYS = ("rows", "cols", "set", "scale")


def select(layout: Layout, sel, where: str = "") -> np.ndarray:
    """Oscillator indices (state order) named by selector ``sel``; ParamError if it names nothing."""
    if not isinstance(sel, str) or not sel:
        raise ParamError(f"must be a selector string (got {sel!r})", where=where,
                         hint="a band or oscillator name, 'micro[0:64]', '[10:20]' or '*'")
    if sel == "*":
        return np.arange(layout.n)
    bands = {b: i for i, b in enumerate(layout.band_names)}
    if sel in bands:
        b = bands[sel]
        return np.arange(layout.band_start[b], layout.band_start[b] + layout.band_count[b])
    if sel in layout.names:
        return np.array([layout.names.index(sel)])
    m = _RANGE.match(sel)
    if m is None:
        raise ParamError(f"unknown band or oscillator {sel!r}" + did_you_mean(sel, list(bands) + layout.names),
                         where=where)
    name, a, b = m.group(1), m.group(2), m.group(3)
    if name is None:
        lo, count = 0, layout.n
    elif name in bands:
        lo, count = int(layout.band_start[bands[name]]), int(layout.band_count[bands[name]])
    else:
        raise ParamError(f"unknown band {name!r}" + did_you_mean(name, list(bands)), where=where)
    a = int(a) if a else 0
    b = int(b) if b else count
    if not 0 <= a < b <= count:
        raise ParamError(f"range [{a}:{b}] is empty or outside 0..{count}", where=where)
    return np.arange(lo + a, lo + b)


def check_edits(layout: Layout, edits) -> list:
    """ParamErrors of a ``coupling_edits`` value (empty when it is valid)."""
    if not isinstance(edits, list):
        return [ParamError(f"must be a list of edits (got {type(edits).__name__})", where="coupling_edits")]
    errors = []
    for j, e in enumerate(edits):
        w = f"coupling_edits[{j}]"
        if not isinstance(e, dict):
            errors.append(ParamError(f"must be a mapping {{rows, cols, set|scale}} (got {e!r})", where=w))
            continue
        unknown = [k for k in e if k not in _KEYS]
        if unknown:
            errors.append(ParamError(f"unknown key {unknown[0]!r}" + did_you_mean(str(unknown[0]), _KEYS),
                                     where=f"{w}.{unknown[0]}"))
            continue
        ops = [k for k in ("set", "scale") if k in e]
        if len(ops) != 1:
            errors.append(ParamError("needs exactly one of 'set' (K_ij in rad/s) or 'scale' (a factor)", where=w))
            continue
        v = e[ops[0]]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            errors.append(ParamError(f"must be a finite number (got {v!r})", where=f"{w}.{ops[0]}"))
            continue
        for key in ("rows", "cols"):
            if key not in e:
                errors.append(ParamError("required", where=f"{w}.{key}"))
                break
            try:
                select(layout, e[key], f"{w}.{key}")
            except ParamError as exc:
                errors.append(exc)
                break
    return errors


def band_matrix(layout: Layout, band_k: np.ndarray) -> np.ndarray:
    """The dense K_ij of the all-to-all band coupling: K_b/N_b inside band b, 0 elsewhere."""
    k = np.zeros((layout.n, layout.n))
    for b in range(len(layout.band_names)):
        s, c = int(layout.band_start[b]), int(layout.band_count[b])
        k[s:s + c, s:s + c] = band_k[b] / c
    return k


def apply_edits(layout: Layout, base: np.ndarray, edits) -> np.ndarray:
    """``base`` (N×N, not modified) with ``edits`` applied in order."""
    k = np.array(base, dtype=np.float64, copy=True)
    for e in edits:
        rows = select(layout, e["rows"])
        cols = select(layout, e["cols"])
        block = np.ix_(rows, cols)
        if "set" in e:
            k[block] = float(e["set"])
        else:
            k[block] *= float(e["scale"])
    return k


def critical_coupling(spread_hz: float) -> float:
    """K_c = 2γ (rad/s) of a Lorentzian frequency spread of half-width ``spread_hz`` (Hz)."""
    return 2.0 * 2.0 * math.pi * float(spread_hz)
