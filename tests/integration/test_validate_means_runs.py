"""`validate` means "will run": every shipped node type, wired to generic sources (sine, event_source),
either validates and then builds a Session and runs its first block, or is rejected with located issues.
A hypothesis property test mutates every node type's params and looks for a counterexample."""
from __future__ import annotations

import math
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import psigraph
from psigraph import Graph, registry
from psigraph.errors import PsigraphError
from psigraph.ports import Events, Signal
from psigraph.runtime import Session

TYPES = [c for c in registry.pack_types() if not c.HIDDEN]
IDS = [c.type_id for c in TYPES]
FIRST_BLOCK = 480
#: node types whose first block is expensive (an off-screen GL context): fewer fuzz cases
HEAVY = {"face_render", "video_sink"}


def wired(cls, params: dict | None = None) -> Graph:
    """``cls`` as node ``n`` with a generic source on every input: a sine at the input's declared
    rate (control when the input takes any rate), an event_source for events inputs."""
    g = Graph("generic", seed=1)
    g.add_node("n", cls.type_id)
    g.nodes["n"].params = dict(params or {})      # as a file would give them: unchecked until analysis
    for port, decl in cls.inputs().items():
        src = f"src_{port}"
        if decl.kind is Signal:
            rate = decl.rate if isinstance(decl.rate, (str, int, float)) and not str(decl.rate).startswith(
                "param:") else "control"
            g.add_node(src, "sine", {"freq": 3.0, "rate": rate})
        elif decl.kind is Events:
            g.add_node(src, "event_source", {"events": [{"t": 0.0, "kind": "tick", "payload": {"text": "Hello."}}]})
        else:
            continue
        g.connect(f"{src}.y", f"n.{port}")
    return g


def validates_then_runs(g: Graph) -> str:
    """'rejected' (with located, actionable issues) or 'ran' (first block done); anything else fails."""
    issues = psigraph.check(g)
    errors = [i for i in issues if i.severity == "error"]
    if errors:
        for i in errors:
            assert i.path.startswith(("nodes.", "edges.", "graph.")), i.format()
            assert i.message and "internal error" not in i.message and "Traceback" not in i.message, i.format()
            assert "\n" not in i.format(), i.format()
        return "rejected"
    s = Session(g, block=FIRST_BLOCK)
    try:
        s.advance(FIRST_BLOCK)
        s.finish()
    finally:
        s.abort()
    return "ran"


@pytest.mark.parametrize("cls", TYPES, ids=IDS)
def test_defaults_on_generic_sources_run_or_are_rejected(cls, tmp_cwd):
    validates_then_runs(wired(cls))


def test_generic_defaults_that_must_run(tmp_cwd):
    """The two held-out cases: a psi_core with only user bands; sine → koopman_monitor."""
    g = wired(registry.get("psi_core"), {"bands": [{"name": "slow", "count": 5, "period_ms": 400.0}]})
    assert validates_then_runs(g) == "ran"
    assert validates_then_runs(wired(registry.get("koopman_monitor"))) == "ran"


def test_sine_into_voice_is_rejected_at_validation(tmp_cwd):
    issues = psigraph.check(wired(registry.get("voice")))
    assert [i.code for i in issues] == ["input.missing_channel"]
    assert issues[0].path == "nodes.n.inputs.state" and "tract channels" in issues[0].message


# ---------------------------------------------------------------- property: mutate params
GARBAGE = [None, "", "x", "nonsense_value", -1, 0, 1, 2, 7, -1e308, 1e308, math.nan, math.inf, -0.5, 0.5,
           True, [], {}, [1, 2], [[1.0]], {"a": 1}, "x" * 300]


def _value_for(p: dict):
    """A strategy of plausible and hostile values for one described param."""
    options = [st.sampled_from(GARBAGE)]
    if "default" in p:
        options.append(st.just(p["default"]))
    if p.get("choices"):
        options.append(st.sampled_from(p["choices"]))
    lo = p.get("ge", p.get("gt"))
    hi = p.get("le", p.get("lt"))
    t = p.get("type", "")
    if "int" in t:
        options.append(st.integers(min_value=int(lo) - 2 if lo is not None else -10 ** 6,
                                   max_value=int(hi) + 2 if hi is not None else 10 ** 6))
    if "float" in t:
        options.append(st.floats(min_value=(lo - 1.0) if lo is not None else -1e6,
                                 max_value=(hi + 1.0) if hi is not None else 1e6, allow_nan=False))
    if "str" in t:
        options.append(st.text(max_size=12))
    if "list" in t:
        options.append(st.lists(st.one_of(st.integers(-3, 300), st.text(max_size=5),
                                          st.dictionaries(st.sampled_from(["name", "count", "period_ms", "t",
                                                                           "kind", "band", "lock"]),
                                                          st.one_of(st.integers(-2, 5000), st.text(max_size=4)),
                                                          max_size=3)), max_size=3))
    return st.one_of(options)


@st.composite
def mutated_params(draw, cls):
    described = cls.Params.describe()
    chosen = draw(st.lists(st.sampled_from([p["name"] for p in described]), unique=True,
                           max_size=min(3, len(described)))) if described else []
    by_name = {p["name"]: p for p in described}
    out = {name: draw(_value_for(by_name[name])) for name in chosen}
    if draw(st.booleans()) and not draw(st.integers(0, 9)):
        out["no_such_param"] = 1
    return out


def _fuzz(cls, examples):
    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(params=mutated_params(cls))
    def check(params):
        g = wired(cls, params)
        try:
            validates_then_runs(g)
        except PsigraphError as e:      # validate accepted it: a run-time failure is the counterexample
            raise AssertionError(f"{cls.type_id} with {params!r} validated, then failed: {e.line()}") from e
    check()


@pytest.mark.parametrize("cls", TYPES, ids=IDS)
def test_mutated_params_never_pass_validation_then_fail(cls, tmp_cwd):
    _fuzz(cls, 5 if cls.type_id in HEAVY else 40)


@pytest.mark.slow
@pytest.mark.parametrize("cls", TYPES, ids=IDS)
def test_mutated_params_never_pass_validation_then_fail_long(cls, tmp_cwd):
    _fuzz(cls, 40 if cls.type_id in HEAVY else 400)
