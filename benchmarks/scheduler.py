"""Scheduler overhead benchmark.

Prints (1) the median runtime overhead per node call in µs — scheduler wall time
minus the time spent inside ``process()``, divided by the number of calls — and
(2) a chain of 50 ``gain`` nodes at 24 kHz against a plain numpy loop doing the
same arithmetic on the same blocks, as a ratio measured in the same run.

    python benchmarks/scheduler.py [--seconds 10] [--block 480]
Targets (issue 2): overhead <= 20 µs per call; chain within 3x of numpy.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from psigraph import Graph
from psigraph.runtime import Session


def gain_chain(n: int = 50) -> Graph:
    g = Graph(name="chain")
    g.add_node("src", "sine", {"freq": 220.0})
    prev = "src.y"
    for i in range(n):
        g.add_node(f"g{i}", "gain", {"gain": 1.0001})
        g.connect(prev, f"g{i}.x")
        prev = f"g{i}.y"
    return g


def run_chain(seconds: float, block: int, n: int = 50) -> tuple[float, float, int]:
    s = Session(gain_chain(n), block=block)
    s.run(duration=0.05)                       # warm-up
    for slot in s.slots.values():
        slot.calls = slot.total_ns = 0
    t = time.perf_counter()
    s.run(duration=seconds)
    wall = time.perf_counter() - t
    inside = sum(slot.total_ns for slot in s.slots.values()) / 1e9
    calls = sum(slot.calls for slot in s.slots.values())
    return wall, inside, calls


def numpy_chain(seconds: float, block: int, n: int = 50) -> float:
    total = int(seconds * 24000)
    k, phase = 0, 0.0
    t = time.perf_counter()
    while k < total:
        m = min(block, total - k)
        x = np.sin(2 * np.pi * 220.0 * np.arange(k, k + m) / 24000.0)[:, None]
        for _ in range(n):
            x = x * 1.0001
        k += m
    return time.perf_counter() - t


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--block", type=int, default=4800)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args(argv)
    overheads, ratios = [], []
    for _ in range(a.repeats):
        wall, inside, calls = run_chain(a.seconds, a.block)
        ref = numpy_chain(a.seconds, a.block)
        overheads.append((wall - inside) / calls * 1e6)
        ratios.append(wall / ref)
    print(f"block {a.block} master samples, {a.seconds:g} s of audio, 50 gain nodes + source, {a.repeats} repeats")
    print(f"scheduler overhead per node call: median {statistics.median(overheads):.2f} µs "
          f"(min {min(overheads):.2f}, max {max(overheads):.2f})   target <= 20 µs")
    print(f"50-gain chain vs plain numpy loop: median ratio {statistics.median(ratios):.2f}x "
          f"(min {min(ratios):.2f})   target <= 3x")
    print(f"chain real-time factor: {wall / a.seconds:.4f}")


if __name__ == "__main__":
    main()
