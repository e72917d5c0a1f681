"""psi_core speed: the seed configuration (168 band oscillators + 9 roles) against real time.

Runs the node alone through the runtime (``Session``) and as a bare ``process()``
loop, for several block sizes, and prints the real-time factor (simulated
seconds per wall second) and µs per control tick. Wall times are the best of
``--repeats`` runs (the machine is shared), measured after a warm-up that
compiles the kernels.

    python benchmarks/psi_core.py [--seconds 20] [--repeats 5]
Target (issue 3): >= 500x real time on one core.
"""
from __future__ import annotations

import argparse
import time

from psigraph import Graph, chain, registry
from psigraph.runtime import Session
from psigraph.testing import instantiate

registry.import_pack("psigraph.nodes.psi.node")
from psigraph.nodes.psi.node import PsiCore  # noqa: E402


def session_rate(seconds: float, block: int, repeats: int) -> tuple[float, float]:
    best = float("inf")
    best_node = float("inf")
    for _ in range(repeats):
        g = Graph(seed=1)
        g.add_node("core", "psi_core", chain.speak_core_params())
        s = Session(g, block=block)
        s.run(duration=0.05)
        s.slots["core"].total_ns = 0
        t = time.perf_counter()
        s.run(duration=seconds)
        best = min(best, time.perf_counter() - t)
        best_node = min(best_node, s.slots["core"].total_ns * 1e-9)
    return seconds / best, seconds / best_node


def process_rate(seconds: float, ticks_per_call: int, repeats: int, clock=time.perf_counter) -> float:
    node = instantiate(PsiCore, chain.speak_core_params())
    span = ticks_per_call * 120
    node.t0, node.t1 = 0, span
    node.process(score=[])
    calls = int(seconds * 200 / ticks_per_call)
    best = float("inf")
    k = 1
    for _ in range(repeats):
        t = clock()
        for _ in range(calls):
            node.t0, node.t1 = k * span, (k + 1) * span
            node.process(score=[])
            k += 1
        best = min(best, clock() - t)
    return calls * ticks_per_call / 200 / best


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args(argv)
    n = instantiate(PsiCore, chain.speak_core_params()).layout.n
    print(f"psi_core seed configuration: {n} oscillators, substeps 1, control rate 200 Hz")
    for ticks in (4, 40, 400):
        x = process_rate(a.seconds, ticks, a.repeats)
        c = process_rate(a.seconds, ticks, a.repeats, time.process_time)
        print(f"  process() loop, {ticks:4d} ticks/call: {x:8.0f}x real time wall ({5000 / x:6.2f} µs/tick), "
              f"{c:8.0f}x by process CPU time ({5000 / c:6.2f} µs/tick)")
    for block in (480, 4800):
        whole, node = session_rate(a.seconds, block, a.repeats)
        print(f"  Session block {block:5d}: {whole:8.0f}x real time (node share only: {node:.0f}x)")
    print("target: >= 500x real time")


if __name__ == "__main__":
    main()
