"""`psigraph live [G.yaml]`: run a graph in real time on the sound card (its audio_sink), or from
the microphone (an audio_source without a file, e.g. graphs/listen.yaml).

Without a graph it plays graphs/live.yaml: the speak chain into an audio_sink. A graph that only
listens is paced by the input device (:class:`~psigraph.runtime.realtime.InputRunner`).
"""
from __future__ import annotations

import sys


def default_live_graph() -> str:
    """Path of the shipped default graph (graphs/live.yaml)."""
    from psigraph.runtime.shipped import graph_path
    return graph_path("live")


def register(sub) -> None:
    p = sub.add_parser("live", help="run a graph in real time on the sound card (or from the microphone)",
                       description="Run G.yaml (default: graphs/live.yaml, the speak chain) in real time; "
                       "its audio_sink plays on the default device. A graph whose audio_source reads the "
                       "input device (path: '', as in graphs/listen.yaml) listens to the microphone.")
    p.add_argument("graph", nargs="?", help="graph file with an audio_sink or a live audio_source "
                   "(default graphs/live.yaml)")
    p.add_argument("--text", help="what to say (graphs with a text input)")
    p.add_argument("--duration", type=float, default=None,
                   help="seconds to play (default: until the text is spoken, or 10 s)")
    p.add_argument("--block", type=int, default=480, help="block size in master samples (default 480 = 20 ms)")
    p.add_argument("--ahead", type=float, default=0.1, help="seconds computed ahead of the device (default 0.1)")
    p.add_argument("--device", default=None, help="sound device name or index")
    p.set_defaults(run=run)


def run(args) -> int:
    import psigraph
    from psigraph import chain
    from psigraph.errors import PsigraphError
    from psigraph.runtime import Session
    from psigraph.runtime.realtime import RealtimeRunner, open_input_stream, open_output_stream
    from psigraph.runtime.graph_parts import parts
    g = psigraph.load(args.graph or default_live_graph())
    if args.text is not None:
        ids = parts(g).get(chain.TEXT_INPUT, [])
        if not ids:
            raise PsigraphError("--text needs a graph with a text_source", where=g.source_file)
        g.set_param(ids[0], "text", args.text)
    if args.duration is not None and not 0 < args.duration <= 24 * 3600:
        raise PsigraphError(f"--duration must be > 0 and at most a day (got {args.duration})")
    found = parts(g)
    listening = any(not g.nodes[n].params.get("path") for n in found.get(chain.AUDIO_SOURCE, []))
    if listening and not found.get(chain.AUDIO_DEVICE):
        return _listen(g, args)
    stream = open_output_stream()            # fails with one line before any work when there is no sound
    if listening:
        open_input_stream()
    with Session(g, block=args.block) as s:
        runner = RealtimeRunner(s, ahead_s=args.ahead)
        until_done = args.duration is None and s.has_end and not listening
        stats = runner.play(args.duration if args.duration is not None else 10.0, device=args.device,
                            until_done=until_done, stream=stream)
    print(f"played {stats['graph_time_s']:.2f} s; under-runs: {stats['underruns']} "
          f"({stats['missing_frames']} frames of silence)" + _input_line(stats), file=sys.stderr)
    return 0


def _listen(g, args) -> int:
    """A graph that only listens: paced by the microphone for --duration seconds (default: until
    interrupted)."""
    from psigraph.runtime import Session
    from psigraph.runtime.realtime import InputRunner, open_input_stream
    stream = open_input_stream()             # one line before any work when there is no microphone
    with Session(g, block=max(args.block, CATCH_UP_BLOCK)) as s:     # large chunks only when catching up
        runner = InputRunner(s, block=args.block)
        try:
            stats = runner.listen(args.duration if args.duration is not None else 24 * 3600.0, stream=stream)
        except KeyboardInterrupt:
            stats = runner.stats()
    print(f"listened {stats['graph_time_s']:.2f} s" + _input_line(stats), file=sys.stderr)
    return 0


CATCH_UP_BLOCK = 4800


def _input_line(stats: dict) -> str:
    if "input_underruns" not in stats:
        return ""
    return (f"; input under-runs: {stats['input_underruns']} ({stats['input_missing_frames']} frames of silence), "
            f"overruns: {stats['input_overruns']} ({stats['input_dropped_frames']} frames dropped)")
