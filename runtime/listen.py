"""`psigraph listen IN.wav`: the avatar listens to a recording — events, face frames and a video.

The command loads graphs/listen.yaml (or --graph), points its audio source (``Node.ROLE`` audio
source, see :mod:`psigraph.chain`) at the input file, adds the sinks the flags ask for through
ordinary graph commands, validates everything before any output is opened and runs the graph to the
end of the file. ``--events`` writes every listening event (``syllable_onset``, ``phrase_boundary``,
``turn_end_predicted``, ``surprise`` and the face's reactions) in the ``events_sink`` format;
``--frames`` the face's blendshapes per video frame; ``--video`` renders the face listening with
the input audio muxed in. Outputs are published together only when the whole command succeeded.
"""
from __future__ import annotations

import os
import sys
import time

from psigraph import chain
from psigraph.errors import PsigraphError
from psigraph.progress import ProgressBar

from .graph_parts import add_events_sink, add_frames_sink, add_video, keep_only_what_feeds, one, parts, signal_out
from .say import MAX_SIZE, MIN_SIZE, validate

#: parts whose events outputs the --events file and the frames' event lists collect
EVENT_PARTS = (chain.LISTENER, chain.EVENTS, chain.FACE)


def default_graph_path() -> str:
    """Path of the shipped listening graph (graphs/listen.yaml)."""
    from psigraph.runtime.shipped import graph_path
    return graph_path("listen")


def register(sub) -> None:
    p = sub.add_parser("listen", help="listen to a recording: listening events, face frames, video",
                       description="Run the listening graph (graphs/listen.yaml) on IN (WAV/FLAC, any rate): "
                       "the avatar hears the speech, entrains to its rhythm, is surprised by what it did not "
                       "expect and predicts the end of the speaker's turn. Outputs replace earlier files only "
                       "when everything succeeded.")
    p.add_argument("input", metavar="IN.wav", help="the speech to listen to (WAV, FLAC, OGG; any sample rate)")
    p.add_argument("--events", metavar="E.jsonl", help="write every listening event as JSON Lines "
                   "(t = master index, time = seconds, kind, payload)")
    p.add_argument("--frames", metavar="F.jsonl", help="write one JSON line per 60 Hz video frame of the face")
    p.add_argument("--video", metavar="V.mp4|V.webm", help="render the listening face with the input audio muxed in")
    p.add_argument("--size", type=int, default=640,
                   help=f"video width and height in pixels, {MIN_SIZE}-{MAX_SIZE} (default 640)")
    p.add_argument("--graph", default=None, help="graph file to use instead of graphs/listen.yaml")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the graph's)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar, no summary line")
    p.set_defaults(run=run)


def check_args(args) -> None:
    """Argument checks that need no graph, before anything is opened."""
    if args.video and not MIN_SIZE <= args.size <= MAX_SIZE:
        raise PsigraphError(f"--size must be {MIN_SIZE}..{MAX_SIZE} pixels (got {args.size})")
    outs = [p for p in (args.events, args.frames, args.video) if p]
    if len({os.path.abspath(p) for p in outs}) != len(outs):
        raise PsigraphError("--events, --frames and --video must be different files")
    if any(os.path.abspath(p) == os.path.abspath(args.input) for p in outs):
        raise PsigraphError("an output would overwrite the input", where=args.input)
    if args.video:
        import importlib.util
        missing = [m for m in ("vispy", "av") if importlib.util.find_spec(m) is None]
        if missing:
            raise PsigraphError(f"--video needs {' and '.join(missing)}, which is not installed",
                                hint="pip install 'psigraph[export]'")


def event_outputs(g, found: dict) -> list:
    """'node.port' of every events output of the listening parts (listener, monitors, face)."""
    from psigraph.ports import Events
    refs = []
    for part in EVENT_PARTS:
        for nid in found.get(part, []):
            for port, decl in g.node_class(nid).outputs().items():
                if decl.kind is Events and port != "score":
                    refs.append(f"{nid}.{port}")
    return refs


def build_graph(args):
    """The listening graph configured for one `listen` invocation (not validated yet); also returns
    the ids of the sinks it added."""
    import psigraph
    g = psigraph.load(args.graph or default_graph_path())
    found = parts(g)
    source = one(found, chain.AUDIO_SOURCE, g, "audio source", like="graphs/listen.yaml")
    g.set_param(source, "path", args.input)
    audio = signal_out(g, source)
    events = event_outputs(g, found)
    face = found.get(chain.FACE, [None])[0]
    if (args.frames or args.video) and face is None:
        raise PsigraphError("--frames and --video need a face_animator in the graph", where=g.source_file or "graph")
    sinks = []
    if args.events:
        sinks.append(add_events_sink(g, events, args.events))
    if args.frames:
        sinks.append(add_frames_sink(g, signal_out(g, face), args.frames, events))
    if args.video:
        sinks.append(add_video(g, signal_out(g, face), audio, args.video, args.size))
    if sinks:
        keep_only_what_feeds(g, sinks)
    return g, sinks


def run(args) -> int:
    from psigraph.runtime import Session
    check_args(args)
    t_start = time.perf_counter()
    g, _ = build_graph(args)
    warnings = validate(g)
    for w in warnings:
        if w.severity == "warning" or not args.quiet:
            print(f"{w.severity}: {w.message}", file=sys.stderr)
    counts: dict = {}
    with Session(g, block=4800, seed=args.seed) as s:
        refs = event_outputs(g, parts(g))
        for ref in refs:
            s.watch(ref)
        source = next(x.node for x in s.slots.values() if type(x.node).ROLE == chain.AUDIO_SOURCE)
        total = max(1, source.end() or 1)
        t_ready = time.perf_counter()
        bar = ProgressBar(sys.stderr.isatty() and not args.quiet, delay_s=2.0)
        try:
            for got in s.until_done(max_duration=None):
                for ref in refs:
                    for e in got[ref]:
                        counts[e.kind] = counts.get(e.kind, 0) + 1
                bar.update(s.now / total, f"{s.now / s.master_rate:7.1f} s heard")
        finally:
            bar.done()
        seconds = s.now / s.master_rate
    wall = time.perf_counter() - t_ready
    if not args.quiet:
        outs = ", ".join(p for p in (args.events, args.frames, args.video) if p) or "(no files)"
        heard = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no events"
        print(f"{outs}: {seconds:.2f} s heard in {wall:.2f} s ({seconds / max(wall, 1e-9):.1f}× real time; "
              f"start-up {t_ready - t_start:.2f} s): {heard}", file=sys.stderr)
    return 0
