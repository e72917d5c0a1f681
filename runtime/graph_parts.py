"""Find the parts of a shipped graph by role and add the output sinks a command asks for.

`say`, `listen`, `converse` and `replay`/`export` configure graphs the same way: find nodes by
their ``ROLE`` (psigraph.chain parts), add WAV/frames/video/events sinks with fresh ids, and drop
the nodes whose results reach none of the sinks (no face work when only a WAV is asked for).
"""
from __future__ import annotations

from psigraph.errors import PsigraphError


def parts(graph) -> dict:
    """{part: [node ids]} of a graph, from each node class's ROLE."""
    from psigraph import registry
    out: dict = {}
    for nid, spec in graph.nodes.items():
        if registry.has(spec.type):
            out.setdefault(registry.get(spec.type).ROLE, []).append(nid)
    return out


def one(found: dict, part: str, graph, what: str, like: str = "graphs/speak.yaml") -> str:
    """The id of the single node of ``part``; a one-line error (naming a shipped graph ``like`` it)
    when there is none or several."""
    ids = found.get(part, [])
    if len(ids) != 1:
        raise PsigraphError(f"the graph needs exactly one {what} node (found {len(ids)})",
                            where=graph.source_file or "graph", hint=f"use a graph like {like}")
    return ids[0]


def output_of(graph, nid: str, kind_test) -> str:
    """'node.port' of the first output of ``nid`` whose declaration passes ``kind_test``."""
    from psigraph import registry
    cls = registry.get(graph.nodes[nid].type)
    for port, decl in cls.outputs().items():
        if kind_test(port, decl):
            return f"{nid}.{port}"
    raise PsigraphError(f"node {nid!r} has no suitable output", where=graph.source_file or "graph")


def signal_out(graph, nid: str) -> str:
    """The first signal output of ``nid``."""
    from psigraph.ports import Signal
    return output_of(graph, nid, lambda p, d: d.kind is Signal)


def events_out(graph, nid: str) -> str:
    """The first events output of ``nid``."""
    from psigraph.ports import Events
    return output_of(graph, nid, lambda p, d: d.kind is Events)


def fresh_id(g, base: str) -> str:
    """``base``, or ``base2``, ``base3`` … whichever is not a node id yet."""
    nid, k = base, 1
    while nid in g.nodes:
        k += 1
        nid = f"{base}{k}"
    return nid


def keep_only_what_feeds(g, sinks) -> None:
    """Remove nodes whose results reach none of ``sinks`` (e.g. the face when only a WAV is asked)."""
    from psigraph import digraph
    edges = [(e.src, e.dst) for e in g.edges]
    keep = set(sinks)
    for sink in sinks:
        keep |= digraph.ancestors(edges, sink)
    for nid in [n for n in g.nodes if n not in keep]:
        g.remove_node(nid)


def wav_output(g, wavs: list, audio: str, path: str | None) -> str | None:
    """Point the graph's WAV sink at ``path`` (adding one on ``audio`` if it has none); with no
    path, remove its WAV sinks. Returns the sink id or None."""
    if path is None:
        for nid in wavs:
            g.remove_node(nid)
        return None
    if wavs:
        g.set_param(wavs[0], "path", path)
        return wavs[0]
    nid = fresh_id(g, "wav")
    g.add_node(nid, "wav_sink", {"path": path})
    g.connect(audio, f"{nid}.x")
    return nid


def add_frames_sink(g, blend: str, path: str, events: list = (), persona: str | None = None) -> str:
    """A frames_sink on the blendshapes ``blend`` and the events outputs ``events``."""
    nid = fresh_id(g, "frames")
    g.add_node(nid, "frames_sink", {"path": path, **_persona(g, "frames_sink", persona)})
    g.connect(blend, f"{nid}.blendshapes")
    for ref in events:
        g.connect(ref, f"{nid}.events")
    return nid


def add_video(g, blend: str, audio: str, path: str, size: int, persona: str | None = None) -> str:
    """face_render + video_sink: the face of ``blend`` with the sound of ``audio`` into ``path``."""
    render, video = fresh_id(g, "render"), fresh_id(g, "video")
    g.add_node(render, "face_render", {"width": size, "height": size, **_persona(g, "face_render", persona)})
    g.add_node(video, "video_sink", {"path": path, "width": size, "height": size})
    g.connect(blend, f"{render}.blendshapes")
    g.connect(f"{render}.frames", f"{video}.frames")
    g.connect(audio, f"{video}.audio")
    return video


def add_events_sink(g, events: list, path: str) -> str:
    """An events_sink on every events output in ``events``."""
    nid = fresh_id(g, "events")
    g.add_node(nid, "events_sink", {"path": path})
    for ref in events:
        g.connect(ref, f"{nid}.x")
    return nid


def _persona(g, node_type: str, persona: str | None) -> dict:
    """{"persona": persona} when the node type has that param (the persona's face), else {}."""
    from psigraph import registry
    if not persona or not registry.has(node_type):
        return {}
    names = {f.name for f in registry.get(node_type).Params.fields()}
    return {"persona": persona} if "persona" in names else {}
