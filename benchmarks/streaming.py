"""Streaming latency: time from text arrival to the first audio block of the default graph.

    python benchmarks/streaming.py [--block 480]
Target (issue 4): first block <= 50 ms after the text arrives.
"""
from __future__ import annotations

import argparse
import statistics
import time

from psigraph.runtime.say import stream

SENTENCES = ["Hello! I'm Tori.", "The birch canoe slid on the smooth planks.",
             "Can you hear me now?", "It is 3:30 and the meeting starts at four."]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--block", type=int, default=480)
    a = ap.parse_args(argv)
    next(stream("Warm up.", block=a.block))            # compile / load caches once
    lat = []
    for text in SENTENCES * 3:
        t = time.perf_counter()
        gen = stream(text, block=a.block)
        next(gen)
        lat.append((time.perf_counter() - t) * 1e3)
        gen.close()
    print(f"first audio block ({a.block} samples = {a.block / 24:.0f} ms) after text: "
          f"median {statistics.median(lat):.1f} ms, max {max(lat):.1f} ms   target <= 50 ms")


if __name__ == "__main__":
    main()
