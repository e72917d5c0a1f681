"""Copy and paste as graph-file fragments (no Qt): the clipboard holds a small graph file.

:func:`copy_text` writes the selected nodes, the edges between them and their positions in
the canonical file format, so a fragment pasted into another file (or another editor,
or a text editor) reads exactly like a graph. :func:`paste_command` turns a fragment into
one :class:`~psigraph.graph.Compound` command: ids that are taken get a fresh one,
positions are shifted, unknown node types stay placeholders.
"""
from __future__ import annotations

from psigraph import fileformat
from psigraph.errors import GraphFileError, Issue, PsigraphError
from psigraph.graph import AddNode, Compound, Connect, Disconnect, Edge, Graph, MoveNode, RemoveNode, SetProbe

from .viewmodel import positions, unique_id

MIME = "application/x-psigraph-fragment"


def copy_text(graph: Graph, nids) -> str:
    """The selected nodes as a graph file (edges only between selected nodes)."""
    chosen = [nid for nid in graph.nodes if nid in set(nids)]
    part = Graph(f"{graph.name} fragment", graph.master_rate, graph.seed, graph.rates)
    for nid in chosen:
        part.nodes[nid] = graph.nodes[nid]
    part.edges = [e for e in graph.edges if e.src in part.nodes and e.dst in part.nodes]
    where = positions(graph)
    part.editor = {"positions": {nid: [round(where[nid][0]), round(where[nid][1])] for nid in chosen}}
    return fileformat.dumps(part)


def paste_command(graph: Graph, text: str, offset=(40, 40)) -> tuple[Compound, list[str]]:
    """One command adding the fragment's nodes, edges and positions; returns it and the new ids."""
    part, issues = fileformat.load_report(text, filename="<clipboard>")
    if part is None:
        raise GraphFileError(issues or [Issue("", "the clipboard holds no psigraph nodes")])
    if not part.nodes:
        raise PsigraphError("the clipboard holds no psigraph nodes", hint="copy nodes in a psigraph editor first")
    where = positions(part)
    rename, taken = {}, set(graph.nodes)
    for nid in part.nodes:
        new = unique_id(taken, nid) if nid in taken else nid
        rename[nid] = new
        taken.add(new)
    cmds: list = []
    for nid, spec in part.nodes.items():
        cmds.append(AddNode(rename[nid], spec.type, dict(spec.params), placeholder=spec.placeholder,
                            extra=dict(spec.extra)))
        x, y = where[nid]
        cmds.append(MoveNode(rename[nid], [round(x + offset[0]), round(y + offset[1])]))
    for e in part.edges:
        cmds.append(Connect(Edge(rename[e.src], e.src_port, rename[e.dst], e.dst_port, e.delay)))
    new_ids = [rename[n] for n in part.nodes]
    return Compound(cmds, f"paste {', '.join(new_ids)}"), new_ids


def delete_command(graph: Graph, nids, edges=()) -> Compound:
    """One command removing the selected edges and nodes, with their positions and probes."""
    nids = [n for n in graph.nodes if n in set(nids)]
    cmds: list = []
    for e in edges:
        if e in graph.edges and e.src not in nids and e.dst not in nids:
            cmds.append(Disconnect(e))
    saved = graph.editor.get("positions") if isinstance(graph.editor.get("positions"), dict) else {}
    probes = graph.editor.get("probes") if isinstance(graph.editor.get("probes"), list) else []
    for p in probes:
        port = str(p.get("port", "")) if isinstance(p, dict) else ""
        if port.partition(".")[0] in nids:
            cmds.append(SetProbe(port, None))
    for nid in nids:
        if nid in saved:
            cmds.append(MoveNode(nid, None))
        cmds.append(RemoveNode(nid))
    label = f"delete {', '.join(nids)}" if nids else f"delete {len(cmds)} edges"
    return Compound(cmds, label)
