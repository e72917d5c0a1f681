"""Graph files: the load pipeline (issues with line numbers) and the canonical writer."""
import glob
import math
import os
from pathlib import Path

import pytest

import psigraph
from psigraph.errors import GraphFileError
from psigraph.fileformat import dumps, load, load_report, loads, save

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


def _issues(text, name="t.yaml"):
    graph, issues = load_report(text, filename=name)
    return graph, issues


def _by_path(issues):
    return {i.path: i for i in issues}


# ------------------------------------------------------------------ the multi-mistake file
def test_every_mistake_reported_with_its_line():
    graph, issues = load_report(DATA / "many_mistakes.yaml")
    assert graph is None                         # a syntax error dropped content: no graph
    lines = {(i.line, i.path): i.message for i in issues}
    assert all(i.severity == "error" for i in issues)
    # param out of range: the line of key `ticks`
    assert "must be >= 1 (got 0)" in lines[(13, "nodes.wait.params.ticks")]
    # unknown type with a suggestion, kept as a placeholder
    assert "unknown node type 'gian'" in lines[(14, "nodes.ghost.type")]
    assert "did you mean 'gain'" in lines[(14, "nodes.ghost.type")]
    # YAML syntax error on line 15 (recovered: everything after it is still checked)
    assert lines[(15, "")].startswith("YAML syntax:")
    # zero-delay cycle printed with its members
    assert "zero-delay cycle fb -> mix -> fb" in lines[(19, "edges.1")]
    # rate mismatch names both ends and the converter
    msg = lines[(22, "edges.4")]
    assert "rate mismatch" in msg and "hum.y" in msg and "both.b" in msg and "decimate" in msg
    # unknown port
    assert "has no output port 'out'" in lines[(24, "edges.6")]
    assert len(issues) == 6                      # and nothing else (no cascades)
    formatted = [i.format() for i in issues]
    assert formatted[0] == (f"{DATA / 'many_mistakes.yaml'}:13: nodes.wait.params.ticks: error: "
                            "must be >= 1 (got 0)")
    assert [i.line for i in issues] == sorted(i.line for i in issues)


def test_load_raises_with_every_issue():
    with pytest.raises(GraphFileError) as ei:
        load(DATA / "many_mistakes.yaml")
    assert len(ei.value.issues) == 6
    assert ":15: error: YAML syntax" in ei.value.line()


def test_several_syntax_errors_each_reported():
    text = ("psigraph: 1\n"
            "nodes:\n"
            "  a: {type: sine\n"          # 3: unclosed flow mapping
            "  b: {type: gain}\n"
            "  c: x: y\n"                 # 5: mapping value not allowed
            "\td: {type: gain}\n"         # 6: tab
            "edges:\n"
            "  - b.y -> q.x\n")           # 8: unknown node (semantic, still found)
    graph, issues = _issues(text)
    assert graph is None
    syntax = [i.line for i in issues if i.message.startswith("YAML syntax")]
    assert syntax == [3, 5, 6]
    sem = [i for i in issues if i.path == "edges.0"]
    assert sem and sem[0].line == 8 and "unknown node 'q'" in sem[0].message


# ------------------------------------------------------------------ line numbers & did you mean
GOOD = """psigraph: 1
graph:
  name: t
  rates: {audio: 24000, control: 200}
nodes:
  osc:
    type: sine
    params:
      freq: 100.0
      frq: 3
  g: {type: gain, params: {gian: 2.0}}
  s: {type: npy_sink, params: {path: x.npy}}
edges:
  - osc.y -> g.x
  - g.yy -> s.x
  - {from: osc.y, to: sinc.x}
"""


