"""Ahead-of-time kernels (psigraph.kernels.aot): keys that follow what the code depends on, the JIT
fallback, and (slow) a real build that `say` then uses without importing numba, bit-identically."""
import os
import subprocess
import sys
import types

import numpy as np
import pytest

from psigraph.kernels import aot

JIT_ON = os.environ.get("NUMBA_DISABLE_JIT", "0") in ("", "0")


def test_signature_parsing():
    assert aot.parse_signature("f8[:, ::1] i8 u8[::1] b1 f8[:]") == [
        (np.dtype("f8"), 2, True), (None, 0, False), (np.dtype("u8"), 1, True), (None, 0, False),
        (np.dtype("f8"), 1, False)]
    assert aot.numba_signature("f8[:, ::1] i8") == "void(f8[:,::1], i8)"
    with pytest.raises(ValueError, match="unknown type"):
        aot.parse_signature("f4[::1]")


def _module(tmp_path, name, source, **globs):
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    mod = types.ModuleType(name)
    mod.__file__ = str(path)
    vars(mod).update(globs)
    return mod


def test_the_key_follows_source_constants_and_called_modules(tmp_path):
    helper = _module(tmp_path, "helper_mod", "def h(): pass\n")
    sys.modules["helper_mod"] = helper
    try:
        fake_kernel = types.SimpleNamespace(py_func=types.SimpleNamespace(__module__="helper_mod"))
        base = dict(K=1.5, TABLE=np.arange(4.0), NAMES=("a", "b"), h=fake_kernel)
        key = aot.module_key(_module(tmp_path, "m", "x = 1\n", **base))
        assert key == aot.module_key(_module(tmp_path, "m", "x = 1\n", **base))
        assert key != aot.module_key(_module(tmp_path, "m", "x = 2\n", **base))             # source
        assert key != aot.module_key(_module(tmp_path, "m", "x = 1\n", **{**base, "K": 1.6}))  # an imported constant
        assert key != aot.module_key(_module(tmp_path, "m", "x = 1\n", **{**base, "TABLE": np.arange(5.0)}))
        helper_path = tmp_path / "helper_mod.py"
        helper_path.write_text("def h(): return 1\n")
        assert key != aot.module_key(_module(tmp_path, "m", "x = 1\n", **base))             # a called module
    finally:
        del sys.modules["helper_mod"]


@pytest.mark.skipif(not JIT_ON or not aot.enabled(), reason="kernels are numba dispatchers in this run")
def test_without_a_build_a_kernel_runs_through_the_jit(tmp_path, monkeypatch):
    from psigraph.kernels import njit
    monkeypatch.setenv("PSIGRAPH_CACHE_DIR", str(tmp_path))
    src = _module(tmp_path, "aot_probe_mod", "")
    sys.modules["aot_probe_mod"] = src
    try:
        def twice(x, out):
            for i in range(x.shape[0]):
                out[i] = 2.0 * x[i]
        twice.__module__ = "aot_probe_mod"
        k = njit(twice, aot="f8[::1] f8[::1]", cache=False)
        assert isinstance(k, aot.Kernel)
        out = np.empty(3)
        k(np.arange(3.0), out)
        assert out.tolist() == [0.0, 2.0, 4.0] and not k.compiled_ahead
        assert aot.trusted(k) is k.dispatcher()          # no build: the unchecked call is numba's
    finally:
        del sys.modules["aot_probe_mod"]
        aot._LIBS.pop("aot_probe_mod", None)


def _run(code, env):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout


@pytest.mark.slow
@pytest.mark.skipif(not JIT_ON, reason="builds need the JIT")
def test_a_build_serves_say_without_numba_and_bit_identically(tmp_path):
    env = {**os.environ, "PSIGRAPH_CACHE_DIR": str(tmp_path / "cache")}
    subprocess.run([sys.executable, "-m", "psigraph.kernels.aot", "build"], env=env, check=True,
                   capture_output=True)
    code = ("import sys; from psigraph.runtime.say import SayOptions, say;"
            "say(SayOptions(text='Clue, crow and train. Is it sunny?', output=sys.argv[1]));"
            "from psigraph.kernels import tract; print('numba' in sys.modules, tract._rows.compiled_ahead)")
    a, b = tmp_path / "aot.wav", tmp_path / "jit.wav"
    out = subprocess.run([sys.executable, "-c", code, str(a)], capture_output=True, text=True, env=env,
                         check=True).stdout.split()
    assert out[-2:] == ["False", "True"]        # no numba in the process; the tract ran ahead of time
    subprocess.run([sys.executable, "-c", code.replace(", tract._rows.compiled_ahead", ""), str(b)],
                   env={**env, "PSIGRAPH_AOT": "0"}, check=True, capture_output=True)
    assert a.read_bytes() == b.read_bytes() and a.stat().st_size > 10000


@pytest.mark.skipif(not JIT_ON or not aot.enabled(), reason="kernels are numba dispatchers in this run")
def test_a_missing_build_starts_once_in_the_background(tmp_path, monkeypatch):
    import subprocess as sp
    from psigraph.kernels import njit
    started = []
    monkeypatch.setattr(sp, "Popen", lambda cmd, **kw: started.append(cmd))
    monkeypatch.setenv("PSIGRAPH_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(aot, "AUTO_BUILD", True)
    monkeypatch.setattr(aot, "_build_started", False)
    sys.modules["aot_probe_bg"] = _module(tmp_path, "aot_probe_bg", "")
    try:
        def inc(x):
            x[0] += 1.0
        inc.__module__ = "aot_probe_bg"
        k = njit(inc, aot="f8[::1]", cache=False)
        x = np.zeros(1)
        k(x)
        k(x)
        assert x[0] == 2.0
        assert len(started) == 1 and started[0][1:5] == ["-m", "psigraph.kernels.aot", "build", "--locked"]
        assert "aot_probe_bg" in started[0][5:]
        assert (tmp_path / "aot" / "build.lock").exists()
    finally:
        del sys.modules["aot_probe_bg"]
        aot._LIBS.pop("aot_probe_bg", None)
        aot._KERNELS[:] = [k for k in aot._KERNELS if k.py_func.__module__ != "aot_probe_bg"]


@pytest.mark.slow
@pytest.mark.skipif(not JIT_ON, reason="builds need the JIT")
def test_a_failed_build_is_one_line_and_not_retried_in_the_background(tmp_path):
    env = {**os.environ, "PSIGRAPH_CACHE_DIR": str(tmp_path), "CC": "/bin/false"}   # no C compiler
    r = subprocess.run([sys.executable, "-m", "psigraph.kernels.aot", "build", "psigraph.kernels.tract"],
                       env=env, capture_output=True, text=True)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1
    assert "numba's JIT" in r.stderr
    marks = list((tmp_path / "aot").glob("*.failed"))
    assert len(marks) == 1
    code = ("import sys; from psigraph.kernels import aot, tract; import numpy as np;"
            "t = tract.Tract(); t.step(np.empty((2, len(tract.CHANNELS))));"
            "print(aot._missing_modules())")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert "psigraph.kernels.tract" not in out.stdout
