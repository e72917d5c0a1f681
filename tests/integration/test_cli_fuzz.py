"""Fuzzing the command line (issue 9): random YAML mutations of every shipped graph into `validate`
and `run`, random values for every `say` option, random arguments to the other commands.

Property: the exit code is 0, 1 or 2; a failure prints one clear line per problem on stderr,
never a traceback or an "internal error"; a failed command leaves pre-existing files unchanged.
"""
from __future__ import annotations

import copy
import glob
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from psigraph.runtime.cli import main

ROOT = Path(__file__).resolve().parents[2]
GRAPHS = sorted(glob.glob(str(ROOT / "graphs" / "*.yaml")))
SENTINEL = b"RIFF-earlier-output"
FUZZ = dict(deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))

HOSTILE = st.sampled_from([None, "", " ", "x", "-1", "0", "1e309", "nan", "inf", -1, 0, 1, 3, 2 ** 63, -1e308,
                           1e308, 0.5, True, [], {}, [1, [2]], {"a": {"b": 1}}, "🙂", "世界", "a" * 5000,
                           "node.port", "x -> y", "../../etc/passwd", "\x00", "{{", "&anchor"])


def check_outcome(rc: int, err: str, folder: Path) -> None:
    assert rc in (0, 1, 2), (rc, err)
    assert "Traceback" not in err and "internal error" not in err, err
    if rc != 0:
        lines = [line for line in err.splitlines() if line.strip()]
        assert lines, "a failure must say why"
        assert all(len(line) < 2000 for line in lines), err
        if (folder / "keep.wav").exists():
            assert (folder / "keep.wav").read_bytes() == SENTINEL, "a failed command changed an earlier file"


# ---------------------------------------------------------------- graph files
def _paths(doc, prefix=()):
    """Every (path, value) in a YAML document."""
    yield prefix, doc
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, prefix + (i,))


def _set(doc, path, value):
    for key in path[:-1]:
        doc = doc[key]
    if value is _DELETE:
        del doc[path[-1]]
    else:
        doc[path[-1]] = value


_DELETE = object()


@st.composite
def mutated_graph(draw):
    text = Path(draw(st.sampled_from(GRAPHS))).read_text()
    doc = yaml.safe_load(text)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p, _ in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        value = draw(st.one_of(HOSTILE, st.just(_DELETE)))
        try:
            _set(doc, path, copy.deepcopy(value) if value is not _DELETE else value)
        except (KeyError, IndexError, TypeError):
            pass
    if draw(st.integers(0, 9)) == 0:                       # sometimes break the YAML syntax itself
        return yaml.safe_dump(doc, sort_keys=False)[: draw(st.integers(0, 400))] + "\n  - [unclosed"
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


@settings(max_examples=400, **FUZZ)
@given(text=mutated_graph())
def test_mutated_graphs_validate_and_run_cleanly(text, tmp_path_factory):
    folder = tmp_path_factory.mktemp("g")
    (folder / "keep.wav").write_bytes(SENTINEL)
    f = folder / "g.yaml"
    f.write_text(text, encoding="utf-8")
    rc, err = _main(["validate", str(f)])
    check_outcome(rc, err, folder)
    if rc == 0:
        rc, err = _main(["run", str(f), "--duration", "0.03", "--block", "480", "--out", str(folder / "out")])
        check_outcome(rc, err, folder)


# ---------------------------------------------------------------- say options
SAY_OPTIONS = {
    "--emotion": st.one_of(st.sampled_from(["happy", "sad", "0.5,0.2,0", "1,1,1", "2,0,0", "auto", "furious"]),
                           HOSTILE.map(str)),
    "--persona": st.one_of(st.sampled_from(["default", "low", "bright", "nobody", "/nonexistent.yaml"]),
                           HOSTILE.map(str)),
    "--rate": st.one_of(st.sampled_from(["1", "0.5", "3", "0", "-2", "11", "nan", "inf", "x"]), HOSTILE.map(str)),
    "--size": st.one_of(st.sampled_from(["16", "15", "0", "-5", "20000", "4097", "x"]), HOSTILE.map(str)),
    "--seed": st.one_of(st.sampled_from(["0", "7", "-1", str(2 ** 70), "x"]), HOSTILE.map(str)),
    "--frames": st.sampled_from(["f.jsonl", "f.txt", "keep.wav", "sub/f.jsonl", "", "afile/f.jsonl"]),
    "--video": st.sampled_from(["v.mp4", "v.webm", "v.avi", "keep.wav", "afile/v.mp4", ""]),
    "-o": st.sampled_from(["o.wav", "o.mp3", "keep.wav", ".", "afile/o.wav", "", "sub/o.wav"]),
    "--graph": st.sampled_from([None, str(ROOT / "graphs" / "mixed_rates.yaml"), "/nonexistent.yaml"]),
}
TEXTS = st.one_of(st.sampled_from(["Hi.", "", "🙂", "世界", "-", "Bonjour, ça va?", "12.5%", "Dr. Smith, 3 p.m."]),
                  st.text(max_size=30))


