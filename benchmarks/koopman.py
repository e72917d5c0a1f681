"""koopman_monitor and surprise_detector speed on 16 observables, against real time.

Feeds the recorded ψ-state of the live core (8 role phases → 16 cos/sin
observables, 4 delays: a 64-dimensional embedding) through ``process()`` in
blocks, and prints the real-time factor and µs per control tick (best of
``--repeats``; wall and process-CPU clocks). Also prints the forecast quality
on that run: NRMSE of the 50 ms forecast and of persistence, and the 50 ms
forecast NRMSE on noise-free sums of k = 1…4 random sinusoids on one channel
(2k delays) next to batch least squares on the same embedding.

    python benchmarks/koopman.py [--seconds 20] [--repeats 5]
Targets: koopman_monitor on 16 observables >= 50x real time (issue 3); live-core forecast
<= 0.25x persistence; sums of sinusoids <= 1e-6, as batch least squares (issue 8).
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from psigraph import Graph, chain, registry
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
    g.add_node("core", "psi_core", chain.speak_core_params())
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


def sinusoid_exactness(seeds=range(4), n=1200, H=10) -> dict:
    """Worst 50 ms NRMSE (after 250 ms) per k of the monitor and of batch least squares, delays = 2k."""
    out = {}
    for k in range(1, 5):
        worst = [0.0, 0.0]
        for seed in seeds:
            rng = np.random.default_rng(1000 * k + seed)
            f, a, ph = rng.uniform(0.2, 40.0, k), rng.uniform(0.2, 2.0, k), rng.uniform(0, 2 * np.pi, k)
            x = (a[:, None] * np.cos(2 * np.pi * f[:, None] * np.arange(n) / 200 + ph[:, None])).sum(0)
            d = 2 * k
            node = instantiate(KoopmanMonitor, {"delays": d}, inputs={"x": SignalSpec(120, 1, "float64", (), 200.0)})
            node.t0, node.t1 = 0, n * 120
            stream = node.process(x[:, None])["prediction"][:, 0]
            U = np.stack([x[d - 1 - j:n - 1 - j] for j in range(d)], 1)
            w = np.linalg.lstsq(U, x[d:], rcond=None)[0]
            B = np.stack([x[d - 1 - j:n - j] for j in range(d)], 1)
            for _ in range(H):
                B = np.concatenate([(B @ w)[:, None], B[:, :-1]], 1)
            batch = np.full(n, np.nan)
            batch[d - 1:] = B[:, 0]
            for i, p in enumerate((stream, batch)):
                e = (p[:-H] - x[H:])[50:]
                worst[i] = max(worst[i], float(np.sqrt((e ** 2).mean() / (x ** 2).mean())))
        out[k] = worst
    return out


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
    print("  sums of k random sinusoids, one channel, 2k delays: worst 50 ms NRMSE (target <= 1e-6)")
    for k, (stream, batch) in sinusoid_exactness().items():
        print(f"    k = {k}: koopman_monitor {stream:.1e}, batch least squares {batch:.1e}")
    err = out["error1"]
    espec = {"error": SignalSpec(120, 1, "float64", (), 200.0)}
    sd = lambda: instantiate(SurpriseDetector, {}, inputs=espec)  # noqa: E731
    rate(sd, err[:400], 40, 1, time.perf_counter)
    w = rate(sd, err, 40, a.repeats, time.perf_counter)
    print(f"surprise_detector, 40 ticks/call: {w:7.0f}x real time ({5000 / w:6.2f} µs/tick)")
    print("target: koopman_monitor >= 50x real time")


if __name__ == "__main__":
    main()
