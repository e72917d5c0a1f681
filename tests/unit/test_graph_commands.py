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
