"""Single-process off-screen render speed of the ICT head against the procedural head (same run).

Frames are animated rows from face_animator on a synthetic ψ-state (jaw, lips, blinks, gaze,
head motion), rendered at --size with FaceRenderer.render_many (the CPU part of the next
frame overlaps the GL draw, as face_render does). Heads alternate for --rounds rounds so the
machine's load hits both alike; the median frames/s per head and their ratio are printed,
with /proc/loadavg, and the CPU time per frame (less sensitive to the machine's load: 1000 / that
is the speed one otherwise idle core would give). Run: python benchmarks/face_ict_speed.py [--size 640] [--frames 120] [--rounds 3]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

from psigraph.nodes.face.render import FaceRenderer, gl_backend

from machine import loadavg


def _animate(n: int) -> list:
    """n animated rows of a dev sentence (the real speech chain, as benchmarks/face_ict_metrics.py)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("face_ict_metrics", os.path.join(os.path.dirname(__file__), "face_ict_metrics.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    bs, _ = mod.blendshapes("The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background.")
    return [bs[i % len(bs)] for i in range(n)]


def fps(r: FaceRenderer, frames) -> tuple[float, float]:
    """(frames per wall second, CPU milliseconds of this process per frame — both threads, GL included)."""
    t, c = time.perf_counter(), time.process_time()
    for _ in r.render_many(frames):
        pass
    return len(frames) / (time.perf_counter() - t), (time.process_time() - c) * 1000 / len(frames)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=640)
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args(argv)
    frames = _animate(a.frames)
    rs = {h: FaceRenderer(a.size, a.size, head=h) for h in ("ict", "procedural")}
    for r in rs.values():
        r.render(frames[0])
    got = {h: [] for h in rs}
    print(f"backend {gl_backend()}, {a.size}x{a.size}, {a.frames} frames x {a.rounds} rounds; "
          f"loadavg before: {loadavg()}")
    for _ in range(a.rounds):
        for h, r in rs.items():
            got[h].append(fps(r, frames))
    med = {h: statistics.median(x for x, _ in v) for h, v in got.items()}
    cpu = {h: statistics.median(c for _, c in v) for h, v in got.items()}
    for h, v in got.items():
        print(f"  {h:10s} median {med[h]:.1f} frames/s  (rounds: {', '.join(f'{x:.1f}' for x, _ in v)}); "
              f"CPU {cpu[h]:.1f} ms/frame = {1000 / cpu[h]:.1f} frames per CPU-second")
    print(f"ict / procedural speed = {med['ict'] / med['procedural']:.2f} (wall), "
          f"{cpu['procedural'] / cpu['ict']:.2f} (CPU time); target ict >= 30 frames/s per process; "
          f"loadavg after: {loadavg()}; cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()
