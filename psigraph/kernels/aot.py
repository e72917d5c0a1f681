"""Ahead-of-time compiled kernels: a process that finds them never imports numba.

A kernel declared with an argument signature, ``@njit(aot="f8[:, ::1] i8 f8[::1] ...")`` (numba
type names, one per argument, C-contiguous arrays as ``[::1]``; it returns nothing), is an *entry*:
the build (``python -m psigraph.kernels.aot build``) compiles every entry of a kernel module with
``numba.pycc`` into one extension module under the user cache directory
(``$PSIGRAPH_CACHE_DIR``, else ``$XDG_CACHE_HOME/psigraph`` or ``~/.cache/psigraph``; ``aot/``),
with the kernel's own numba options (fastmath, error model) and the host CPU's features, so it
computes what the JIT computes. The file name carries a hash of the module's source, of its
numeric/array/str globals (constants imported from elsewhere included), of the modules its kernels
call into, and of the Python, numpy, numba and CPU it was built for: a stale build is never loaded.

At the first call of an entry, :class:`Kernel` loads that module's build; without one (or for
arguments of other types than declared, or for a kernel without ``aot``), numba's JIT serves
every kernel as before (``cache=True``). ``PSIGRAPH_AOT=0`` turns the builds off; with
``NUMBA_DISABLE_JIT=1`` kernels stay plain Python. When the ``psigraph`` command finds a build
missing it starts one in the background (once; its log is ``aot/build.log``).
"""
from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import os
import platform
import sys
import time

import numpy as np

BUILDING_ENV = "PSIGRAPH_AOT_BUILDING"       # set in the build process: kernels are plain numba there
LOCK_STALE_S = 1800.0
_DTYPES = {"f8": np.dtype(np.float64), "i8": np.dtype(np.int64), "u8": np.dtype(np.uint64)}

try:                    # the interpreter's own SHA-256: hashlib would load OpenSSL (5-20 ms of every start-up)
    from _sha256 import sha256 as _sha256          # Python 3.11
except ImportError:     # pragma: no cover - other Pythons
    try:
        from _sha2 import sha256 as _sha256        # Python 3.12+
    except ImportError:
        from hashlib import sha256 as _sha256

#: every lazily compiled kernel of this process, in definition order
_KERNELS: list = []
#: module name -> loaded extension module, or None when there is no valid build
_LIBS: dict = {}
#: set by the ``psigraph`` command: start a background build when one is missing
AUTO_BUILD = False
_build_started = False


def enabled() -> bool:
    """False when kernels must be numba dispatchers from the start (plain-Python runs, builds, opt-out)."""
    env = os.environ
    return (env.get("NUMBA_DISABLE_JIT", "0") in ("", "0") and not env.get(BUILDING_ENV)
            and env.get("PSIGRAPH_AOT", "1") != "0")


def cache_dir() -> str:
    """Directory of the ahead-of-time builds."""
    base = os.environ.get("PSIGRAPH_CACHE_DIR")
    if not base:
        base = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
                            "psigraph")
    return os.path.join(base, "aot")


def parse_signature(sig: str) -> list:
    """``"f8[:, ::1] i8 b1"`` → per argument ``(dtype or None for a scalar, ndim, contiguous)``."""
    out = []
    for tok in sig.replace(", ", ",").split():
        base, _, dims = tok.partition("[")
        if base not in _DTYPES and base != "b1":
            raise ValueError(f"aot signature: unknown type {base!r} in {sig!r} (use f8, i8, u8, b1)")
        if not dims:
            out.append((None, 0, False))
            continue
        parts = dims.rstrip("]").split(",")
        out.append((_DTYPES[base], len(parts), parts[-1].strip() == "::1"))
    return out


def numba_signature(sig: str) -> str:
    return "void(" + ", ".join(sig.replace(", ", ",").split()) + ")"


# ------------------------------------------------------------------ the key of a build
def _file_digest(path: str) -> str:
    st = os.stat(path)
    return _digest(path, st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=None)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    with open(path, "rb") as f:
        return _sha256(f.read()).hexdigest()


