"""Semantic analysis of a Graph: types, params, ports, rates, cycles.

:func:`analyze` collects **every** problem as an :class:`~psigraph.errors.Issue`
(with a dotted document path such as ``nodes.core.params.n`` or ``edges.3`` that
the file loader turns into a line number) and, when there are none, returns a
:class:`Resolved` description that the runtime instantiates.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from . import digraph, registry
from .errors import Issue, PsigraphError, RegistryError
from .graph import Edge, Graph
from .node import DelayNode, signal_spec
from .ports import Signal, SignalSpec
from .timebase import Timebase, format_hz
from .util import did_you_mean


@dataclass
class Resolved:
    """Everything the runtime needs: classes, params, resolved Signal specs, order."""

    graph: Graph
    timebase: Timebase
    classes: dict = field(default_factory=dict)       # node id -> class
    params: dict = field(default_factory=dict)        # node id -> Params
    in_specs: dict = field(default_factory=dict)      # node id -> {port: SignalSpec}
    out_specs: dict = field(default_factory=dict)     # node id -> {port: SignalSpec}
    sources: dict = field(default_factory=dict)       # (node, in port) -> [Edge]


def analyze(graph: Graph) -> tuple[Resolved | None, list[Issue]]:
    """Check a graph; returns (resolved or None, issues)."""
    issues: list[Issue] = []
    def add(path, msg, code=""):
        issues.append(Issue(path, msg, file=graph.source_file, code=code))
    add.issues = issues
    try:
        tb = graph.timebase
        for name, hz in graph.rates.items():
            try:
                tb.period(name)
            except PsigraphError as e:
                add(f"graph.rates.{name}", e.message)
    except PsigraphError as e:
        add("graph.master_rate", e.message)
        return None, issues
    res = Resolved(graph, tb)

    # node types and params
    for nid, spec in graph.nodes.items():
        try:
            cls = registry.get(spec.type)
        except RegistryError as e:
            add(f"nodes.{nid}.type", e.message + ("; kept as a placeholder" if spec.placeholder else ""))
            continue
        res.classes[nid] = cls
        try:
            res.params[nid] = cls.Params.from_dict(spec.params)
        except PsigraphError as e:
            for err in getattr(e, "errors", [e]):
                text = err.message + (f"; {err.hint}" if err.hint and err.code != "param.unknown" else "")
                add(f"nodes.{nid}.params.{err.where}" if err.where else f"nodes.{nid}.params", text, err.code)

    # edges: endpoints and kinds
    good_edges: list[tuple[int, Edge]] = []
    for i, e in enumerate(graph.edges):
        ok = True
        for nid, port, direction in ((e.src, e.src_port, "out"), (e.dst, e.dst_port, "in")):
            if nid not in graph.nodes:
                add(f"edges.{i}", f"unknown node {nid!r}" + did_you_mean(nid, graph.nodes))
                ok = False
            elif nid in res.classes:
                cls = res.classes[nid]
                ports = cls.outputs() if direction == "out" else cls.inputs()
                if port not in ports:
                    other = cls.inputs() if direction == "out" else cls.outputs()
                    extra = (f"; {port!r} is an {'in' if direction == 'out' else 'out'}put"
                             if port in other else "")
                    add(f"edges.{i}", f"node {nid!r} ({cls.type_id}) has no {direction}put port {port!r}"
                        + did_you_mean(port, ports) + extra
                        + f"; its {direction}puts: {', '.join(ports) or '(none)'}")
                    ok = False
            else:
                ok = False          # placeholder: cannot check
        if e.delay < 0:
            add(f"edges.{i}", f"delay must be >= 0 (got {e.delay})")
            ok = False
        if ok:
            sk = res.classes[e.src].outputs()[e.src_port].kind
            dk = res.classes[e.dst].inputs()[e.dst_port].kind
            if sk is not dk:
                add(f"edges.{i}", f"cannot connect {e.src}.{e.src_port} ({sk.name}) to {e.dst}.{e.dst_port} ({dk.name})")
                ok = False
            elif e.delay and sk is not Signal:
                add(f"edges.{i}", "an edge delay is only allowed between signal ports")
                ok = False
        if ok:
            good_edges.append((i, e))
            res.sources.setdefault((e.dst, e.dst_port), []).append(e)

    for (nid, port), edges in res.sources.items():
        if len(edges) > 1 and res.classes[nid].inputs()[port].kind.name != "events":
            idx = graph.edges.index(edges[1])
            add(f"edges.{idx}", f"input {nid}.{port} is connected {len(edges)} times; a signal input takes one source"
                ", mix with an add node")
    for nid, cls in res.classes.items():
        for port, decl in cls.inputs().items():
            if not decl.optional and (nid, port) not in res.sources and decl.kind is Signal:
                add(f"nodes.{nid}.inputs.{port}", f"input port {port!r} is not connected"
                    f" (add an edge '<node>.<port> -> {nid}.{port}')", "input.unconnected")

    _resolve_rates(res, good_edges, add)
    _check_cycles(res, good_edges, add)
    _check_nodes(res, add)
    errors = [i for i in issues if i.severity == "error"]
    return (res if not errors else None), issues


def _check_nodes(res: Resolved, add) -> None:
    """Each node's own check() against its params and resolved input specs."""
    for nid, cls in res.classes.items():
        if nid not in res.params:
            continue
        try:
            found = cls.check(res.params[nid], dict(res.in_specs.get(nid, {})))
        except PsigraphError as e:
            found = [Issue(f"params.{e.where}" if e.where else "", e.message, code=e.code)]
        for issue in found:
            res_issue = Issue(f"nodes.{nid}.{issue.path}" if issue.path else f"nodes.{nid}", issue.message,
                              file=res.graph.source_file, severity=issue.severity, code=issue.code or "node.check")
            add.issues.append(res_issue)


