"""The Graph model changes only through validated commands that return their inverse."""
import pytest

from psigraph import Graph
from psigraph.errors import GraphError, ParamError, PortError, RegistryError
from psigraph.graph import AddNode, Connect, Edge, RemoveNode, SetMeta, SetParam


def base():
    g = Graph()
    g.add_node("s", "sine", {"freq": 100.0})
    g.add_node("amp", "gain")
    g.connect("s.y", "amp.x")
    return g


def snapshot(g):
    return ({k: (v.type, dict(v.params)) for k, v in g.nodes.items()}, sorted(g.edges, key=repr),
            g.name, g.seed)


@pytest.mark.parametrize("cmd", [
    AddNode("new", "gain", {"gain": 2.0}),
    RemoveNode("amp"),
    SetParam("s", "freq", 200.0),
    SetParam("s", "amp", 0.5),
    Connect(Edge("amp", "y", "amp2", "x")),
    SetMeta("seed", 42),
])
def test_every_command_is_undone_by_its_inverse(cmd):
    g = base()
    g.add_node("amp2", "gain")
    before = snapshot(g)
    inverse = g.apply(cmd)
    assert snapshot(g) != before
    redo = g.apply(inverse)
    assert snapshot(g) == before
    g.apply(redo)
    assert snapshot(g) != before


def test_remove_node_inverse_restores_edges():
    g = base()
    inv = g.remove_node("amp")
    assert not g.edges
    g.apply(inv)
    assert g.edges == [Edge("s", "y", "amp", "x")]


@pytest.mark.parametrize("action, err, text", [
    (lambda g: g.add_node("s", "gain"), GraphError, "already exists"),
    (lambda g: g.add_node("9bad", "gain"), GraphError, "must be a letter"),
    (lambda g: g.add_node("x", "gian"), RegistryError, "did you mean 'gain'"),
    (lambda g: g.set_param("s", "freq", -1.0), ParamError, "must be >= 0"),
    (lambda g: g.set_param("s", "frq", 1.0), ParamError, "did you mean 'freq'"),
    (lambda g: g.connect("s.y", "amp.z"), PortError, "has no input port 'z'"),
    (lambda g: g.connect("s.y", "amp.x"), GraphError, "already exists"),
    (lambda g: g.connect("amp.y", "nope.x"), GraphError, "no node 'nope'"),
])
def test_commands_validate(action, err, text):
    g = base()
    before = snapshot(g)
    with pytest.raises(err, match=text):
        action(g)
    assert snapshot(g) == before, "a refused command must not change the graph"


def test_signal_input_takes_one_source():
    g = base()
    g.add_node("t", "sine")
    with pytest.raises(PortError, match="already connected"):
        g.connect("t.y", "amp.x")


def test_subscribers_get_plain_events():
    g = base()
    seen = []
    unsubscribe = g.subscribe(seen.append)
    g.set_param("amp", "gain", 3.0)
    unsubscribe()
    g.set_param("amp", "gain", 4.0)
    assert seen == [{"command": "SetParam", "nid": "amp", "name": "gain", "value": 3.0}]


# ---- commands the editor needs: rename, move, probes, compound; undo keeps file order ----------------
from psigraph import fileformat  # noqa: E402
from psigraph.graph import (Compound, Disconnect, MoveNode, RenameNode, SetProbe,  # noqa: E402
                            connection_issues)
from psigraph.runtime.shipped import graph_path  # noqa: E402


def speak():
    return fileformat.load(graph_path("speak"))


@pytest.mark.parametrize("make", [
    lambda g: RenameNode("core", "psi"),
    lambda g: MoveNode("core", [400, 20]),
    lambda g: MoveNode("core", None),
    lambda g: SetProbe("voice.audio", {"window_s": 0.5}),
    lambda g: SetProbe("core.state", None),
    lambda g: SetProbe("core.state", {"window_s": 4}),
    lambda g: RemoveNode("planner"),
    lambda g: Disconnect(g.edges[1]),
    lambda g: Compound([RemoveNode("core"), RemoveNode("text"), MoveNode("voice", [1, 2])]),
])
def test_undo_restores_the_file_byte_for_byte(make):
    g = speak()
    text = fileformat.dumps(g)
    cmd = make(g)
    inverse = g.apply(cmd)
    edited = fileformat.dumps(g)
    assert edited != text
    redo = g.apply(inverse)
    assert fileformat.dumps(g) == text
    g.apply(redo)
    assert fileformat.dumps(g) == edited


