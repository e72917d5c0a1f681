"""`psigraph say`: text → speech WAV (+ face frames JSONL, + MP4/WebM) on the default graph.

The command loads graphs/speak.yaml (or --graph), sets the text, emotion and
persona, adds the sinks the flags ask for through ordinary graph commands, and
runs the graph offline until the utterance has ended.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from importlib import resources

import numpy as np

from psigraph.errors import PsigraphError

EMOTIONS = ("neutral", "happy", "sad", "angry", "calm", "excited", "surprised")


def default_graph_path() -> str:
    """Path of the shipped default graph (graphs/speak.yaml)."""
    local = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "graphs", "speak.yaml")
    if os.path.exists(local):
        return local
    return str(resources.files("psigraph.graphs") / "speak.yaml")


def register(sub) -> None:
    p = sub.add_parser("say", help="speak text to a WAV file (and face frames / video)",
                       description="Synthesize TEXT with the default graph (graphs/speak.yaml).")
    p.add_argument("text", help="what to say (use quotes)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.wav", help="mono 16-bit WAV to write")
    p.add_argument("--emotion", default="auto",
                   help=f"{'|'.join(EMOTIONS)}, 'auto' (from the text) or a V,A,D triple such as 0.6,0.4,0.1")
    p.add_argument("--persona", default="default", help="persona name or YAML file")
    p.add_argument("--rate", type=float, default=1.0, help="speaking-rate factor (default 1.0)")
    p.add_argument("--frames", metavar="F.jsonl", help="also write one JSON line per 60 Hz video frame")
    p.add_argument("--video", metavar="V.mp4|V.webm", help="also render the face and mux it with the audio")
    p.add_argument("--size", type=int, default=640, help="video width and height in pixels (default 640)")
    p.add_argument("--graph", default=None, help="graph file to use instead of graphs/speak.yaml")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the graph's)")
    p.set_defaults(run=run)


def build_graph(args):
    """The speak graph configured for one `say` invocation."""
    import psigraph
    g = psigraph.load(args.graph or default_graph_path())
    for nid, name, value in (("text", "text", args.text), ("planner", "emotion", args.emotion),
                             ("planner", "persona", args.persona), ("voice", "persona", args.persona),
                             ("planner", "rate", float(args.rate)),
                             ("wav", "path", args.output)):
        if nid not in g.nodes:
            raise PsigraphError(f"the graph has no node {nid!r}", where=g.source_file,
                                hint="say needs nodes text, planner, voice, face and wav")
        g.set_param(nid, name, value)
    if args.frames:
        g.add_node("frames", "frames_sink", {"path": args.frames})
        g.connect("face.blendshapes", "frames.blendshapes")
        if "surprise" in g.nodes:
            g.connect("surprise.events", "frames.events")
    if args.video:
        ext = os.path.splitext(args.video)[1].lower()
        if ext not in (".mp4", ".webm"):
            raise PsigraphError(f"--video must end in .mp4 or .webm (got {args.video!r})")
        import importlib.util
        missing = [m for m in ("vispy", "av") if importlib.util.find_spec(m) is None]
        if missing:
            raise PsigraphError(f"--video needs {' and '.join(missing)}, which is not installed",
                                hint="pip install 'psigraph[export]'")
    # the video is rendered after the run from the face's blendshapes (see export_video below)
    _keep_only_what_feeds(g, [n for n in ("wav", "frames", "face" if args.video else "") if n in g.nodes])
    return g


def _keep_only_what_feeds(g, sinks) -> None:
    """Remove nodes whose results reach none of ``sinks`` (e.g. the face when only a WAV is asked)."""
    import networkx as nx
    view = g.nx()
    keep = set(sinks)
    for sink in sinks:
        keep |= nx.ancestors(view, sink)
    for nid in [n for n in g.nodes if n not in keep]:
        g.remove_node(nid)


def export_video(path: str, blendshapes, audio, size: int = 640) -> dict:
    """Render the head for every 60 Hz row of blendshapes (in a worker process) and mux with the audio."""
    from psigraph.nodes.face.render_pool import render_frames_parallel
    from psigraph.nodes.face.video import export_video as _export
    frames = render_frames_parallel(blendshapes, (size, size), workers=2)   # 2 render processes: 0.85x clip length
    return _export(path, frames, audio, fps=60, sample_rate=24000, progress=sys.stderr.isatty(),
                   total_frames=len(blendshapes))


def run(args) -> int:
    from psigraph.runtime import Session
    if not args.text.strip():
        raise PsigraphError("nothing to say: the text is empty", where="text",
                            hint="give at least one word, number or letter")
    for path in (args.output, args.frames, args.video):
        if path and os.path.dirname(os.path.abspath(path)) and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            raise PsigraphError(f"folder of {path!r} does not exist", hint="create it first")
    g = build_graph(args)
    t = time.perf_counter()
    with Session(g, block=4800, seed=args.seed) as s:
        if args.video:
            face, audio = s.tap("face.blendshapes"), s.tap("voice.audio")
        s.run_until_done(tail=0.0)
        seconds = s.now / s.master_rate
    if args.video:
        export_video(args.video, np.asarray(face), np.asarray(audio)[:, 0], args.size)
    wall = time.perf_counter() - t
    extra = "".join(f", {p}" for p in (args.frames, args.video) if p)
    print(f"{args.output}{extra}: {seconds:.2f} s of speech in {wall:.2f} s (real-time factor {wall / seconds:.3f})",
          file=sys.stderr)
    return 0


def stream(text: str, emotion: str = "auto", persona: str = "default", block: int = 480, graph: str | None = None):
    """Yield mono 24 kHz audio blocks (float arrays) as the default graph makes them."""
    import psigraph
    from psigraph.runtime import Session
    g = psigraph.load(graph or default_graph_path())
    g.set_param("text", "text", text)
    g.set_param("planner", "emotion", emotion)
    g.set_param("planner", "persona", persona)
    if "wav" in g.nodes:
        g.remove_node("wav")
    s = Session(g, block=block)
    tap = s.tap("voice.audio")
    finite = [x.node for x in s.slots.values() if type(x.node).FINITE]
    try:
        while True:
            s.advance_to(s.now + block)
            data = tap.data
            tap.clear()
            if len(data):
                yield data[:, 0]
            if all(n.done() for n in finite):
                break
    finally:
        s.close()


if __name__ == "__main__":  # pragma: no cover
    ap = argparse.ArgumentParser()
    register(ap.add_subparsers())
    a = ap.parse_args()
    sys.exit(a.run(a))
