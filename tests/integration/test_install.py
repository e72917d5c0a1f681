"""The README's two commands on the distro's own Python (PEP 668, externally managed).

A fresh ``git clone`` of the committed HEAD in a temporary folder; ``python3``
on PATH is a link to ``/usr/bin/python3``. ``PSIGRAPH_BIN_DIR`` points the
install's ``psigraph`` link at a temporary folder, so the machine's
``/usr/local/bin`` is left alone. The stock-python tests are slow (a fresh venv, kernels compiled once):
``bash scripts/test.sh -m slow tests/integration/test_install.py``; CI
(``.ci/run``) runs the first test.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest

needs_stock = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/usr/bin/python3").exists(), reason="no /usr/bin/python3 (distro Python)"),
    pytest.mark.skipif(shutil.which("git") is None, reason="needs git"),
]


def _stock_test(fn):
    for mark in needs_stock:
        fn = mark(fn)
    return fn

REPO = Path(__file__).resolve().parents[2]
STOCK = Path("/usr/bin/python3")


def readme_commands() -> list[str]:
    """The commands in the README's "Two commands" code block (comments dropped)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Two commands", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [ln.strip() for ln in block.splitlines() if ln.strip() and not ln.strip().startswith("#")]


def test_readme_has_exactly_two_commands():
    cmds = readme_commands()
    assert len(cmds) == 2, cmds
    assert cmds[0].startswith("bash scripts/install.sh && ")
    assert cmds[1].startswith("bash scripts/install.sh --dev && ")


@pytest.fixture(scope="module")
def stock(tmp_path_factory):
    """(clone dir, env) with the stock python3 first on PATH."""
    root = tmp_path_factory.mktemp("stock")
    pybin, bindir = root / "pybin", root / "bin"
    pybin.mkdir()
    bindir.mkdir()
    (pybin / "python3").symlink_to(STOCK)
    clone = root / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, timeout=120)
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHON") and not k.startswith("NUMBA_")}
    env["PATH"] = f"{pybin}:{bindir}:{env.get('PATH', '/usr/bin:/bin')}"
    env["PSIGRAPH_BIN_DIR"] = str(bindir)
    return clone, env


def _run(cmd: str, cwd: Path, env: dict, timeout: float = 900) -> subprocess.CompletedProcess:
    t0 = time.monotonic()
    r = subprocess.run(["bash", "-c", cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    print(f"{cmd!r}: exit {r.returncode} in {time.monotonic() - t0:.1f} s", file=sys.stderr)
    assert r.returncode == 0, f"{cmd!r} exited {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    return r


def _check_wav(path: Path, min_seconds: float = 0.3) -> None:
    with wave.open(str(path), "rb") as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
        assert w.getnframes() / w.getframerate() >= min_seconds
        frames = w.readframes(w.getnframes())
    assert any(frames), "silent WAV"


@_stock_test
def test_readme_first_command_on_stock_python(stock):
    clone, env = stock
    cmd = readme_commands()[0]
    r = _run(cmd, clone, env)
    # the venv runs the distro's interpreter, and psigraph comes from the clone
    cfg = (clone / ".venv" / "pyvenv.cfg").read_text()
    assert f"executable = {STOCK.resolve()}" in cfg, cfg
    assert "Traceback" not in r.stderr and "error:" not in r.stderr, r.stderr
    assert "compiling kernels (one-time)" in r.stderr
    # the runtime install includes [audio] (psigraph live) and [export]
    _run(".venv/bin/python -c 'import importlib.util as u, sys; "
         "sys.exit(not all(u.find_spec(m) for m in (\"sounddevice\", \"av\", \"vispy\")))'", clone, env)
    out = re.search(r"-o (\S+)", cmd).group(1)
    _check_wav(clone / out)
    for flag in ("--frames", "--video"):
        m = re.search(flag + r" (\S+)", cmd)
        if m:
            assert (clone / m.group(1)).stat().st_size > 0
            if flag == "--frames":
                first = (clone / m.group(1)).open().readline()
                assert isinstance(json.loads(first), dict)
    # `psigraph` is reachable by name through the link the install made
    link = Path(env["PSIGRAPH_BIN_DIR"]) / "psigraph"
    assert link.resolve() == (clone / ".venv" / "bin" / "psigraph").resolve()
    work = clone.parent / "elsewhere"
    work.mkdir(exist_ok=True)
    _run('psigraph say "Hello." -o x.wav', work, env, timeout=300)
    _check_wav(work / "x.wav")


@_stock_test
def test_readme_second_command_install_step_on_stock_python(stock):
    clone, env = stock
    install = readme_commands()[1].split("&&")[0].strip()
    assert install == "bash scripts/install.sh --dev"
    _run(install, clone, env)
    _run(".venv/bin/python -c 'import pytest, pytestqt, PySide6, av'", clone, env)
    # scripts/test.sh runs pytest with the venv (both passes) and every test module imports
    r = _run("bash scripts/test.sh --collect-only -q -p no:cacheprovider", clone, env)
    assert "NUMBA_DISABLE_JIT=1" in r.stdout and " collected" in r.stdout, r.stdout
