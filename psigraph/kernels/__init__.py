"""Shared numba kernels. ``njit`` is the one decorator every kernel uses.

numba is imported lazily on first use so that ``import psigraph`` stays light.
With ``NUMBA_DISABLE_JIT=1`` kernels run as plain Python (the test suite runs
once that way to compare kernels with their references).
"""
from __future__ import annotations

import functools

FASTMATH = {"contract", "arcp", "reassoc"}   # no 'nnan'/'ninf': NaN checks must keep working


def njit(fn=None, **kw):
    """numba.njit with project defaults (cache on, limited fastmath)."""
    import numba
    opts = {"cache": True, "fastmath": FASTMATH, "nogil": True, **kw}
    if fn is None:
        return functools.partial(njit, **kw)
    return numba.njit(**opts)(fn)