def test_lines_and_did_you_mean():
    graph, issues = _issues(GOOD)
    p = _by_path(issues)
    assert p["nodes.osc.params.frq"].line == 10
    assert "unknown param 'frq' (did you mean 'freq'?)" in p["nodes.osc.params.frq"].message
    assert p["nodes.g.params.gian"].line == 11
    assert "did you mean 'gain'" in p["nodes.g.params.gian"].message
    assert p["edges.1"].line == 15 and "did you mean 'y'" in p["edges.1"].message
    assert p["edges.2"].line == 16 and "unknown node 'sinc'" in p["edges.2"].message
    assert "did you mean 's'" in p["edges.2"].message or "sinc" in p["edges.2"].message
    assert graph is not None                     # semantic errors only: the graph is usable by an editor


def test_every_bad_param_of_a_node_is_reported():
    graph, issues = _issues("psigraph: 1\nnodes:\n  s:\n    type: sine\n    params:\n"
                            "      freq: -1.0\n      amp: loud\n      phse: 0.0\n")
    p = _by_path(issues)
    assert p["nodes.s.params.freq"].line == 6 and ">= 0" in p["nodes.s.params.freq"].message
    assert p["nodes.s.params.amp"].line == 7
    assert p["nodes.s.params.phse"].line == 8 and "did you mean 'phase'" in p["nodes.s.params.phse"].message


def test_structure_errors():
    text = ("psigraph: 1\ngraph: {master_rate: 24000.5, nam: x}\nnodes:\n  1a: {type: gain}\n"
            "  b: 3\n  c: {params: {}}\nedges:\n  - nonsense\n  - {from: c.y, too: b.x}\n  - 7\n"
            "editor: [1]\n")
    graph, issues = _issues(text)
    assert graph is None
    p = _by_path(issues)
    assert p["graph.master_rate"].line == 2 and "positive integer" in p["graph.master_rate"].message
    assert "did you mean 'name'" in p["graph.nam"].message
    assert p["nodes.1a"].line == 4 and "node id" in p["nodes.1a"].message
    assert p["nodes.b"].line == 5 and p["nodes.c"].line == 6
    assert p["edges.0"].line == 8 and "node.port -> node.port" in p["edges.0"].message
    assert p["edges.1.too"].line == 9 and "did you mean 'to'" in p["edges.1.too"].message
    assert p["edges.2"].line == 10
    assert p["editor"].line == 11


def test_duplicate_key_and_duplicate_edge():
    text = "psigraph: 1\nnodes:\n  a: {type: sine}\n  a: {type: gain}\nedges: [a.y -> a.x, a.y -> a.x]\n"
    graph, issues = _issues(text)
    msgs = [(i.line, i.message) for i in issues]
    assert any(line == 4 and "duplicate key 'a'" in m for line, m in msgs)
    assert any("duplicate edge a.y -> a.x" in m for _, m in msgs)


def test_versions():
    _, issues = _issues("psigraph: 2\nnodes: {}\n")
    assert len(issues) == 1
    assert issues[0].format() == ("t.yaml:1: psigraph: error: this file was written by a newer psigraph (format 2); "
                                  "this version reads format <= 1: upgrade psigraph (pip install -U psigraph)")
    _, issues = _issues("nodes: {}\n")
    assert "missing format version: add 'psigraph: 1'" in issues[0].message
    _, issues = _issues("psigraph: one\nnodes: {}\n")
    assert "must be an integer" in issues[0].message
    _, issues = _issues("")
    assert "empty" in issues[0].message
    _, issues = _issues("- a\n- b\n")
    assert "must be a mapping" in issues[0].message


def test_migration_from_format_0():
    text = ("psigraph: 0\nname: old\nmaster_rate: 24000\nrates: {audio: 24000}\n"
            "nodes:\n  a: {type: sine}\n  b: {type: gain}\n  c: {type: npy_sink}\n"
            "connections:\n  - [a.y, b.x]\n  - [b.z, c.x]\n")
    graph, issues = _issues(text)
    assert issues[0].severity == "warning" and "format 0" in issues[0].message
    err = [i for i in issues if i.severity == "error"]
    assert len(err) == 1 and err[0].path == "edges.1" and err[0].line == 11 and "'z'" in err[0].message
    assert graph.name == "old" and graph.rates == {"audio": 24000}
    assert [e.text() for e in graph.edges] == ["a.y -> b.x", "b.z -> c.x"]
    assert dumps(graph).startswith("psigraph: 1\ngraph:\n  name: old\n")


