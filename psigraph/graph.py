"""The Graph model: node specs and edges over networkx, changed only through commands.

Every edit is a :class:`Command`; ``graph.apply(cmd)`` validates it, performs it,
notifies subscribers with a plain dict and returns the inverse command (undo is
``graph.apply(inverse)``). The model tolerates invalid content loaded from a file
(unknown types become placeholders that keep their YAML) so that nothing is lost
on save; :func:`psigraph.compile.check` reports what is wrong.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import networkx as nx

from . import registry
from .errors import GraphError, PortError
from .timebase import DEFAULT_MASTER_RATE, DEFAULT_RATES, Timebase
from .util import did_you_mean, split_ref

FORMAT_VERSION = 1
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class NodeSpec:
    """A node as written in the file: type reference, params as given, placeholder flag."""

    type: str
    params: dict = field(default_factory=dict)
    placeholder: bool = False     # type not registered: kept verbatim
    extra: dict = field(default_factory=dict)   # unknown keys kept verbatim


@dataclass(frozen=True)
class Edge:
    src: str
    src_port: str
    dst: str
    dst_port: str
    delay: int = 0               # explicit loop delay, in consumer ticks

    def text(self) -> str:
        s = f"{self.src}.{self.src_port} -> {self.dst}.{self.dst_port}"
        return s

    @staticmethod
    def parse(text: str, delay: int = 0) -> "Edge":
        """'a.y -> b.x' → Edge."""
        left, arrow, right = str(text).partition("->")
        if not arrow:
            raise PortError(f"edge {text!r} must look like 'node.port -> node.port'")
        (s, sp), (d, dp) = split_ref(left), split_ref(right)
        return Edge(s, sp, d, dp, int(delay))


class Graph:
    """A psigraph dataflow graph (the object the CLI, the runtime and the editor share)."""

    def __init__(self, name: str = "graph", master_rate: int = DEFAULT_MASTER_RATE, seed: int = 0,
                 rates: dict | None = None):
        self.name, self.master_rate, self.seed = name, master_rate, seed
        self.rates = dict(DEFAULT_RATES if rates is None else rates)
        self.nodes: dict[str, NodeSpec] = {}
        self.edges: list[Edge] = []
        self.editor: dict = {}
        self.extra: dict = {}                 # unknown top-level sections, kept on save
        self.comment: str = ""                # leading comment block of the file, kept on save
        self.source_file: str = ""
        self._listeners: list[Callable[[dict], None]] = []

    # ---- read API -------------------------------------------------------
    @property
    def timebase(self) -> Timebase:
        return Timebase(self.master_rate, self.rates)

    def nx(self) -> nx.MultiDiGraph:
        """A networkx view: nodes carry ``spec``, edges carry ``edge``."""
        g = nx.MultiDiGraph()
        for nid, spec in self.nodes.items():
            g.add_node(nid, spec=spec)
        for e in self.edges:
            g.add_edge(e.src, e.dst, edge=e)
        return g

    def node_class(self, nid: str):
        return registry.get(self.nodes[nid].type)

    def edges_into(self, nid: str, port: str | None = None) -> list[Edge]:
        return [e for e in self.edges if e.dst == nid and (port is None or e.dst_port == port)]

    def edges_from(self, nid: str, port: str | None = None) -> list[Edge]:
        return [e for e in self.edges if e.src == nid and (port is None or e.src_port == port)]

    def copy(self) -> "Graph":
        g = copy.copy(self)
        g.nodes = copy.deepcopy(self.nodes)
        g.edges, g.rates = list(self.edges), dict(self.rates)
        g.editor, g.extra = copy.deepcopy(self.editor), copy.deepcopy(self.extra)
        g._listeners = []
        return g

    # ---- commands ---------------------------------------------------------
    def apply(self, cmd: "Command") -> "Command":
        """Validate and perform ``cmd``; returns its inverse. Subscribers get a plain dict."""
        inverse = cmd.do(self)
        event = {"command": type(cmd).__name__, **cmd.__dict__}
        for fn in list(self._listeners):
            fn(event)
        return inverse

    def subscribe(self, fn: Callable[[dict], None]) -> Callable[[], None]:
        """Call ``fn(event)`` after every command; returns an unsubscribe function."""
        self._listeners.append(fn)
        return lambda: self._listeners.remove(fn)

    # convenience wrappers (each is one command)
    def add_node(self, nid: str, type: str, params: dict | None = None) -> "Command":
        return self.apply(AddNode(nid, type, dict(params or {})))

    def remove_node(self, nid: str) -> "Command":
        return self.apply(RemoveNode(nid))

    def set_param(self, nid: str, name: str, value: Any) -> "Command":
        return self.apply(SetParam(nid, name, value))

    def connect(self, src: str, dst: str, delay: int = 0) -> "Command":
        (s, sp), (d, dp) = split_ref(src), split_ref(dst)
        return self.apply(Connect(Edge(s, sp, d, dp, delay)))

    def disconnect(self, src: str, dst: str) -> "Command":
        (s, sp), (d, dp) = split_ref(src), split_ref(dst)
        for e in self.edges:
            if (e.src, e.src_port, e.dst, e.dst_port) == (s, sp, d, dp):
                return self.apply(Disconnect(e))
        raise GraphError(f"no edge {src} -> {dst}")


class Command:
    """A validated, invertible graph edit."""

    def do(self, g: Graph) -> "Command":  # pragma: no cover - abstract
        raise NotImplementedError


def _need_node(g: Graph, nid: str) -> NodeSpec:
    if nid not in g.nodes:
        raise GraphError(f"no node {nid!r}" + did_you_mean(nid, g.nodes))
    return g.nodes[nid]


@dataclass
class AddNode(Command):
    nid: str
    type: str
    params: dict = field(default_factory=dict)
    edges: list = field(default_factory=list)     # restored with the node (undo of RemoveNode)
    placeholder: bool = False
    extra: dict = field(default_factory=dict)
    index: int | None = None                      # position among the nodes (undo keeps file order)

    def do(self, g):
        if not _ID.match(self.nid):
            raise GraphError(f"node id {self.nid!r} must be a letter or _ followed by letters, digits or _")
        if self.nid in g.nodes:
            raise GraphError(f"node id {self.nid!r} already exists")
        if not self.placeholder:
            cls = registry.get(self.type)
            cls.Params.from_dict(self.params, where=f"nodes.{self.nid}.params")
        spec = NodeSpec(self.type, dict(self.params), self.placeholder, dict(self.extra))
        items = list(g.nodes.items())
        at = len(items) if self.index is None else max(0, min(self.index, len(items)))
        items.insert(at, (self.nid, spec))
        g.nodes.clear()
        g.nodes.update(items)
        for e in self.edges:
            g.edges.append(e)
        return RemoveNode(self.nid)


@dataclass
class RemoveNode(Command):
    nid: str

    def do(self, g):
        spec = _need_node(g, self.nid)
        touching = [e for e in g.edges if self.nid in (e.src, e.dst)]
        g.edges = [e for e in g.edges if e not in touching]
        index = list(g.nodes).index(self.nid)
        del g.nodes[self.nid]
        return AddNode(self.nid, spec.type, dict(spec.params), touching, spec.placeholder, dict(spec.extra), index)


_UNSET = object()


@dataclass
class SetParam(Command):
    nid: str
    name: str
    value: Any = _UNSET          # _UNSET removes the param (back to its default)

    def do(self, g):
        spec = _need_node(g, self.nid)
        new = dict(spec.params)
        if self.value is _UNSET:
            new.pop(self.name, None)
        else:
            new[self.name] = self.value
        if not spec.placeholder:
            g.node_class(self.nid).Params.from_dict(new, where=f"nodes.{self.nid}.params")
        old = spec.params.get(self.name, _UNSET)
        spec.params = new
        return SetParam(self.nid, self.name, old)


@dataclass
class Connect(Command):
    edge: Edge

    def do(self, g):
        e = self.edge
        for nid, port, direction in ((e.src, e.src_port, "out"), (e.dst, e.dst_port, "in")):
            spec = _need_node(g, nid)
            if spec.placeholder:
                continue
            ports = g.node_class(nid).outputs() if direction == "out" else g.node_class(nid).inputs()
            if port not in ports:
                raise PortError(f"node {nid!r} has no {direction}put port {port!r}" + did_you_mean(port, ports))
        if e in g.edges:
            raise GraphError(f"edge {e.text()} already exists")
        if not g.nodes[e.dst].placeholder:
            decl = g.node_class(e.dst).inputs()[e.dst_port]
            if decl.kind.name != "events" and g.edges_into(e.dst, e.dst_port):
                raise PortError(f"input {e.dst}.{e.dst_port} is already connected",
                                hint="disconnect it first, or use an add node to mix signals")
        g.edges.append(e)
        return Disconnect(e)


@dataclass
class Disconnect(Command):
    edge: Edge

    def do(self, g):
        if self.edge not in g.edges:
            raise GraphError(f"no edge {self.edge.text()}")
        g.edges.remove(self.edge)
        return Connect(self.edge)


@dataclass
class SetMeta(Command):
    """Change a graph-level setting: name, master_rate, seed or rates."""

    key: str
    value: Any

    def do(self, g):
        if self.key not in ("name", "master_rate", "seed", "rates"):
            raise GraphError(f"unknown graph setting {self.key!r}")
        old = getattr(g, self.key)
        setattr(g, self.key, self.value)
        return SetMeta(self.key, old)