@functools.lru_cache(maxsize=1)
def _platform_tag() -> str:
    """Python, numpy, numba and CPU (model and feature flags) that a build is valid for."""
    bits = [sys.version, np.__version__, platform.machine()]
    spec = importlib.util.find_spec("numba")                  # located, not imported
    if spec is not None and spec.origin:
        ver = os.path.join(os.path.dirname(spec.origin), "_version.py")
        bits.append(_file_digest(ver) if os.path.exists(ver) else spec.origin)
    try:
        with open("/proc/cpuinfo") as f:
            bits += sorted({line.strip() for line in f if line.startswith(("model name", "flags"))})
    except OSError:
        bits.append(platform.processor())
    return _sha256("\n".join(bits).encode()).hexdigest()


def _value_repr(v):
    """A stable text of a module global that can change compiled code, or None to skip it."""
    if isinstance(v, (bool, int, float, complex, str, bytes)) or v is None:
        return repr(v)
    if isinstance(v, np.ndarray):
        return f"{v.dtype}{v.shape}" + _sha256(np.ascontiguousarray(v).tobytes()).hexdigest()
    if isinstance(v, np.generic):
        return repr(v) + str(v.dtype)
    if isinstance(v, (tuple, list)):
        parts = [_value_repr(x) for x in v]
        return None if None in parts else type(v).__name__ + "(" + ",".join(parts) + ")"
    if isinstance(v, (set, frozenset)):
        parts = [_value_repr(x) for x in v]
        return None if None in parts else "set(" + ",".join(sorted(parts)) + ")"
    return None


def module_key(mod) -> str:
    """Hash of everything a module's compiled kernels depend on (see the module docstring)."""
    h = _sha256()
    h.update(_platform_tag().encode())
    h.update(_file_digest(mod.__file__).encode())
    deps = set()
    for name in sorted(vars(mod)):
        if name.startswith("__"):
            continue
        v = vars(mod)[name]
        py = getattr(v, "py_func", None)
        if py is not None:
            dep = sys.modules.get(py.__module__)
            if dep is not None and dep is not mod and getattr(dep, "__file__", None):
                deps.add(dep.__file__)
            continue
        text = _value_repr(v)
        if text is not None:
            h.update(f"{name}={text}\n".encode())
    for path in sorted(deps):
        h.update(_file_digest(path).encode())
    return h.hexdigest()[:20]


def lib_name(modname: str) -> str:
    return "_psigraph_aot_" + modname.replace(".", "_")


def lib_path(mod) -> str:
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    return os.path.join(cache_dir(), f"{lib_name(mod.__name__)}-{module_key(mod)}{suffix}")


def _load(modname: str):
    """The extension module built for ``modname`` now, or None."""
    if modname in _LIBS:
        return _LIBS[modname]
    lib = None
    mod = sys.modules.get(modname)
    if mod is not None:
        path = lib_path(mod)
        if os.path.exists(path):
            try:
                loader = importlib.machinery.ExtensionFileLoader(lib_name(modname), path)
                spec = importlib.util.spec_from_file_location(lib_name(modname), path, loader=loader)
                lib = importlib.util.module_from_spec(spec)
                loader.exec_module(lib)
            except (ImportError, OSError):
                lib = None
        elif AUTO_BUILD:
            _start_background_build()
    _LIBS[modname] = lib
    return lib


# ------------------------------------------------------------------ the kernel objects
class Kernel:
    """A kernel compiled on demand: its ahead-of-time build when there is one, else numba's JIT.

    Calls with arrays of other dtypes, dimensions or layouts than the ``aot`` signature declares go
    to the JIT (numba's own dispatch then types them)."""

    def __init__(self, fn, options: dict, aot: str | None):
        functools.update_wrapper(self, fn)
        self.py_func = fn
        self.options = options
        self.aot = aot
        self._checks = [(i, dt, nd, c) for i, (dt, nd, c) in enumerate(parse_signature(aot)) if dt is not None] \
            if aot else []
        self._dispatcher = None
        self._ahead = None              # the ahead-of-time function, once found
        self._call = self._first_call
        _KERNELS.append(self)

    def __call__(self, *args):
        return self._call(*args)

    def __repr__(self):
        return f"<kernel {self.py_func.__module__}.{self.py_func.__name__}>"

    @property
    def compiled_ahead(self) -> bool:
        """True once calls go to the ahead-of-time build."""
        return self._ahead is not None

    def dispatcher(self):
        """numba's JIT dispatcher of this kernel (imports numba)."""
        if self._dispatcher is None:
            from . import _import_numba
            self._dispatcher = _import_numba().njit(**self.options)(self.py_func)
        return self._dispatcher

    @property
    def _numba_type_(self):
        """What numba sees when a kernel calls this one: its dispatcher (so kernels call kernels)."""
        return self.dispatcher()._numba_type_

    def _resolve(self) -> None:
        lib = _load(self.py_func.__module__) if self.aot else None
        self._ahead = getattr(lib, self.py_func.__name__, None) if lib is not None else None
        self._call = self._guarded(self._ahead) if self._ahead is not None else self.dispatcher()

    def _first_call(self, *args):
        self._resolve()
        return self._call(*args)

    def trusted(self):
        """This kernel without the per-call argument checks, for callers whose arguments always have
        exactly the declared types (arrays of that dtype, dimensions and C layout), e.g. state arrays
        the caller made itself: a wrong array there is undefined behaviour, not an error."""
        if self._call is self._first_call:
            self._resolve()
        return self._ahead if self._ahead is not None else self._call

    def _guarded(self, fn):
        checks, jit = self._checks, self._jit_call

        def call(*args):
            for i, dt, nd, contiguous in checks:
                a = args[i]
                if (type(a) is not np.ndarray or a.dtype != dt or a.ndim != nd
                        or (contiguous and not a.flags.c_contiguous)):
                    return jit(*args)
            return fn(*args)
        return call

    def _jit_call(self, *args):
        return self.dispatcher()(*args)