def test_migrate_is_pure():
    from psigraph.migrate import migrate
    doc = {"psigraph": 0, "name": "x", "nodes": {}, "connections": [["a.y", "b.x"]]}
    before = repr(doc)
    new, renames = migrate(doc, 0)
    assert repr(doc) == before
    assert new == {"psigraph": 1, "graph": {"name": "x"}, "nodes": {}, "edges": ["a.y -> b.x"]}
    assert renames["connections.0"] == "edges.0" and renames["name"] == "graph.name"


# ------------------------------------------------------------------ placeholders, verbatim sections
def test_placeholder_keeps_everything_and_is_an_error():
    path = DATA / "placeholder.yaml"
    graph, issues = load_report(path)
    errors = [i for i in issues if i.severity == "error"]
    assert [(i.path, i.line) for i in errors] == [("nodes.fx.type", 9)]
    spec = graph.nodes["fx"]
    assert spec.placeholder and spec.type == "future_reverb@3"
    assert spec.params == {"room": "large", "decay_s": 2.5, "taps": [1, 2, 3]} and spec.extra == {"color": "teal"}
    assert dumps(graph) == path.read_text()
    with pytest.raises(GraphFileError):
        load(path)
    assert load(path, strict=False).nodes["fx"].placeholder


def test_placeholder_saved_unchanged(tmp_path):
    text = ("psigraph: 1\nnodes:\n  fx:\n    type: nope\n    params: {z: 1, a: [x, {b: null}]}\n"
            "    knobs: {k: 1}\n")
    g = loads(text, strict=False)
    out = tmp_path / "p.yaml"
    save(g, out)
    g2 = loads(out.read_text(), strict=False)
    assert g2.nodes["fx"] == g.nodes["fx"]
    assert g2.nodes["fx"].params == {"z": 1, "a": ["x", {"b": None}]}
    assert g2.nodes["fx"].extra == {"knobs": {"k": 1}}


def test_editor_and_unknown_sections_kept():
    text = ("psigraph: 1\nnodes: {}\neditor:\n  positions: {a: [1, 2]}\n  zoom: 1.5\n"
            "plugin_x: {opts: [1, 2], name: q}\n")
    graph, issues = _issues(text)
    assert [(i.severity, i.path, i.line) for i in issues] == [("warning", "plugin_x", 6)]
    assert graph.editor == {"positions": {"a": [1, 2]}, "zoom": 1.5}
    assert graph.extra == {"plugin_x": {"opts": [1, 2], "name": "q"}}
    again = loads(dumps(graph))
    assert again.editor == graph.editor and again.extra == graph.extra


# ------------------------------------------------------------------ canonical save
CANONICAL = sorted(glob.glob(str(ROOT / "graphs" / "*.yaml"))) + [str(DATA / "canonical.yaml"),
                                                                  str(DATA / "placeholder.yaml")]


@pytest.mark.parametrize("path", CANONICAL, ids=os.path.basename)
def test_canonical_files_round_trip_byte_for_byte(path, tmp_path):
    text = Path(path).read_text(encoding="utf-8")
    graph, issues = load_report(Path(path))
    assert graph is not None, [i.format() for i in issues]
    assert dumps(graph) == text
    save(graph, tmp_path / "x.yaml")
    assert (tmp_path / "x.yaml").read_bytes() == text.encode("utf-8")


def test_shipped_graphs_are_valid():
    for path in glob.glob(str(ROOT / "graphs" / "*.yaml")):
        graph, issues = load_report(Path(path))
        assert not [i for i in issues if i.severity == "error"], [i.format() for i in issues]