@st.composite
def say_args(draw):
    args = ["say", draw(TEXTS)]
    for opt in draw(st.lists(st.sampled_from(sorted(SAY_OPTIONS)), unique=True, max_size=4)):
        value = draw(SAY_OPTIONS[opt])
        if value is not None:
            args += [opt, value]
    if "-o" not in args:
        args += ["-o", "o.wav"]
    if draw(st.booleans()) and "--video" in args and "--size" not in args:
        args += ["--size", "32"]
    return args


@settings(max_examples=250, **FUZZ)
@given(args=say_args())
def test_say_with_random_option_values(args, tmp_path_factory, monkeypatch):
    import io
    import sys
    folder = tmp_path_factory.mktemp("say")
    (folder / "keep.wav").write_bytes(SENTINEL)
    (folder / "afile").write_text("not a folder")
    monkeypatch.chdir(folder)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"From standard input.")))
    before = {p.name for p in folder.iterdir()}
    rc, err = _main(args + ["-q"])
    check_outcome(rc, err, folder)
    if rc != 0:
        assert {p.name for p in folder.iterdir()} == before, "a failed say created files"


# ---------------------------------------------------------------- other commands
OTHER = st.one_of(
    st.tuples(st.just("validate"), st.sampled_from(GRAPHS + ["/nonexistent.yaml", "-", "."])),
    st.tuples(st.just("nodes"), st.sampled_from(["psi_core", "no_such", "--json", "--all", "sine", ""])),
    st.tuples(st.just("schema"), st.sampled_from(["", "--bogus"])),
    st.tuples(st.just("fmt"), st.sampled_from(["--check", "/nonexistent.yaml"])),
    st.tuples(st.just("run"), st.sampled_from(GRAPHS), st.sampled_from(["--duration", "--block", "-p"]),
              HOSTILE.map(str)),
    st.tuples(st.sampled_from(["bogus", "", "--version", "-h"]), HOSTILE.map(str)),
)


@settings(max_examples=200, **FUZZ)
@given(args=OTHER)
def test_other_commands_with_random_arguments(args, tmp_path_factory, monkeypatch):
    import io
    import sys
    folder = tmp_path_factory.mktemp("cmd")
    monkeypatch.chdir(folder)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"psigraph: 1\nnodes: {}\n")))
    argv = [a for a in args if a != ""]
    if argv[:1] == ["run"] and "--duration" in argv:             # a valid long run is the user's wish, not a hang
        i = argv.index("--duration") + 1
        try:
            if i < len(argv) and 0.05 < float(argv[i]) <= 86400:
                argv[i] = "0.05"
        except ValueError:
            pass
    if argv[:1] == ["run"]:
        argv += ["--out", str(folder / "out")]
        if "--duration" not in argv:
            argv += ["--duration", "0.02"]
    rc, err = _main(argv)
    check_outcome(rc, err, folder)


def _main(argv) -> tuple[int, str]:
    import contextlib
    import io
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        rc = main(argv)
    return rc, err.getvalue()


@pytest.mark.slow
@settings(max_examples=3000, **FUZZ)
@given(text=mutated_graph())
def test_mutated_graphs_long(text, tmp_path_factory):
    test_mutated_graphs_validate_and_run_cleanly.hypothesis.inner_test(text, tmp_path_factory)


def test_fuzzers_have_inputs():
    assert len(GRAPHS) >= 4 and os.path.exists(GRAPHS[0])
