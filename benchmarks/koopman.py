"""koopman_monitor and surprise_detector speed on 16 observables, against real time.

Feeds the recorded ψ-state of the live core (8 role phases → 16 cos/sin
observables, 4 delays: a 64-dimensional embedding) through ``process()`` in
blocks, and prints the real-time factor and µs per control tick (best of
``--repeats``; wall and process-CPU clocks). Also prints the forecast quality
on that run: NRMSE of the 50 ms forecast and of persistence.

    python benchmarks/koopman.py [--seconds 20] [--repeats 5]
Target (issue 3): koopman_monitor on 16 observables >= 50x real time.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from psigraph import Graph, registry
from psigraph.ports import SignalSpec
from psigraph.runtime import Session
from psigraph.testing import instantiate

for _m in ("psi", "koopman", "surprise"):
    registry.import_pack(f"psigraph.nodes.{_m}.node")
from psigraph.nodes.koopman.node import KoopmanMonitor  # noqa: E402
from psigraph.nodes.surprise.node import SurpriseDetector  # noqa: E402

ROLES = ["syllable", "jaw", "breath", "blink", "smile", "brow", "head_pitch", "head_yaw"]


def record(seconds: float):
    g = Graph(seed=3)
    g.add_node("core", "psi_core", {})
    s = Session(g, block=4800)
    s.tap("core.state")
    s.run(duration=seconds)
    return s.tap("core.state"), s.slots["core"].node.out_specs["state"]


def rate(make, X, ticks_per_call, repeats, clock):
    best = float("inf")
    for _ in range(repeats):
        node = make()
        t = clock()
        for a in range(0, len(X), ticks_per_call):
            b = min(len(X), a + ticks_per_call)
            node.t0, node.t1 = a * 120, b * 120
            node.process(X[a:b])
        best = min(best, clock() - t)
    return len(X) / 200 / best


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args(argv)
    X, spec = record(a.seconds)
    chans = [f"phase:{r}" for r in ROLES]
    kp = lambda: instantiate(KoopmanMonitor, {"channels": chans}, inputs={"x": spec})  # noqa: E731
    node = kp()
    print(f"koopman_monitor: {node.M} observables x {node.params.delays} delays = {node.m}-dim embedding, "
          f"horizon {node.horizon} ticks")
    rate(kp, X[:400], 40, 1, time.perf_counter)                  # compile
    for tpc in (4, 40):
        w = rate(kp, X, tpc, a.repeats, time.perf_counter)
        c = rate(kp, X, tpc, a.repeats, time.process_time)
        print(f"  {tpc:3d} ticks/call: {w:7.0f}x real time wall ({5000 / w:6.1f} µs/tick), "
              f"{c:7.0f}x by CPU time ({5000 / c:6.1f} µs/tick)")
    node = kp()
    node.t0, node.t1 = 0, len(X) * 120
    out = node.process(X)
    obs, H = node.observables(X), node.horizon
    late = slice(len(X) // 4, None)
    rms = np.sqrt((obs ** 2).mean())
    nrmse = np.sqrt(((out["prediction"][:-H] - obs[H:])[late] ** 2).mean()) / rms
    pers = np.sqrt(((obs[:-H] - obs[H:])[late] ** 2).mean()) / rms
    print(f"  50 ms forecast NRMSE {nrmse:.4f} vs persistence {pers:.4f} (ratio {nrmse / pers:.3f}; target <= 0.25)")
    print(f"  leading modes (Hz, 1/s): {np.round(out['eigs'][-1], 3).tolist()}")
    err = out["error1"]
    espec = {"error": SignalSpec(120, 1, "float64", (), 200.0)}
    sd = lambda: instantiate(SurpriseDetector, {}, inputs=espec)  # noqa: E731
    rate(sd, err[:400], 40, 1, time.perf_counter)
    w = rate(sd, err, 40, a.repeats, time.perf_counter)
    print(f"surprise_detector, 40 ticks/call: {w:7.0f}x real time ({5000 / w:6.2f} µs/tick)")
    print("target: koopman_monitor >= 50x real time")


if __name__ == "__main__":
    main()
