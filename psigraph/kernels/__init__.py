"""Shared numba kernels. ``njit`` is the one decorator every kernel uses.

numba is imported only when a kernel first needs it, so that ``import psigraph`` stays light, and a
process whose kernels are compiled ahead of time (``njit(aot=signature)``, see :mod:`.aot`) never
imports it. With ``NUMBA_DISABLE_JIT=1`` kernels run as plain Python (the test suite runs once that
way to compare kernels with their references).

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
#: py_func -> njit options, for the ahead-of-time build (which compiles the plain functions)
_BUILD_OPTIONS: dict = {}


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


def njit(fn=None, *, aot: str | None = None, **kw):
    """numba.njit with project defaults (cache on, limited fastmath, nogil).

    ``aot``: the argument types (e.g. ``"f8[:, ::1] i8 f8"``) of a kernel called from Python, which
    then runs from its ahead-of-time build when there is one (:mod:`.aot`). Kernels are compiled on
    their first call (the build, or numba's JIT and cache)."""
    if fn is None:
        return functools.partial(njit, aot=aot, **kw)
    opts = {"cache": True, "fastmath": FASTMATH, "nogil": True, **kw}
    from . import aot as _aot
    if aot is not None:
        _aot.parse_signature(aot)                   # a typo fails at import, not at the build
    if _aot.enabled():
        return _aot.Kernel(fn, opts, aot)
    disp = _import_numba().njit(**opts)(fn)
    if aot is not None and os.environ.get(_aot.BUILDING_ENV):
        disp._psigraph_aot = aot
        _BUILD_OPTIONS[fn] = opts
    return disp