def _resolve_rates(res: Resolved, edges, add) -> None:
    tb = res.timebase
    ins = {nid: {} for nid in res.classes}
    outs = {nid: {} for nid in res.classes}
    failed = set()
    for _ in range(len(res.classes) + 2):
        changed = False
        for nid, cls in res.classes.items():
            if nid not in res.params or nid in failed:
                continue
            p = res.params[nid]
            # inputs: declared spec or what the upstream port provides
            for port, decl in cls.inputs().items():
                if decl.kind is not Signal or port in ins[nid]:
                    continue
                srcs = res.sources.get((nid, port))
                if srcs and srcs[0].src in outs and srcs[0].src_port in outs[srcs[0].src]:
                    ins[nid][port] = outs[srcs[0].src][srcs[0].src_port]
                    changed = True
            for port, decl in cls.outputs().items():
                if decl.kind is not Signal or port in outs[nid]:
                    continue
                try:
                    spec = signal_spec(decl, p, tb, ins[nid], where=f"nodes.{nid}")
                except PsigraphError as e:
                    add(f"nodes.{nid}.params", f"output {port!r}: {e.message}")
                    failed.add(nid)
                    break
                if spec is not None:
                    outs[nid][port] = spec
                    changed = True
        if not changed:
            break
    # check every signal edge against declared input rules
    for i, e in edges:
        if e.src not in res.params or e.dst not in res.params:
            continue
        decl = res.classes[e.dst].inputs()[e.dst_port]
        if decl.kind is not Signal:
            continue
        src = outs.get(e.src, {}).get(e.src_port)
        if src is None:
            if e.src not in failed:
                add(f"edges.{i}", f"cannot infer the rate of {e.src}.{e.src_port}; give its node an explicit rate")
            continue
        want = None
        try:
            if decl.like and decl.like in ins[e.dst] and decl.like != e.dst_port:
                want = ins[e.dst][decl.like]
            elif decl.rate is not None:
                # a declared rate is checked even when the channels follow the source
                rule = decl if decl.channels is not None or decl.like else replace(decl, channels=src.channels)
                want = signal_spec(rule, res.params[e.dst], tb, ins[e.dst], where=f"nodes.{e.dst}")
        except PsigraphError as err:
            add(f"nodes.{e.dst}", err.message)
            continue
        if want is not None and want.period != src.period:
            add(f"edges.{i}", _rate_message(e, src, want, tb))
        elif want is not None and decl.channels is not None and want.channels != src.channels:
            add(f"edges.{i}", f"{e.src}.{e.src_port} has {src.channels} channels but {e.dst}.{e.dst_port} "
                f"expects {want.channels}")
    res.in_specs, res.out_specs = ins, outs


def _rate_message(e: Edge, src: SignalSpec, want: SignalSpec, tb: Timebase) -> str:
    s_hz, d_hz = tb.master_rate / src.period, tb.master_rate / want.period
    conv = "decimate (or resample)" if s_hz > d_hz else "hold (or resample)"
    return (f"rate mismatch: {e.src}.{e.src_port} runs at {format_hz(s_hz)} Hz but {e.dst}.{e.dst_port} "
            f"expects {format_hz(d_hz)} Hz; insert a {conv} node with rate {format_hz(d_hz)} between them")


def _check_cycles(res: Resolved, edges, add) -> None:
    """A cycle is legal only through an edge delay or a delay node (a DelayNode)."""
    live = [(i, e) for i, e in edges if not (e.delay or _is_delay(res.classes.get(e.dst)))]
    if not digraph.has_cycle(res.classes, [(e.src, e.dst) for _, e in live]):
        return
    import networkx as nx                       # only to list the cycles of a graph that has some
    g = nx.DiGraph()
    g.add_nodes_from(res.classes)
    for i, e in live:
        g.add_edge(e.src, e.dst, label=f"{e.src}.{e.src_port} -> {e.dst}.{e.dst_port}", index=i)
    for cyc in sorted(nx.simple_cycles(g)):
        i0 = cyc.index(min(cyc))
        cyc = cyc[i0:] + cyc[:i0]
        hops = [g.edges[a, b] for a, b in zip(cyc, cyc[1:] + cyc[:1])]
        text = " -> ".join([cyc[0]] + cyc[1:] + [cyc[0]])
        add(f"edges.{min(h['index'] for h in hops)}",
            f"zero-delay cycle {text} (via {', '.join(h['label'] for h in hops)}); put a delay node (ticks >= 1) or 'delay: N' on one of its edges")


def _is_delay(cls) -> bool:
    return isinstance(cls, type) and issubclass(cls, DelayNode)


def execution_order(res: Resolved) -> list[str]:
    """Deterministic topological order; inputs of delay nodes are cut only where they close a loop."""
    full = [(e.src, e.dst, bool(e.delay)) for edges in res.sources.values() for e in edges]
    looped = set()
    for comp in digraph.strongly_connected_components(res.classes, [(a, b) for a, b, _ in full]):
        if len(comp) > 1:
            looped |= comp
    kept = [(a, b) for a, b, delayed in full if not (delayed or (_is_delay(res.classes[b]) and b in looped))]
    return digraph.lexicographic_order(res.classes, kept)


def check(graph: Graph) -> list[Issue]:
    """All issues of a graph (empty when it is valid)."""
    return analyze(graph)[1]