MESSY = """# header kept
psigraph: 1
edges:
  - "b.y->c.x"
  - {to: b.x, from: a.y, delay: 0}
  - from: c.y
    to: b.x
    delay: 1
nodes:
  c:   {type: gain, params: {gain: 1}}
  a: {params: {rate: control, freq: 1e2, amp: .5}, type: sine}
  b:
    type: add
graph: {seed: 3, name: messy, rates: {control: 200, audio: 24000, slow: 0.5}}
editor: {b: 1, a: {z: [3, 2, 1], y: 'it''s'}}
"""


def test_load_save_load_save_is_byte_identical():
    g1 = loads(MESSY, strict=False)
    t1 = dumps(g1)
    assert t1 != MESSY
    t2 = dumps(loads(t1, strict=False))
    assert t1 == t2
    assert t1.startswith("# header kept\npsigraph: 1\ngraph:\n  name: messy\n  master_rate: 24000\n  seed: 3\n"
                         "  rates: {audio: 24000, control: 200, slow: 0.5}\nnodes:\n")
    assert "  a: {type: sine, params: {freq: 100.0, amp: 0.5, rate: control}}\n" in t1
    assert "  - b.y -> c.x\n  - a.y -> b.x\n  - {from: c.y, to: b.x, delay: 1}\n" in t1
    assert 'editor:\n  a: {y: "it\'s", z: [3, 2, 1]}\n  b: 1\n' in t1


def test_dumps_is_deterministic_for_graphs_built_in_code():
    import numpy as np
    g = psigraph.Graph(name="built", seed=1)
    g.add_node("s", "sine", {"amp": np.float64(0.25), "freq": 3})
    g.add_node("k", "gain")
    g.connect("s.y", "k.x", delay=np.int64(2))
    text = dumps(g)
    assert "  s: {type: sine, params: {freq: 3, amp: 0.25}}\n" in text
    assert "  - {from: s.y, to: k.x, delay: 2}\n" in text
    assert dumps(loads(text, strict=False)) == text


TRICKY_STRINGS = ["yes", "No", "null", "~", "~x", "", " lead", "trail ", "a  b", "1e3", "0x1F", "1_000", "12:30",
                  "- x", "#x", "a #b", "a: b", "[x]", "{x}", "x,y", "@x", "`x", "!x", "&x", "*x", "|x", ">x", "%x",
                  "'q'", '"q"', "back\\slash", "tab\there", "new\nline", "é", "日本語", "emoji 😀", "\x00\x07\x1b",
                  "\u2028\u2029\x85", "=", "<<", ".inf", "-.5", "+1", "true", "on", "2024-01-02", "a.y -> b.x"]
TRICKY_NUMBERS = [0, -7, 2 ** 70, 0.1, -0.0, 1e-300, 5e-324, 1e16, 123456789.123, 1 / 3, 1e22, float("inf"),
                  float("-inf"), True, False, None]


def test_scalars_round_trip_exactly():
    g = psigraph.Graph()
    g.editor = {"s": TRICKY_STRINGS, "n": TRICKY_NUMBERS, "keys": {s: i for i, s in enumerate(TRICKY_STRINGS)}}
    text = dumps(g)
    back = loads(text, strict=False).editor
    assert back["s"] == TRICKY_STRINGS
    assert back["keys"] == g.editor["keys"]
    for a, b in zip(back["n"], TRICKY_NUMBERS):
        assert type(a) is type(b) and (a == b) and math.copysign(1, a or 1.0) == math.copysign(1, b or 1.0)
    assert math.copysign(1, back["n"][4]) == -1.0            # -0.0 keeps its sign
    nan = loads(dumps(_with_editor({"x": float("nan")})), strict=False).editor["x"]
    assert math.isnan(nan)


def _with_editor(ed):
    g = psigraph.Graph()
    g.editor = ed
    return g


