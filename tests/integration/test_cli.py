"""The psigraph command line: exit codes, one-line errors, no tracebacks."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from psigraph import registry
from psigraph.runtime import cli
from psigraph.runtime.cli import main

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
MISTAKES = str(DATA / "many_mistakes.yaml")

SMALL = """psigraph: 1
graph:
  name: small
  master_rate: 24000
  seed: 0
  rates: {audio: 24000, control: 200}
nodes:
  osc: {type: sine, params: {freq: 10.0, rate: control}}
  amp: {type: gain, params: {gain: 0.5}}
  out: {type: npy_sink, params: {path: y.npy}}
edges:
  - osc.y -> amp.x
  - amp.y -> out.x
"""


@pytest.fixture
def small(tmp_path):
    p = tmp_path / "small.yaml"
    p.write_text(SMALL)
    return p


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Traceback" not in out
    return code, out, err


def test_validate_ok(capsys, small):
    code, out, err = _run(capsys, "validate", small, ROOT / "graphs" / "mixed_rates.yaml")
    assert code == 0 and err == ""
    assert out.splitlines()[0] == f"OK {small} (3 nodes, 2 edges)"
    assert len(out.splitlines()) == 2


def test_validate_many_mistakes(capsys, small):
    code, out, err = _run(capsys, "validate", small, MISTAKES)
    assert code == 1
    lines = err.splitlines()
    assert [ln.split(":")[1] for ln in lines] == ["13", "14", "15", "19", "22", "24"]
    assert all(ln.startswith(MISTAKES + ":") and ": error: " in ln for ln in lines)
    assert "did you mean 'gain'" in lines[1]
    assert out == f"OK {small} (3 nodes, 2 edges)\n"


def test_validate_usage_and_missing(capsys, tmp_path):
    code, _, err = _run(capsys, "validate")
    assert code == 2 and "required" in err
    code, _, err = _run(capsys, "validate", tmp_path / "nope.yaml")
    missing = tmp_path / "nope.yaml"
    assert code == 1 and err.strip() == f"{missing}: error: cannot read the file: No such file or directory"
    code, _, err = _run(capsys, "validate", tmp_path)
    assert code == 1 and "directory" in err
    code, _, err = _run(capsys)
    assert code == 2 and "command is required" in err
    code, _, err = _run(capsys, "frobnicate")
    assert code == 2 and "invalid choice" in err


def test_validate_warnings_only_is_valid(capsys, tmp_path):
    p = tmp_path / "w.yaml"
    p.write_text("psigraph: 1\nnodes: {}\nextra_tool: {a: 1}\n")
    code, out, err = _run(capsys, "validate", p)
    assert code == 0 and "warning: unknown top-level section" in err and out.startswith("OK")


def test_run_writes_outputs_and_profile(capsys, small, tmp_path):
    out_dir = tmp_path / "out"
    code, out, err = _run(capsys, "run", small, "--duration", "0.5", "--block", "7", "--out", out_dir,
                          "-p", "amp.gain=2", "-p", "osc.freq=1e1", "--profile")
    assert code == 0, err
    first = out.splitlines()[0]
    assert first.startswith(f"ran {small}: 0.5 s (12000 master samples) in ") and "3 nodes, block 7" in first
    assert str(out_dir / "y.npy") in first
    y = np.load(out_dir / "y.npy")
    assert y.shape == (100, 1)
    k = np.arange(100)
    assert np.allclose(y[:, 0], 2.0 * np.sin(2 * np.pi * 10.0 * k / 200.0), atol=1e-12)
    table = out.splitlines()[1:]
    assert table[0].split()[:3] == ["node", "type", "calls"] and len(table) == 4
    assert {row.split()[0] for row in table[1:]} == {"osc", "amp", "out"}


def test_run_default_duration_and_block_invariance(capsys, small, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert _run(capsys, "run", small, "--out", a)[0] == 0
    assert _run(capsys, "run", small, "--out", b, "--block", "4800")[0] == 0
    ya, yb = np.load(a / "y.npy"), np.load(b / "y.npy")
    assert ya.shape == (200, 1) and np.array_equal(ya, yb)      # default 1 s at 200 Hz


@pytest.mark.parametrize("argv, code, text", [
    (["-p", "amp=2"], 2, "expected NODE.PARAM=VALUE"),
    (["-p", "amp.gain"], 2, "expected NODE.PARAM=VALUE"),
    (["-p", "amp.gain=[1"], 2, "not valid YAML"),
    (["-p", "ampp.gain=2"], 1, "no node 'ampp' (did you mean 'amp'?)"),
    (["-p", "amp.gian=2"], 1, "has no param 'gian' (did you mean 'gain'?)"),
    (["-p", "osc.freq=-5"], 1, "must be >= 0"),
    (["-p", "osc.freq=fast"], 1, "must be float"),
    (["--duration", "0"], 2, "must be > 0"),
    (["--block", "x"], 2, "expected an integer"),
])
def test_run_user_errors_are_one_line(capsys, small, argv, code, text):
    got, out, err = _run(capsys, "run", small, *argv)
    assert got == code
    assert text in err
    if code == 1:
        assert len(err.strip().splitlines()) == 1


def test_run_graph_errors_and_missing_file(capsys, tmp_path):
    code, _, err = _run(capsys, "run", MISTAKES)
    assert code == 1 and len(err.splitlines()) == 6
    code, _, err = _run(capsys, "run", tmp_path / "nope.yaml")
    assert code == 1 and err.count("\n") == 1 and "cannot read the file" in err


def test_run_output_error_is_one_line(capsys, small, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = _run(capsys, "run", small, "--out", blocker)     # --out is a file, not a directory
    assert code == 1 and err.count("\n") == 1 and err.startswith("error: ")


def test_internal_error_is_one_line(capsys, monkeypatch):
    def boom(args):
        raise ZeroDivisionError("oops")
    monkeypatch.setattr(cli, "run_schema", boom)
    monkeypatch.delenv("PSIGRAPH_DEBUG", raising=False)
    code, _, err = _run(capsys, "schema")
    assert code == 3 and err.startswith("internal error: ZeroDivisionError: oops") and err.count("\n") == 1
    monkeypatch.setenv("PSIGRAPH_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        main(["schema"])


def test_nodes_json_lists_every_type(capsys):
    code, out, err = _run(capsys, "nodes", "--json")
    assert code == 0
    info = json.loads(out)
    by_id = {d["type"]: d for d in info}
    assert set(by_id) == {cls.type_id for cls in registry.all_types() if not cls.HIDDEN}
    for tid in ("sine", "gain", "add", "delay", "hold", "decimate", "resample", "npy_sink", "wav_sink",
                "events_sink"):
        assert tid in by_id
    sine = by_id["sine"]
    assert sine["outputs"] == [{"name": "y", "kind": "signal", "direction": "out", "rate": "param:rate",
                                "channels": 1, "dtype": "float64", "doc": "the sine"}]
    assert [p["name"] for p in sine["params"]] == ["freq", "amp", "phase", "rate"]
    assert {p["name"] for p in by_id["add"]["inputs"]} == {"a", "b"}
    assert by_id["delay"]["params"][0]["ge"] == 1
    assert by_id["gain"]["aliases"] == ["amp"]


def test_nodes_text_and_filter(capsys):
    code, out, _ = _run(capsys, "nodes")
    assert code == 0
    for cls in [c for c in registry.all_types() if not c.HIDDEN]:
        assert any(line.startswith(cls.type_id + "  ") or line.startswith(cls.type_id + "@")
                   for line in out.splitlines())
    code, out, _ = _run(capsys, "nodes", "delay")
    assert code == 0 and out.splitlines()[0].startswith("delay  [")
    assert any(ln.split()[:3] == ["param", "ticks", "int"] and "(>= 1)" in ln for ln in out.splitlines())
    code, _, err = _run(capsys, "nodes", "dleay")
    assert code == 1 and "did you mean 'delay'" in err


def test_schema_command(capsys):
    code, out, _ = _run(capsys, "schema")
    assert code == 0
    s = json.loads(out)
    assert s["properties"]["psigraph"]["const"] == 1 and "node.sine" in s["$defs"]


def test_fmt(capsys, tmp_path):
    p = tmp_path / "m.yaml"
    p.write_text("psigraph: 1\nnodes:\n  a: {params: {freq: 1e2}, type: sine}\n")
    code, out, _ = _run(capsys, "fmt", "--check", p)
    assert code == 1 and out == f"would reformat {p}\n"
    assert _run(capsys, "fmt", p)[0] == 0
    assert "  a: {type: sine, params: {freq: 100.0}}\n" in p.read_text()
    code, out, _ = _run(capsys, "fmt", "--check", p, DATA / "canonical.yaml")
    assert code == 0 and out == ""
    code, _, err = _run(capsys, "fmt", MISTAKES)
    assert code == 1 and "not rewritten" in err


def test_console_script_subprocess(tmp_path):
    exe = shutil.which("psigraph")
    cmd = [exe] if exe else [sys.executable, "-c", "import sys; from psigraph.runtime.cli import main; "
                             "sys.exit(main())"]
    r = subprocess.run(cmd + ["validate", MISTAKES], capture_output=True, text=True, cwd=tmp_path, timeout=120,
                       env={**os.environ, "PSIGRAPH_DEBUG": ""})
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert [ln.split(":")[1] for ln in r.stderr.splitlines()] == ["13", "14", "15", "19", "22", "24"]


def test_commands_come_from_the_entry_point_group(tmp_path):
    """A package that declares a command in `psigraph.commands` adds a subcommand; a broken one
    shows up as a command that explains its import error instead of breaking the CLI."""
    import subprocess
    import sys
    (tmp_path / "hello_cmd.py").write_text(
        "def register(sub):\n"
        "    p = sub.add_parser('hello', help='say hello')\n"
        "    p.add_argument('name')\n"
        "    p.set_defaults(run=lambda a: print('hello ' + a.name) or 0)\n")
    info = tmp_path / "hello_cmd-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hello-cmd\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[psigraph.commands]\nhello = hello_cmd\nbroken = no_such_module_xyz\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    run = lambda *a: subprocess.run([sys.executable, "-m", "psigraph.runtime.cli", *a], env=env,  # noqa: E731
                                    capture_output=True, text=True, timeout=120)
    got = run("hello", "Tori")
    assert got.returncode == 0 and got.stdout.strip() == "hello Tori", got.stderr
    got = run("broken")
    assert got.returncode == 1 and "no_such_module_xyz" in got.stderr and len(got.stderr.strip().splitlines()) == 1
    assert "say" in run("--help").stdout


@pytest.mark.parametrize("columns", ["100", "72"])
def test_nodes_listing_fits_the_terminal(columns, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", columns)
    assert main(["nodes"]) == 0
    out = capsys.readouterr().out
    assert max(len(line.encode()) for line in out.splitlines()) <= int(columns)     # awk counts bytes
    assert "vector_source" not in out and "event_collector" not in out and "psi_core" in out
    assert main(["nodes", "--all"]) == 0 and "vector_source" in capsys.readouterr().out
    assert main(["nodes", "psi_core"]) == 0
    full = capsys.readouterr().out
    assert max(len(line.encode()) for line in full.splitlines()) <= int(columns)
    assert "'period_ms': 2000.0" in full.replace("\n", " ").replace("  ", " ") or "2000.0" in full


def test_node_docs_cite_nothing_that_is_not_shipped(capsys):
    assert main(["nodes", "--all"]) == 0
    out = capsys.readouterr().out
    assert "DESIGN" not in out and "§" not in out
