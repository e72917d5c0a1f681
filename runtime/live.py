"""`psigraph live G.yaml`: run a graph in real time on the sound card (its audio_sink)."""
from __future__ import annotations

import sys


def register(sub) -> None:
    p = sub.add_parser("live", help="run a graph in real time on the sound card",
                       description="Run G.yaml in real time; its audio_sink plays on the default device.")
    p.add_argument("graph", help="graph file with an audio_sink node")
    p.add_argument("--duration", type=float, default=10.0, help="seconds to play (default 10)")
    p.add_argument("--block", type=int, default=480, help="block size in master samples (default 480 = 20 ms)")
    p.add_argument("--ahead", type=float, default=0.1, help="seconds computed ahead of the device (default 0.1)")
    p.add_argument("--device", default=None, help="sound device name or index")
    p.set_defaults(run=run)


def run(args) -> int:
    from psigraph.runtime import Session
    from psigraph.runtime.realtime import RealtimeRunner
    s = Session(args.graph, block=args.block)
    stats = RealtimeRunner(s, ahead_s=args.ahead).play(args.duration, device=args.device)
    print(f"played {stats['graph_time_s']:.2f} s; under-runs: {stats['underruns']} "
          f"({stats['missing_frames']} frames of silence)", file=sys.stderr)
    s.close()
    return 0
