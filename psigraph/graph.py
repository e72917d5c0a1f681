"""The Graph model: node specs and edges over networkx, changed only through commands.

Every edit is a :class:`Command`; ``graph.apply(cmd)`` validates it, performs it,
notifies subscribers with a plain dict and returns the inverse command (undo is
``graph.apply(inverse)``). Commands cover the nodes and edges (AddNode, RemoveNode,
RenameNode, SetParam, Connect, Disconnect), graph settings (SetMeta), the view data of
the ``editor:`` section (MoveNode, SetProbe) and groups of edits (Compound); undoing
any of them restores the exact former state, file order included. The model tolerates
invalid content loaded from a file (unknown types become placeholders that keep their
YAML) so that nothing is lost on save; :func:`psigraph.compile.check` reports what is
wrong.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from . import registry
from .errors import GraphError, PortError
from .timebase import DEFAULT_MASTER_RATE, DEFAULT_RATES, Timebase
from .util import did_you_mean, split_ref

if TYPE_CHECKING:                               # imported by Graph.nx() only: slow to import
    import networkx

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

    def nx(self) -> networkx.MultiDiGraph:
        """A networkx view: nodes carry ``spec``, edges carry ``edge`` (networkx is imported here only)."""
        import networkx as nx
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
        for event in cmd.events():
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

    def rename_node(self, nid: str, new: str) -> "Command":
        return self.apply(RenameNode(nid, new))

    def move_node(self, nid: str, x: float, y: float) -> "Command":
        return self.apply(MoveNode(nid, [x, y]))

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

    def events(self) -> list[dict]:
        """What subscribers are told after ``do``: one plain dict per elementary edit."""
        return [{"command": type(self).__name__, **self.__dict__}]


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
    edge_index: list = field(default_factory=list)   # where each of ``edges`` was (undo keeps edge order)

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
        _insert_edges(g, self.edges, self.edge_index)
        return RemoveNode(self.nid)


@dataclass
class RemoveNode(Command):
    nid: str

    def do(self, g):
        spec = _need_node(g, self.nid)
        where = [i for i, e in enumerate(g.edges) if self.nid in (e.src, e.dst)]
        touching = [g.edges[i] for i in where]
        g.edges = [e for e in g.edges if e not in touching]
        index = list(g.nodes).index(self.nid)
        del g.nodes[self.nid]
        return AddNode(self.nid, spec.type, dict(spec.params), touching, spec.placeholder, dict(spec.extra), index,
                       where)


def _insert_edges(g: Graph, edges: list, where: list) -> None:
    """Put ``edges`` back at their former indices (ascending), or append those without one."""
    slots = sorted(zip(where, edges), key=lambda p: p[0]) if len(where) == len(edges) else []
    for i, e in slots:
        g.edges.insert(min(i, len(g.edges)), e)
    if not slots:
        g.edges.extend(edges)


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
    """Add an edge. ``checked=True`` also refuses what the analysis would report about it
    (kind or rate mismatch, zero-delay cycle), with the analysis' own message."""

    edge: Edge
    index: int | None = None      # position among the edges (undo of Disconnect keeps file order)
    checked: bool = False

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
        if self.checked:
            problems = connection_issues(g, e)
            if problems:
                raise PortError(problems[0], hint=suggest_converter(g, e))
        g.edges.insert(len(g.edges) if self.index is None else max(0, min(self.index, len(g.edges))), e)
        return Disconnect(e)


@dataclass
class Disconnect(Command):
    edge: Edge

    def do(self, g):
        if self.edge not in g.edges:
            raise GraphError(f"no edge {self.edge.text()}")
        index = g.edges.index(self.edge)
        del g.edges[index]
        return Connect(self.edge, index)


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


def connection_issues(g: Graph, edge: Edge) -> list[str]:
    """What the analysis (``psigraph validate``) would newly report because of ``edge``: its kind or
    rate mismatch, a zero-delay cycle through it, a problem of the input it feeds. Empty = fine."""
    from .compile import analyze
    before = {(i.path, i.message) for i in analyze(g)[1] if i.severity == "error"}
    trial = g.copy()
    trial.edges.append(edge)
    here, into = f"edges.{len(trial.edges) - 1}", f"nodes.{edge.dst}.inputs.{edge.dst_port}"
    issues = analyze(trial)[1]
    found = [i.message for i in issues
             if i.severity == "error" and (i.path, i.message) not in before
             and (i.path == here or edge.text() in i.message or i.path.startswith(into))]
    return found or _declared_rate_mismatch(g, edge)


def _declared_rate_mismatch(g: Graph, edge: Edge) -> list[str]:
    """The analysis resolves no rates while the graph has any error; an edge into an input with a
    declared rate is then checked here on the source's upstream part, with the analysis' own rule
    and message."""
    from dataclasses import replace

    from .compile import _rate_message, analyze
    from .node import signal_spec
    try:
        cls = g.node_class(edge.dst)
        decl = cls.inputs().get(edge.dst_port)
        if decl is None or decl.kind.name != "signal" or decl.rate is None or decl.like:
            return []
        res = analyze(_upstream(g, edge.src))[0]
        src = res.out_specs[edge.src][edge.src_port] if res is not None else None
        if src is None:
            return []
        want = signal_spec(replace(decl, channels=src.channels), cls.Params.from_dict(g.nodes[edge.dst].params),
                           g.timebase, {})
    except Exception:  # noqa: BLE001 - anything unresolvable is the analysis' to report
        return []
    return [_rate_message(edge, src, want, g.timebase)] if want is not None and want.period != src.period else []