def trusted(kernel):
    """:meth:`Kernel.trusted` of a kernel, or the kernel itself when it is a plain numba dispatcher or
    function (builds, NUMBA_DISABLE_JIT)."""
    return kernel.trusted() if isinstance(kernel, Kernel) else kernel


# ------------------------------------------------------------------ building
def _missing_modules() -> list:
    mods = {sys.modules.get(k.py_func.__module__) for k in _KERNELS if k.aot}
    paths = {m.__name__: lib_path(m) for m in mods if m is not None}
    return sorted(n for n, p in paths.items() if not os.path.exists(p) and not os.path.exists(p + ".failed"))


def _start_background_build() -> None:
    """Start ``python -m psigraph.kernels.aot build`` for the modules without a build, detached."""
    global _build_started
    if _build_started:
        return
    _build_started = True
    import subprocess
    locked = False
    try:                                        # an unwritable cache only means: no build, the JIT serves
        mods = _missing_modules()
        if not mods or not _take_lock():
            return
        locked = True
        with open(os.path.join(cache_dir(), "build.log"), "ab") as log:
            subprocess.Popen([sys.executable, "-m", "psigraph.kernels.aot", "build", "--locked", *mods],
                             stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    except OSError:
        if locked:
            _release_lock()
        return
    if sys.stderr.isatty():
        print(f"psigraph: compiling kernels ahead of time in the background (once, about a minute) into "
              f"{cache_dir()}; until then they load through numba", file=sys.stderr)


def _lock_path() -> str:
    return os.path.join(cache_dir(), "build.lock")


def _take_lock() -> bool:
    os.makedirs(cache_dir(), exist_ok=True)
    path = _lock_path()
    try:
        if time.time() - os.path.getmtime(path) > LOCK_STALE_S:
            os.unlink(path)
    except OSError:
        pass
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    return True


def _release_lock() -> None:
    try:
        os.unlink(_lock_path())
    except OSError:
        pass


def build(modnames: list, verbose: bool = True, missing_only: bool = False) -> list:
    """Compile the entries of each kernel module into its extension module; returns the paths written.

    Run in a process of its own (the ``build`` command): kernels must be plain numba dispatchers
    there, so :data:`BUILDING_ENV` is set before any kernel module is imported."""
    import importlib
    import shutil
    import tempfile
    os.environ[BUILDING_ENV] = "1"
    if any(isinstance(k, Kernel) for k in _KERNELS):
        raise RuntimeError("build() must run in a fresh process (kernels were already defined lazily)")
    from . import _BUILD_OPTIONS, _import_numba
    _import_numba()
    try:
        from numba.core import codegen
        from numba.core.cpu import FastMathOptions
        from numba.pycc import CC
        import numba.pycc.compiler as pycc_compiler
    except ImportError as exc:          # a numba without pycc: mark every module, the JIT serves
        os.makedirs(cache_dir(), exist_ok=True)
        for modname in modnames:
            with open(lib_path(importlib.import_module(modname)) + ".failed", "w") as f:
                f.write(f"ImportError: {exc}\n")
        raise RuntimeError(f"this numba has no ahead-of-time compiler ({exc}); psigraph keeps using its JIT") from exc

    # the host's CPU and features, as numba's JIT uses them (AOT defaults to a generic CPU)
    codegen.AOTCPUCodegen._customize_tm_features = lambda self: self._get_host_cpu_features()
    plain = pycc_compiler.compile_extra

    def compile_extra(typing_ctx, target_ctx, func, args, return_type, flags, locals, **kw):
        opts = _BUILD_OPTIONS.get(func, {})
        flags.fastmath = FastMathOptions(opts.get("fastmath", False))
        flags.error_model = opts.get("error_model", "python")
        flags.release_gil = bool(opts.get("nogil", False))
        return plain(typing_ctx, target_ctx, func, args, return_type, flags, locals, **kw)

    pycc_compiler.compile_extra = compile_extra
    written, failed = [], []
    os.makedirs(cache_dir(), exist_ok=True)
    for modname in modnames:
        t0 = time.perf_counter()
        mod = importlib.import_module(modname)
        entries = [(name, v) for name, v in sorted(vars(mod).items())
                   if getattr(v, "_psigraph_aot", None) and getattr(v, "py_func", None) is not None
                   and v.py_func.__module__ == modname]
        if not entries:
            continue
        final = lib_path(mod)
        if missing_only and os.path.exists(final):
            continue
        tmp = tempfile.mkdtemp(prefix="build-", dir=cache_dir())
        try:
            cc = CC(lib_name(modname), source_module=mod)
            cc.output_dir = tmp
            cc.target_cpu = "host"
            for name, disp in entries:
                cc.export(name, numba_signature(disp._psigraph_aot))(disp.py_func)
            cc.compile()
            os.replace(os.path.join(tmp, cc.output_file), final)
        except Exception as exc:        # e.g. no C compiler for numba.pycc: the JIT keeps serving
            with open(final + ".failed", "w") as f:     # a background build does not retry this key
                f.write(f"{type(exc).__name__}: {exc}\n")
            failed.append(f"{modname}: {type(exc).__name__}: {' '.join(str(exc).split())}")
            continue
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if os.path.exists(final + ".failed"):
            os.unlink(final + ".failed")
        written.append(final)
        _remove_stale(modname, keep=final)
        if verbose:
            print(f"psigraph: compiled {len(entries)} kernel(s) of {modname} in {time.perf_counter() - t0:.1f} s "
                  f"-> {final}", file=sys.stderr, flush=True)
    if failed:
        raise RuntimeError("compiling kernels ahead of time failed (" + "; ".join(failed)
                           + "); psigraph keeps using numba's JIT for them")
    return written


def _remove_stale(modname: str, keep: str) -> None:
    """Delete the older builds of a module (other keys); a process that loaded one keeps its mapping."""
    prefix = lib_name(modname) + "-"     # builds and failure marks of other keys
    for f in os.listdir(cache_dir()):
        path = os.path.join(cache_dir(), f)
        if f.startswith(prefix) and path != keep:
            try:
                os.unlink(path)
            except OSError:
                pass


#: the kernel modules the ``build`` command compiles when none are named
DEFAULT_MODULES = ("psigraph.kernels.tract", "psigraph.nodes.speech.kernels", "psigraph.nodes.psi.kernels")


def main(argv=None) -> int:
    import argparse
    ap = argparse.ArgumentParser(prog="python -m psigraph.kernels.aot",
                                 description="Compile psigraph's kernels ahead of time (numba.pycc) into "
                                             + cache_dir())
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="compile the kernel modules (default: those `say` uses)")
    b.add_argument("modules", nargs="*", help=f"kernel modules (default: {' '.join(DEFAULT_MODULES)})")
    b.add_argument("--missing", action="store_true", help="only modules without a current build")
    b.add_argument("--locked", action="store_true", help=argparse.SUPPRESS)   # started by _start_background_build
    a = ap.parse_args(argv)
    from psigraph.kernels import aot as this      # not __main__: the kernels' njit sees that module
    try:
        this.build(list(a.modules or DEFAULT_MODULES), missing_only=a.missing)
    except RuntimeError as exc:
        print(f"psigraph: error: {exc}", file=sys.stderr)
        return 1
    finally:
        if a.locked:
            this._release_lock()
    return 0


if __name__ == "__main__":
    sys.exit(main())
