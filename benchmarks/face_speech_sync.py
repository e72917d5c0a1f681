"""Lip-sync on the real speech chain: Harvard sentences → tract track → voice + face; lag histograms.

For each sentence: plan → score → tract channels at control rate (the integrator psi_core
uses) → (a) the voice renders audio, (b) the face_animator's computation
(:func:`psigraph.nodes.face.animator.animate`, identical to the node for any block size)
reads the same rows at video times. ``--graph`` runs graphs/speak.yaml through a Session
instead (slower, the same numbers). Per sentence set it prints the histogram of the lag
(whole frames) maximising the cross-correlation of jawOpen with the audio RMS envelope
(one-frame windows centred on each frame time, :mod:`psigraph.nodes.face.metrics`), the
mean sub-frame lag, jawOpen at frame 0 with the RMS of the first 50 ms of audio, and p/b/m
closure midpoints with mouthClose ≥ 0.5. Lag < 0 means the face is late.
Run: python benchmarks/face_speech_sync.py [--n 50] [--held-out 30] [--graph]
"""
from __future__ import annotations

import argparse
import os

import numpy as np

from psigraph.nodes.face.animator import animate
from psigraph.nodes.face.arkit import INDEX
from psigraph.nodes.face.metrics import (closure_hits, lag_histogram, lipsync_lag_frames,
                                         lipsync_lag_subframe)

EVAL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "eval")
DEV = os.path.join(EVAL, "harvard_dev.txt")
HELD_OUT = os.path.join(EVAL, "harvard_dev_extended.txt")
SR, FPS = 24000, 60.0          # the speak graph's master/audio rate and video rate


def one(text, seed=0):
    """(blendshapes, audio, phones [(start_s, end_s, phone)], track, channels) through the offline chain."""
    from psigraph.kernels.tract import CHANNELS
    from psigraph.nodes.speech.articulation import CONTROL_PERIOD, MASTER_RATE, score_events
    from psigraph.nodes.speech.offline import plan, tract_track
    from psigraph.nodes.speech.voice import VoiceQuality, VoiceSynth
    p = plan(text)
    events = score_events(p)
    n = int(round(p.duration * MASTER_RATE))
    n_ticks = -(-n // CONTROL_PERIOD)
    track = tract_track(events, n_ticks)
    audio = VoiceSynth(CHANNELS, VoiceQuality.from_persona(p.persona), MASTER_RATE, CONTROL_PERIOD, seed).render(0, track, n)
    frame_period = int(round(MASTER_RATE / FPS))
    bs = animate(track, CHANNELS, period=CONTROL_PERIOD, frame_period=frame_period, fps=FPS, seed=seed,
                 n_frames=(n_ticks * CONTROL_PERIOD) // frame_period)
    phones = [(ph.start, ph.start + ph.dur, ph.ph) for ph in p.phones]
    return bs, np.asarray(audio, float), phones, track, CHANNELS


def one_graph(text):
    """(blendshapes, audio, phones) through graphs/speak.yaml in a Session."""
    import psigraph
    from psigraph.runtime import Session
    g = psigraph.load(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "graphs", "speak.yaml"))
    g.set_param("text", "text", text)
    g.remove_node("wav")
    with Session(g, block=4800) as s:
        face, audio, phones = s.tap("face.blendshapes"), s.tap("voice.audio"), s.tap("planner.score")
        s.run_until_done(tail=0.0)
        bs, a = np.asarray(face), np.asarray(audio)[:, 0]
        ph = [(e.t / SR, (e.t + e.payload["dur"]) / SR, e.payload["ph"]) for e in phones.events if e.kind == "phone"]
    return bs, a, ph


def measure(texts, graph=False) -> dict:
    lags, sub, jaw0, rms0, hits, total = [], [], [], [], 0, 0
    for text in texts:
        bs, audio, phones = one_graph(text) if graph else one(text)[:3]
        jaw = bs[:, INDEX["jawOpen"]]
        lags.append(lipsync_lag_frames(jaw, audio, FPS, SR))
        sub.append(lipsync_lag_subframe(jaw, audio, FPS, SR))
        jaw0.append(float(jaw[0]))
        rms0.append(float(np.sqrt(np.mean(audio[:int(0.05 * SR)] ** 2))))
        h, t = closure_hits(bs[:, INDEX["mouthClose"]], phones, FPS)
        hits, total = hits + h, total + t
    return {"lags": lags, "hist": lag_histogram(lags), "median": float(np.median(lags)),
            "sub_mean": float(np.mean(sub)), "jaw0": (min(jaw0), max(jaw0)), "rms0_max": max(rms0),
            "closures": (hits, total)}


def report(name, texts, r) -> None:
    lags = np.array(r["lags"])
    hist = ", ".join(f"{k:+d}: {v}" for k, v in r["hist"].items())
    print(f"{name} ({len(texts)} sentences): lag of the audio RMS envelope vs jawOpen (frames, < 0 = face late): "
          f"{hist}; median {r['median']:+g}; within ±1 frame {100 * np.mean(np.abs(lags) <= 1):.0f} %; "
          f"mean sub-frame lag {r['sub_mean']:+.2f}")
    h, t = r["closures"]
    print(f"  frame 0 jawOpen {r['jaw0'][0]:.3f}–{r['jaw0'][1]:.3f} (first 50 ms audio RMS ≤ {r['rms0_max']:.4f}); "
          f"p/b/m closure midpoints with mouthClose >= 0.5: {h}/{t} = {100 * h / max(t, 1):.1f} %")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50, help="dev sentences (harvard_dev.txt)")
    ap.add_argument("--file", default=DEV)
    ap.add_argument("--held-out", type=int, default=30, help="sentences from harvard_dev_extended.txt (0: none)")
    ap.add_argument("--held-out-file", default=HELD_OUT)
    ap.add_argument("--graph", action="store_true", help="run graphs/speak.yaml in a Session (slower)")
    a = ap.parse_args(argv)
    sets = [("dev", a.file, a.n)]
    if a.held_out > 0 and os.path.exists(a.held_out_file):
        sets.append(("held-out", a.held_out_file, a.held_out))
    for name, path, n in sets:
        texts = [t.strip() for t in open(path, encoding="utf-8") if t.strip()][:n]
        report(name, texts, measure(texts, a.graph))


if __name__ == "__main__":
    main()