def test_long_values_use_block_style():
    g = psigraph.Graph()
    g.add_node("s", "vector_source", {"data": list(range(60))})
    text = dumps(g)
    assert "  s:\n    type: vector_source\n    params:\n      data:\n        - 0\n" in text
    assert loads(text).nodes["s"].params["data"] == list(range(60))


# ------------------------------------------------------------------ facade, files
def test_facade_and_missing_file(tmp_path):
    g = psigraph.load(DATA / "canonical.yaml")
    psigraph.save(g, tmp_path / "c.yaml")
    assert (tmp_path / "c.yaml").read_text() == (DATA / "canonical.yaml").read_text()
    assert psigraph.dumps(psigraph.loads(psigraph.dumps(g))) == psigraph.dumps(g)
    graph, issues = load_report(tmp_path / "nope.yaml")
    assert graph is None and "cannot read the file" in issues[0].message
    with pytest.raises(GraphFileError):
        load(tmp_path / "nope.yaml")


def test_canonical_fixture_runs(tmp_path):
    from psigraph.runtime import Session
    s = Session(load(DATA / "canonical.yaml"), block=97, out_dir=str(tmp_path))
    s.tap("mix.y")
    s.run(duration=0.05)
    s.close()
    assert len(s.tap("mix.y")) == 10               # 0.05 s at the control rate
    assert (tmp_path / "out dir" / "sum #1.npy").exists()


def test_semantic_issue_lines_after_skipped_items():
    text = ("psigraph: 1\n"
            "graph:\n"
            "  rates: {audio: 24000, odd: 7}\n"
            "nodes:\n"
            "  a: {type: sine}\n"
            "  b: {type: gain}\n"
            "edges:\n"
            "  - nonsense\n"
            "  - a.q -> b.x\n")
    graph, issues = _issues(text)
    p = _by_path(issues)
    assert p["graph.rates.odd"].line == 3 and "does not divide" in p["graph.rates.odd"].message
    assert p["edges.0"].line == 8
    assert p["edges.1"].line == 9 and "no output port 'q'" in p["edges.1"].message


def test_load_report_accepts_path_strings_and_text(tmp_path):
    f = tmp_path / "g.yaml"
    f.write_text("psigraph: 1\nnodes: {}\n")
    (g1, i1), (g2, i2) = load_report(str(f)), load_report(f)
    assert dumps(g1) == dumps(g2) and i1 == i2 == []
    g, issues = load_report("psigraph: 1\nnodes: {}\n")
    assert g is not None and issues == []


def test_every_registered_type_round_trips_with_explicit_defaults():
    from psigraph import registry
    g = psigraph.Graph(name="all")
    for cls in registry.all_types():
        defaults = {p["name"]: p["default"] for p in cls.Params.describe() if "default" in p}
        g.add_node(f"n_{cls.type_id}", cls.type_id, defaults)
    text = dumps(g)
    back, issues = load_report(text)
    assert back is not None, [i.format() for i in issues]
    assert not [i for i in issues if i.message.startswith(("unknown param", "must"))]
    for nid, spec in g.nodes.items():
        assert back.nodes[nid].params == spec.params and not back.nodes[nid].placeholder
        assert type(back.nodes[nid]).__name__ == "NodeSpec"
    assert dumps(back) == text


def test_a_declared_input_rate_is_checked_when_its_channels_follow_the_source():
    """audio_sink.x declares the audio rate but takes any channel count: a 200 Hz signal into it
    is a rate mismatch, not a clean graph that fails (or plays garbage) at run time."""
    import psigraph
    from psigraph.errors import GraphFileError
    with pytest.raises(GraphFileError) as info:
        psigraph.loads("psigraph: 1\ngraph: {name: t}\nnodes:\n  core: {type: psi_core}\n"
                       "  spk: {type: audio_sink}\nedges:\n  - core.r -> spk.x\n")
    errors = [i for i in info.value.issues if i.severity == "error"]
    assert len(errors) == 1 and errors[0].path == "edges.0"
    assert "core.r runs at 200 Hz but spk.x expects 24000 Hz" in errors[0].message
