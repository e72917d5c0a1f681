"""Export speed: a 10 s talking-head clip at 640×640 (animator → render → H.264/AAC), render and encode overlapped.

Target (issue 5): total ≤ 1.2× the clip length on a 2-core machine. Prints the total
time, its ratio to the clip length, render-only fps, and the decoded-stream check.
Run: python benchmarks/face_export.py [--seconds 10] [--size 640] [--ext mp4|webm]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

from psigraph.nodes.face.animator import AnimatorCore, interp_control
from psigraph.nodes.face.render import FaceRenderer, gl_backend
from psigraph.nodes.face.synthetic import synthetic_audio, synthetic_state
from psigraph.nodes.face.video import export_video, probe


def blendshape_track(seconds: float, seed: int = 3):
    rows, labels, _ = synthetic_state(seconds, seed, (0.3, 0.3, 0.1))
    n_frames = int(round(seconds * 60))
    vals = interp_control(rows, 0, np.arange(n_frames, dtype=np.int64) * 400, 120)
    return AnimatorCore(labels, seed=seed).frames(vals, 0), synthetic_audio(rows, labels)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--size", type=int, default=640)
    ap.add_argument("--ext", default="mp4", choices=("mp4", "webm"))
    ap.add_argument("--preset", default="ultrafast")
    a = ap.parse_args(argv)
    bs, audio = blendshape_track(a.seconds)
    print(f"GL backend: {gl_backend()}")
    r = FaceRenderer(a.size, a.size)
    r.render(bs[0])                                            # warm-up (shader compile)
    t = time.perf_counter()
    n_r = min(len(bs), 180)
    for row in bs[:n_r]:
        r.render(row)
    render_fps = n_r / (time.perf_counter() - t)
    path = os.path.join(tempfile.mkdtemp(), f"face_export.{a.ext}")
    load = os.getloadavg()[0]
    t, c = time.perf_counter(), time.process_time()
    res = export_video(path, r.render_many(bs), audio, fps=60, sample_rate=24000, preset=a.preset)
    total = time.perf_counter() - t
    cpu = time.process_time() - c
    r.close()
    info = probe(path)
    v, au = info["video"], info["audio"]
    print(f"clip {a.seconds:.1f} s, {len(bs)} frames at {a.size}x{a.size} -> {path} ({os.path.getsize(path) / 1e6:.2f} MB)")
    print(f"render only: {render_fps:.1f} fps ({1000 / render_fps:.1f} ms/frame)")
    print(f"export total: {total:.2f} s = {total / a.seconds:.2f}x clip length (target <= 1.2x); "
          f"time in render iterator {res['render_s']:.2f} s")
    print(f"process CPU time {cpu:.2f} s (all threads) -> {cpu / 2 / a.seconds:.2f}x clip length if the 2 cores were ours "
          f"(1-min load average at start: {load:.2f}; other processes share these cores)")
    print(f"decoded: video start {v['start']:.4f} s dur {v['duration']:.4f} s; audio start {au['start']:.4f} s "
          f"dur {au['duration']:.4f} s; |dur diff| = {abs(v['duration'] - au['duration']) * 1000:.1f} ms (1 frame = 16.7 ms)")


if __name__ == "__main__":
    main()