def _upstream(g: Graph, nid: str) -> Graph:
    """The part of ``g`` that feeds ``nid`` (``nid`` included)."""
    keep, todo = {nid}, [nid]
    while todo:
        n = todo.pop()
        for e in g.edges:
            if e.dst == n and e.src not in keep:
                keep.add(e.src)
                todo.append(e.src)
    part = g.copy()
    part.nodes = {k: v for k, v in part.nodes.items() if k in keep}
    part.edges = [e for e in part.edges if e.src in keep and e.dst in keep]
    return part


def suggest_converter(g: Graph, edge: Edge) -> str:
    """A hint naming registered node types that turn the source's port kind into the target's."""
    try:
        sk = g.node_class(edge.src).outputs()[edge.src_port].kind
        dk = g.node_class(edge.dst).inputs()[edge.dst_port].kind
    except Exception:  # noqa: BLE001 - placeholder or unknown port: nothing to suggest
        return ""
    if sk is dk:
        return ""
    found = [cls.type_id for cls in sorted(registry.all_types(),   # plain converters (fewest ports) first
                                           key=lambda c: (len(c.inputs()) + len(c.outputs()), c.type_id))
             if not cls.HIDDEN and any(p.kind is sk for p in cls.inputs().values())
             and any(p.kind is dk for p in cls.outputs().values())]
    if not found:
        return f"no registered node turns {sk.name} into {dk.name}"
    return f"insert a converter from {sk.name} to {dk.name}: {', '.join(found[:3])}"


@dataclass
class RenameNode(Command):
    """Give a node a new id; its edges, editor position and probes follow."""

    nid: str
    new: str

    def do(self, g):
        _need_node(g, self.nid)
        if not _ID.match(self.new):
            raise GraphError(f"node id {self.new!r} must be a letter or _ followed by letters, digits or _")
        if self.new in g.nodes:
            raise GraphError(f"node id {self.new!r} already exists")
        items = [(self.new if k == self.nid else k, v) for k, v in g.nodes.items()]
        g.nodes.clear()
        g.nodes.update(items)
        g.edges = [Edge(self.new if e.src == self.nid else e.src, e.src_port,
                        self.new if e.dst == self.nid else e.dst, e.dst_port, e.delay) for e in g.edges]
        positions = g.editor.get("positions")
        if isinstance(positions, dict) and self.nid in positions:
            positions[self.new] = positions.pop(self.nid)
        for probe in _probes(g):
            node, dot, port = str(probe.get("port", "")).partition(".")
            if node == self.nid and dot:
                probe["port"] = f"{self.new}.{port}"
        return RenameNode(self.new, self.nid)


def _plain(v):
    """Whole-number floats as ints, so positions read back as they are written (360, not 360.0)."""
    return int(v) if isinstance(v, float) and v.is_integer() else v


@dataclass
class MoveNode(Command):
    """Set a node's position in the ``editor:`` section (``pos=None`` removes it)."""

    nid: str
    pos: list | None
    drop_empty: bool = False      # remove the section when it becomes empty (undo of its first entry)

    def do(self, g):
        _need_node(g, self.nid)
        positions = g.editor.get("positions")
        created = not isinstance(positions, dict)
        if created:
            positions = {}
        old = positions.get(self.nid)
        if self.pos is None:
            positions.pop(self.nid, None)
        else:
            x, y = self.pos
            positions[self.nid] = [_plain(x), _plain(y)]
        if positions or not self.drop_empty:
            g.editor["positions"] = positions
        else:
            g.editor.pop("positions", None)
        return MoveNode(self.nid, None if old is None else list(old), created)


def _probes(g: Graph) -> list:
    probes = g.editor.get("probes")
    return [p for p in probes if isinstance(p, dict)] if isinstance(probes, list) else []


@dataclass
class SetProbe(Command):
    """Add, change (``settings``, e.g. ``{"window_s": 2}``) or remove (``None``) the scope probe on an
    output port, kept in the ``editor:`` section."""

    port: str
    settings: dict | None = field(default_factory=dict)
    index: int | None = None      # where to insert a new probe (undo of a removal keeps the order)
    drop_empty: bool = False

    def do(self, g):
        nid, port = split_ref(self.port)
        spec = _need_node(g, nid)
        if not spec.placeholder and port not in g.node_class(nid).outputs():
            outs = g.node_class(nid).outputs()
            raise PortError(f"node {nid!r} has no output port {port!r} to probe" + did_you_mean(port, outs))
        probes = g.editor.get("probes")
        created = not isinstance(probes, list)
        if created:
            probes = []
        at = next((i for i, p in enumerate(probes) if isinstance(p, dict) and p.get("port") == self.port), None)
        old = None if at is None else probes[at]
        if self.settings is None:
            if at is not None:
                del probes[at]
        else:
            entry = {"port": self.port, **{k: _plain(v) for k, v in self.settings.items() if k != "port"}}
            if at is not None:
                probes[at] = entry
            else:
                probes.insert(len(probes) if self.index is None else min(self.index, len(probes)), entry)
        if probes or not self.drop_empty:
            g.editor["probes"] = probes
        else:
            g.editor.pop("probes", None)
        settings = None if old is None else {k: v for k, v in old.items() if k != "port"}
        return SetProbe(self.port, settings, at, created)


@dataclass
class Compound(Command):
    """Several commands as one edit (paste, duplicate, delete a selection, move several nodes):
    all or nothing, undone in reverse order."""

    commands: list
    label: str = ""

    def do(self, g):
        inverses: list = []
        try:
            for cmd in self.commands:
                inverses.append(cmd.do(g))
        except Exception:
            for inverse in reversed(inverses):
                inverse.do(g)
            raise
        return Compound(inverses[::-1], self.label)

    def events(self) -> list[dict]:
        return [event for cmd in self.commands for event in cmd.events()]
