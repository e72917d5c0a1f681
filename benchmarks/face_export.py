"""Export speed: a 10 s talking-head clip at 640×640 (animator → render → H.264/AAC), render and encode overlapped.

Target (issue 5): total ≤ 1.2× the clip length on a 2-core machine. Prints the total
time, its ratio to the clip length, render-only fps, and the decoded-stream check.
Run: python benchmarks/face_export.py [--seconds 10] [--size 640] [--ext mp4|webm] [--workers 2]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

from psigraph.nodes.face.animator import animate
from psigraph.nodes.face.render import FaceRenderer, gl_backend
from psigraph.nodes.face.render_pool import render_frames_parallel
from psigraph.nodes.face.synthetic import synthetic_audio, synthetic_state
from psigraph.nodes.face.video import export_video, probe


def blendshape_track(seconds: float, seed: int = 3):
    rows, labels, _ = synthetic_state(seconds, seed, (0.3, 0.3, 0.1))
    bs = animate(rows, labels, period=120, frame_period=400, fps=60.0, n_frames=int(round(seconds * 60)), seed=seed)
    return bs, synthetic_audio(rows, labels)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--size", type=int, default=640)
    ap.add_argument("--ext", default="mp4", choices=("mp4", "webm"))
    ap.add_argument("--preset", default="ultrafast")
    ap.add_argument("--workers", type=int, default=2,
                    help="render processes (0: render in this process, overlapped with encoding by threads)")
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
    if a.workers > 0:
        frames = render_frames_parallel(bs, (a.size, a.size), workers=a.workers)
    else:
        frames = r.render_many(bs)
    res = export_video(path, frames, audio, fps=60, sample_rate=24000, preset=a.preset)
    total = time.perf_counter() - t
    cpu = time.process_time() - c
    r.close()
    info = probe(path)
    v, au = info["video"], info["audio"]
    print(f"clip {a.seconds:.1f} s, {len(bs)} frames at {a.size}x{a.size} -> {path} ({os.path.getsize(path) / 1e6:.2f} MB)")
    print(f"render only: {render_fps:.1f} fps ({1000 / render_fps:.1f} ms/frame)")
    print(f"export total: {total:.2f} s = {total / a.seconds:.2f}x clip length (target <= 1.2x); "
          f"time in render iterator {res['render_s']:.2f} s")
    mode = f"{a.workers} render process(es) + encoding here" if a.workers else "render and encode threads in one process"
    print(f"mode: {mode}; CPU time of this process {cpu:.2f} s (render workers not included when workers > 0); "
          f"1-min load average at start: {load:.2f} (other agents share these 2 cores)")
    print(f"decoded: video start {v['start']:.4f} s dur {v['duration']:.4f} s; audio start {au['start']:.4f} s "
          f"dur {au['duration']:.4f} s; |dur diff| = {abs(v['duration'] - au['duration']) * 1000:.1f} ms (1 frame = 16.7 ms)")


if __name__ == "__main__":
    main()