def test_rename_carries_edges_positions_and_probes():
    g = speak()
    g.rename_node("core", "psi")
    assert list(g.nodes)[2] == "psi" and "core" not in g.nodes
    assert Edge("psi", "state", "voice", "state") in g.edges and g.edges.index(
        Edge("psi", "state", "voice", "state")) == 2
    assert g.editor["positions"]["psi"] == [360, 0]
    assert g.editor["probes"] == [{"port": "psi.state", "window_s": 2}]
    with pytest.raises(GraphError, match="already exists"):
        g.rename_node("psi", "voice")


def test_first_position_and_probe_create_their_section_and_undo_removes_it():
    g = base()
    text = fileformat.dumps(g)
    undo = g.apply(Compound([MoveNode("s", [10.0, 20.5]), SetProbe("s.y", {"window_s": 1})]))
    assert g.editor == {"positions": {"s": [10, 20.5]}, "probes": [{"port": "s.y", "window_s": 1}]}
    g.apply(undo)
    assert g.editor == {} and fileformat.dumps(g) == text
    with pytest.raises(PortError, match="no output port 'x' to probe"):
        g.apply(SetProbe("amp.x", {}))


def test_compound_is_all_or_nothing_and_tells_each_edit():
    g = base()
    before = snapshot(g)
    with pytest.raises(GraphError, match="already exists"):
        g.apply(Compound([AddNode("n1", "gain"), AddNode("s", "gain")]))
    assert snapshot(g) == before
    seen = []
    g.subscribe(seen.append)
    g.apply(Compound([AddNode("n1", "gain"), Connect(Edge("amp", "y", "n1", "x"))]))
    assert [e["command"] for e in seen] == ["AddNode", "Connect"]


def converts(hint: str, src_kind: str, dst_kind: str) -> bool:
    """The hint names registered node types, each taking ``src_kind`` in and giving ``dst_kind`` out."""
    from psigraph import registry
    prefix = f"insert a converter from {src_kind} to {dst_kind}: "
    if not hint.startswith(prefix):
        return False
    names = hint[len(prefix):].split(", ")
    return bool(names) and all(
        any(p.kind.name == src_kind for p in registry.get(n).inputs().values())
        and any(p.kind.name == dst_kind for p in registry.get(n).outputs().values()) for n in names)


def test_checked_connect_refuses_with_the_analysis_message():
    g = base()
    g.add_node("sink_e", "events_sink")
    # kind mismatch: the analysis' message plus a converter hint from the registry
    with pytest.raises(PortError) as err:
        g.apply(Connect(Edge("s", "y", "sink_e", "x"), checked=True))
    assert err.value.message == "cannot connect s.y (signal) to sink_e.x (events)"
    assert converts(err.value.hint, "signal", "events")
    # zero-delay cycle s -> mix -> amp -> mix: refused unless the edge carries a delay
    g.disconnect("s.y", "amp.x")
    g.add_node("mix", "add")
    g.connect("s.y", "mix.a")
    g.connect("mix.y", "amp.x")
    before = snapshot(g)
    with pytest.raises(PortError, match="zero-delay cycle amp -> mix -> amp"):
        g.apply(Connect(Edge("amp", "y", "mix", "b"), checked=True))
    assert snapshot(g) == before
    assert connection_issues(g, Edge("amp", "y", "mix", "b", delay=1)) == []
    # the same edge unchecked is accepted (files may hold invalid graphs; validate reports them)
    g.apply(Connect(Edge("amp", "y", "mix", "b")))
    assert len(g.edges) == 3
