"""Face quality numbers (issue 5 "Done when"): lip-sync lag, p/b/m closures, expressions, blink rate, A/V mux.

Until the speech chain drives the face, the ψ-state is synthetic (nodes/face/synthetic.py)
and the audio is a buzz whose amplitude follows AV and jaw read exactly as the voice
reads control channels (SPEECH_CHAIN §3, one control tick behind; the face reads the
same rows at each frame's own time). benchmarks/face_speech_sync.py measures the real chain. Run: python benchmarks/face_metrics.py
"""
from __future__ import annotations

import os
import tempfile

import numpy as np

from psigraph import registry
from psigraph.graph import Graph
from psigraph.nodes.face import node as face_node
from psigraph.nodes.face.arkit import INDEX
from psigraph.nodes.face.metrics import blinks, closure_hits, lipsync_lag_frames
from psigraph.nodes.face.synthetic import source_node, synthetic_audio, synthetic_state
from psigraph.runtime import Session

for cls in (face_node.FaceAnimator, source_node()):
    registry.register(cls)


def animate(seconds, seed, emotion=(0.0, 0.0, 0.0), block=480):
    g = Graph()
    g.seed = seed
    g.add_node("src", "face_synthetic_state", {"duration": seconds, "seed": seed, "emotion": list(emotion)})
    g.add_node("face", "face_animator")
    g.add_node("snk", "vector_sink")
    g.connect("src.state", "face.state"); g.connect("face.blendshapes", "snk.x")
    s = Session(g, block=block)
    s.run(duration=seconds)
    out = s.node("snk").data
    s.close()
    return out


def main():
    lags, hits, total = [], 0, 0
    for i in range(50):
        rows, labels, phones = synthetic_state(3.5, seed=100 + i)
        bs = animate(3.5, 100 + i)
        lags.append(lipsync_lag_frames(bs[:, INDEX["jawOpen"]], synthetic_audio(rows, labels)))
        h, t = closure_hits(bs[:, INDEX["mouthClose"]], phones)
        hits, total = hits + h, total + t
    lags = np.array(lags)
    print(f"lip-sync over 50 synthetic utterances: lag (frames, audio envelope vs jawOpen) "
          f"min {lags.min()} max {lags.max()}; within ±1 frame: {np.mean(np.abs(lags) <= 1) * 100:.0f} %")
    print(f"p/b/m closure midpoints with mouthClose >= 0.5: {hits}/{total} = {100 * hits / max(total, 1):.1f} %")
    means = {}
    for name, emo in (("neutral", (0, 0, 0)), ("happy", (0.8, 0.5, 0.3)), ("sad", (-0.7, -0.5, -0.4)),
                      ("angry", (-0.7, 0.7, 0.7)), ("surprised", (0.2, 0.9, -0.3))):
        bs = animate(10.0, 7, emo)
        means[name] = {k: float(bs[:, INDEX[k]].mean()) for k in
                       ("mouthSmile_L", "mouthFrown_L", "browInnerUp", "browDown_L", "eyeWide_L")}
    for name, m in means.items():
        print(f"  {name:9s} " + " ".join(f"{k}={v:.2f}" for k, v in m.items()))
    print(f"happy - neutral mouthSmile = {means['happy']['mouthSmile_L'] - means['neutral']['mouthSmile_L']:.2f} (>= 0.3); "
          f"sad - neutral browInnerUp = {means['sad']['browInnerUp'] - means['neutral']['browInnerUp']:.2f}, "
          f"mouthFrown = {means['sad']['mouthFrown_L'] - means['neutral']['mouthFrown_L']:.2f} (> 0)")
    rates = []
    for seed in range(5):
        bs = animate(60.0, 200 + seed)
        b = blinks(bs[:, INDEX["eyeBlink_L"]])
        d = [x for _, x in b]
        rates.append(len(b))
        print(f"  60 s, seed {200 + seed}: {len(b)} blinks/min, durations {min(d) * 1000:.0f}–{max(d) * 1000:.0f} ms")
    print(f"blink rate over 5 × 60 s: {min(rates)}–{max(rates)} per minute (target 10–20)")
    from psigraph.nodes.face.render import FaceRenderer
    from psigraph.nodes.face.video import export_video, probe
    rows, labels, _ = synthetic_state(4.0, seed=9)
    audio = synthetic_audio(rows, labels)
    bs = animate(4.0, 9)
    r = FaceRenderer(160, 160)
    imgs = [r.render(row) for row in bs]
    r.close()
    for ext in ("mp4", "webm"):
        path = os.path.join(tempfile.mkdtemp(), f"m.{ext}")
        export_video(path, iter(imgs), audio, fps=60, sample_rate=24000)
        info = probe(path)
        v, a = info["video"], info["audio"]
        print(f"{ext}: video {v['codec']} start {v['start']:.4f} s dur {v['duration']:.4f} s | audio {a['codec']} "
              f"start {a['start']:.4f} s dur {a['duration']:.4f} s | start diff {abs(v['start'] - a['start']) * 1000:.1f} ms, "
              f"dur diff {abs(v['duration'] - a['duration']) * 1000:.1f} ms (1 frame = 16.7 ms)")


if __name__ == "__main__":
    main()
