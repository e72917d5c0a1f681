"""What DNSMOS (P.835: SIG speech, BAK background, OVRL overall) reacts to in the voice.

Renders the first N Harvard dev sentences with variants of the voice (one source component off
or changed at a time) and prints the mean DNSMOS of each, so a change's effect on each component
is measured on the same clips (peak-normalised to 0.9, 16 kHz, as benchmarks/intelligibility.py).

    python benchmarks/voice_dnsmos.py [--n 60] [--variants as-is no-noise no-frication ...]
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import intelligibility as I

# name: (VoiceQuality fields, kernel prm entries, plan_utterance keywords)
VARIANTS = {
    "as-is": ({}, {}, {}),
    "no-noise": ({"breathiness": 0.0}, {"P_ASP": 0.0, "P_FRIC": 0.0, "P_BURST": 0.0}, {}),
    "no-frication": ({}, {"P_FRIC": 0.0}, {}),
    "no-breath": ({"breathiness": 0.0}, {}, {}),
    "steeper-tilt": ({"tilt": 1.5}, {}, {}),
    "flatter-tilt": ({"tilt": 0.7}, {}, {}),
    "no-jitter-shimmer": ({"jitter": 0.0, "shimmer": 0.0}, {}, {}),
    "f0-120": ({}, {}, {"f0_level": 120.0}),
    "f0-110": ({}, {}, {"f0_level": 110.0}),
}


def render(text: str, quality_kw: dict, prm_kw: dict, plan_kw: dict) -> np.ndarray:
    """24 kHz audio of ``text`` with the variant applied."""
    from psigraph.nodes.speech import kernels as K
    from psigraph.nodes.speech import offline, voice
    from psigraph.nodes.speech.frontend.plan import plan_utterance
    plan = plan_utterance(text, **plan_kw)
    q = dataclasses.replace(voice.VoiceQuality.from_persona(plan.persona), **quality_kw)
    synth = voice.VoiceSynth(offline.CHANNELS, q, offline.MASTER_RATE, offline.CONTROL_PERIOD, 0)
    for k, v in prm_kw.items():
        synth.prm[getattr(K, k)] = v
    events = offline.score_events(plan)
    n = round(plan.duration * offline.MASTER_RATE)
    track = offline.tract_track(events, -(-n // offline.CONTROL_PERIOD))
    return synth.render(0, track, n)


def dnsmos(a16: np.ndarray) -> tuple[float, float, float]:
    from speechmos import dnsmos as D
    x = a16.astype(np.float64)
    r = D.run(np.clip(x / (np.max(np.abs(x)) or 1.0) * 0.9, -1, 1), sr=16000)
    return float(r["sig_mos"]), float(r["bak_mos"]), float(r["ovrl_mos"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=60, help="first N dev sentences")
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    a = ap.parse_args(argv)
    sentences = I.dev_sentences()[: a.n]
    print(f"{'variant':20s} {'SIG':>6s} {'BAK':>6s} {'OVRL':>6s}   ({a.n} sentences)")
    for name in a.variants:
        t = time.time()
        rows = [dnsmos(I.Instruments.to16k(render(s, *VARIANTS[name]), 24000)) for s in sentences]
        m = np.mean(rows, axis=0)
        print(f"{name:20s} {m[0]:6.2f} {m[1]:6.2f} {m[2]:6.2f}   ({time.time() - t:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
