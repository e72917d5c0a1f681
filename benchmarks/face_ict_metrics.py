"""What the rendered ICT head does, measured on its own landmarks over the 50 dev sentences (issue 14).

For each Harvard dev sentence: plan → score → tract track → face_animator rows (as
benchmarks/face_speech_sync.py, without synthesising audio), then for every frame the head is
posed exactly as the renderer poses it (:class:`psigraph.nodes.face.deform.HeadPoser`) and
measured (:class:`psigraph.nodes.face.landmarks.LandmarkTracker`):

- inner-lip gap (mean of landmarks 61–67, 62–66, 63–65, mm) against jawOpen: Pearson r over all frames;
- at the midpoint frame of every /p b m/: do the inner lips meet (gap ≤ 1 mm)?
- at every blink peak (eyeBlink local maximum ≥ 0.5): eye opening as a fraction of the same
  frame with eyeBlink = 0;
- gaze: the angle each eyeball turned to (a rotation fitted to its vertices) against the commanded one.
Run: python benchmarks/face_ict_metrics.py [--n 50]
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np
from psigraph.nodes.face.arkit import INDEX
from psigraph.nodes.face.deform import gaze_angles
from psigraph.nodes.face.heads import load_head
from psigraph.nodes.face.landmarks import LandmarkTracker

DEV = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "eval", "harvard_dev.txt")
FPS = 60.0
BILABIAL = {"P", "B", "M"}


def blendshapes(text: str, seed: int = 0):
    """(rows (frames × BLENDSHAPE_LABELS), phones [(start_s, end_s, phone)]) through the offline chain."""
    from psigraph.nodes.face.animator import animate
    from psigraph.nodes.speech.articulation import (
        CONTROL_PERIOD,
        MASTER_RATE,
        score_events,
    )
    from psigraph.nodes.speech.offline import plan, tract_track

    from psigraph.kernels.tract import CHANNELS
    p = plan(text)
    n = round(p.duration * MASTER_RATE)
    n_ticks = -(-n // CONTROL_PERIOD)
    track = tract_track(score_events(p), n_ticks)
    frame_period = round(MASTER_RATE / FPS)
    bs = animate(track, CHANNELS, period=CONTROL_PERIOD, frame_period=frame_period, fps=FPS, seed=seed,
                 n_frames=(n_ticks * CONTROL_PERIOD) // frame_period)
    return np.asarray(bs, float), [(ph.start, ph.start + ph.dur, ph.ph) for ph in p.phones]


def blink_peaks(x: np.ndarray, threshold: float = 0.5) -> list[int]:
    """Frames where eyeBlink has a local maximum ≥ threshold (one per blink)."""
    out, j = [], 0
    while j < len(x):
        if x[j] >= threshold:
            k = j
            while k < len(x) and x[k] >= threshold:
                k += 1
            out.append(j + int(np.argmax(x[j:k])))
            j = k
        else:
            j += 1
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50)
    a = ap.parse_args(argv)
    with open(DEV, encoding="utf-8") as f:
        texts = [t.strip() for t in f if t.strip()][:a.n]
    tr = LandmarkTracker(load_head("ict"))
    t0 = time.perf_counter()
    gaps, jaws, closures, blink_frac, gaze_err = [], [], [], [], []
    for i, text in enumerate(texts):
        bs, phones = blendshapes(text, seed=i)
        m = [tr.measure(row) for row in bs]
        gaps += [x["lip_gap_mm"] for x in m]
        jaws += list(bs[:, INDEX["jawOpen"]])
        for s0, s1, ph in phones:
            j = round((s0 + s1) / 2 * FPS)
            if str(ph).rstrip("012").upper() in BILABIAL and j < len(bs):
                closures.append(m[j]["lip_gap_mm"])
        for side, key in (("L", "eyeBlink_L"), ("R", "eyeBlink_R")):
            for j in blink_peaks(bs[:, INDEX[key]]):
                opened = bs[j].copy()
                opened[INDEX[key]] = 0.0
                blink_frac.append(m[j]["eye_open_mm"][side] / tr.measure(opened)["eye_open_mm"][side])
        for j, row in enumerate(bs):
            want = gaze_angles(row)
            for s in ("L", "R"):
                gaze_err.append(np.max(np.abs(np.subtract(m[j]["gaze_deg"][s], want[s]))))
    gaps, jaws, closures = np.array(gaps), np.array(jaws), np.array(closures)
    r = np.corrcoef(gaps, jaws)[0, 1]
    ok = closures <= 1.0
    bf = np.array(blink_frac)
    ge = np.array(gaze_err)
    print(f"{len(texts)} sentences, {len(gaps)} frames, measured in {time.perf_counter() - t0:.0f} s")
    print(f"inner-lip gap vs jawOpen: Pearson r = {r:.3f} (target >= 0.9); gap {gaps.min():.1f}..{gaps.max():.1f} mm")
    print(f"/p b m/ midpoints with inner lips meeting (gap <= 1 mm): {ok.sum()}/{len(ok)} = {100 * ok.mean():.1f} % "
          f"(target >= 95 %); gap at closures median {np.median(closures):.2f} mm, max {closures.max():.2f} mm")
    print(f"blink peaks: {len(bf)}; eye opening at the peak / open: max {bf.max():.3f}, median {np.median(bf):.3f} "
          f"(target < 0.20 at each)" if len(bf) else "blink peaks: none in these clips")
    print(f"gaze: |measured - commanded| over {len(ge)} eye-frames: max {ge.max():.3f} deg, mean {ge.mean():.3f} deg "
          f"(target <= 1 deg)")


if __name__ == "__main__":
    main()
