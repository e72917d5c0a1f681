"""Shared numba kernels. ``njit`` is the one decorator every kernel uses.

numba is imported lazily on first use so that ``import psigraph`` stays light.
With ``NUMBA_DISABLE_JIT=1`` kernels run as plain Python (the test suite runs
once that way to compare kernels with their references).

Kernels do not use BLAS/LAPACK (``np.dot``, ``@``, ``np.linalg``): numba is set up
without SciPy's BLAS, whose import would cost ~0.3 s and ~16 MiB at every start-up
of ``psigraph say``. Set ``PSIGRAPH_NUMBA_BLAS=1`` to give numba its BLAS back.
"""
from __future__ import annotations

import functools
import os
import sys

FASTMATH = {"contract", "arcp", "reassoc"}   # no 'nnan'/'ninf': NaN checks must keep working
_BLAS_MODULE = "scipy.linalg.cython_blas"
_numba = None


def _import_numba():
    """numba, with its array-math registry loaded without SciPy's BLAS (see module docstring)."""
    global _numba
    if _numba is None:
        import numba
        if ("numba.np.arraymath" not in sys.modules and _BLAS_MODULE not in sys.modules
                and not os.environ.get("PSIGRAPH_NUMBA_BLAS")):
            sys.modules[_BLAS_MODULE] = None            # numba then registers no BLAS-backed functions
            try:
                import numba.np.arraymath
            finally:
                del sys.modules[_BLAS_MODULE]
        _numba = numba
    return _numba


def njit(fn=None, **kw):
    """numba.njit with project defaults (cache on, limited fastmath)."""
    if fn is None:
        return functools.partial(njit, **kw)
    opts = {"cache": True, "fastmath": FASTMATH, "nogil": True, **kw}
    return _import_numba().njit(**opts)(fn)
