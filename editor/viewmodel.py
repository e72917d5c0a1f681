"""What the canvas draws, computed from the Graph alone (no Qt): ports with kind and rate,
placeholder ports, automatic positions for nodes the file does not place, issues per node.

Everything here is a pure function of the Graph, so the view can be rebuilt at any
time and never holds graph state of its own.
"""
from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from psigraph.compile import analyze
from psigraph.errors import Issue, PsigraphError
from psigraph.graph import Graph
from psigraph.timebase import format_hz

COLUMN, ROW = 200, 120       # spacing of automatic positions


@dataclass(frozen=True)
class PortView:
    name: str
    direction: str          # "in" | "out"
    kind: str               # "signal" | "events" | "value" | "unknown" (placeholder)
    rate: str               # "200 Hz", "like x", "events", "?"
    doc: str = ""
    optional: bool = False


@dataclass(frozen=True)
class NodeView:
    nid: str
    type: str
    placeholder: bool
    inputs: tuple
    outputs: tuple
    hot: frozenset = frozenset()
    doc: str = ""


def node_views(graph: Graph) -> dict[str, NodeView]:
    """One NodeView per node, with rates resolved by the analysis when it can."""
    try:
        res, _ = analyze(graph)
    except PsigraphError:
        res = None
    views = {}
    for nid, spec in graph.nodes.items():
        if spec.placeholder:
            ins = sorted({e.dst_port for e in graph.edges if e.dst == nid})
            outs = sorted({e.src_port for e in graph.edges if e.src == nid})
            views[nid] = NodeView(nid, spec.type, True,
                                  tuple(PortView(p, "in", "unknown", "?") for p in ins),
                                  tuple(PortView(p, "out", "unknown", "?") for p in outs))
            continue
        cls = graph.node_class(nid)
        resolved_in = res.in_specs.get(nid, {}) if res else {}
        resolved_out = res.out_specs.get(nid, {}) if res else {}
        ports = []
        for decls, resolved in ((cls.inputs(), resolved_in), (cls.outputs(), resolved_out)):
            ports.append(tuple(PortView(name, d.direction, d.kind.name, _rate_text(graph, d, resolved.get(name)),
                                        d.doc, d.optional) for name, d in decls.items()))
        doc = (cls.__doc__ or "").strip().split("\n")[0]
        views[nid] = NodeView(nid, spec.type, False, ports[0], ports[1], frozenset(cls.HOT_PARAMS), doc)
    return views


def _rate_text(graph: Graph, decl, spec) -> str:
    if decl.kind.name != "signal":
        return decl.kind.name
    if spec is not None:
        return f"{format_hz(spec.rate_hz)} Hz"
    if decl.like:
        return f"like {decl.like}"
    if decl.rate is None or callable(decl.rate) or str(decl.rate).startswith("param:"):
        return "any" if decl.rate is None else "param"
    try:
        return f"{format_hz(graph.timebase.hz(decl.rate))} Hz"
    except PsigraphError:
        return str(decl.rate)


def positions(graph: Graph) -> dict[str, tuple[float, float]]:
    """Saved positions (``editor: positions``), and a layered layout for nodes without one."""
    saved = graph.editor.get("positions") if isinstance(graph.editor.get("positions"), dict) else {}
    out = {}
    for nid, pos in saved.items():
        if nid in graph.nodes and isinstance(pos, (list, tuple)) and len(pos) == 2:
            try:
                out[nid] = (float(pos[0]), float(pos[1]))
            except (TypeError, ValueError):
                pass
    missing = [nid for nid in graph.nodes if nid not in out]
    if not missing:
        return out
    g = nx.DiGraph()
    g.add_nodes_from(graph.nodes)
    g.add_edges_from((e.src, e.dst) for e in graph.edges if not e.delay)
    depth = {}
    for nid in _order(g):
        depth[nid] = max((depth.get(p, 0) + 1 for p in g.predecessors(nid) if p in depth), default=0)
    top = max((y for _, y in out.values()), default=-ROW) + ROW * 1.5 if out else 0.0
    rows: dict[int, int] = {}
    for nid in missing:
        d = depth.get(nid, 0)
        out[nid] = (d * COLUMN, top + rows.get(d, 0) * ROW)
        rows[d] = rows.get(d, 0) + 1
    return out


def _order(g: nx.DiGraph) -> list:
    try:
        return list(nx.topological_sort(g))
    except nx.NetworkXUnfeasible:            # a cycle: any order gives a readable layout
        return list(g.nodes)


def issues_by_node(issues: list[Issue]) -> dict[str, list[Issue]]:
    """Issues grouped by the node their path names (``nodes.<id>...``)."""
    out: dict[str, list[Issue]] = {}
    for issue in issues:
        parts = issue.path.split(".")
        if len(parts) >= 2 and parts[0] == "nodes":
            out.setdefault(parts[1], []).append(issue)
    return out


def issues_by_edge(graph: Graph, issues: list[Issue]) -> dict[int, list[Issue]]:
    """Issues grouped by edge index (``edges.<i>``)."""
    out: dict[int, list[Issue]] = {}
    for issue in issues:
        parts = issue.path.split(".")
        if len(parts) >= 2 and parts[0] == "edges" and parts[1].isdigit() and int(parts[1]) < len(graph.edges):
            out.setdefault(int(parts[1]), []).append(issue)
    return out


def unique_id(taken, base: str) -> str:
    """A node id not in ``taken`` (ids or a Graph's nodes) from a type or id: ``gain`` → ``gain1``."""
    stem = "".join(c if c.isalnum() or c == "_" else "_" for c in base.split("@")[0]).rstrip("0123456789") or "node"
    if not (stem[0].isalpha() or stem[0] == "_"):
        stem = "n_" + stem
    n = 1
    while f"{stem}{n}" in taken:
        n += 1
    return f"{stem}{n}"
