"""What DNSMOS (P.835: SIG speech, BAK background, OVRL overall) reacts to in the voice.

Renders held-out Harvard sentences (harvard_dev_extended.txt, never used to build the voice) with
variants of the voice (one source component off or changed at a time) for several noise seeds and
prints the mean DNSMOS of each, with the paired difference to the first variant and its bootstrap
95 % interval (resampling clips), so a change's effect on each component is measured on the same
clips (peak-normalised to 0.9, 16 kHz, as benchmarks/intelligibility.py). ``--wer`` also scores
Whisper tiny.en (beam 5 and greedy) on the same clips, paired the same way.

    python benchmarks/voice_dnsmos.py [--n 60] [--seeds 0 1] [--variants as-is no-noise ...] [--wer]
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
PRE_15 = ({}, {"P_PULSE": 0.0, "P_ASP_GATE": 0.0, "P_PHASE_BW": 0.0}, {})
VARIANTS = {
    "as-is": ({}, {}, {}),
    # the source before issue 15: harmonics in cosine phase, breath noise on a raised cosine
    "pre-15": PRE_15,
    "no-pulse-phase": ({}, {"P_PULSE": 0.0}, {}),
    "no-asp-gate": ({}, {"P_ASP_GATE": 0.0}, {}),
    "effort-0.2": ({"effort": 0.2}, {}, {}),
    "effort-0.4": ({"effort": 0.4}, {}, {}),
    # the harmonics' phase from a fixed neutral tract, or from the formants without lag or slower (voice.PHASE_BW)
    "fixed-tract-phase": ({}, {"P_PHASE_BW": 0.0}, {}),
    "tract-phase-no-lag": ({}, {"P_PHASE_TAU": 0.0}, {}),
    "tract-phase-slow": ({}, {"P_PHASE_BW": 80.0, "P_PHASE_TAU": 0.08}, {}),
    "no-noise": ({"breathiness": 0.0}, {"P_ASP": 0.0, "P_FRIC": 0.0, "P_BURST": 0.0}, {}),
    "no-frication": ({}, {"P_FRIC": 0.0}, {}),
    "fric-3dB": ({}, {"P_FRIC": 1.4}, {}),
    "asp-3dB": ({}, {"P_ASP": 1.13}, {}),
    "no-breath": ({"breathiness": 0.0}, {}, {}),
    "double-breath": ({"breathiness": 0.16}, {}, {}),
    "steeper-tilt": ({"tilt": 1.25}, {}, {}),
    "no-jitter-shimmer": ({"jitter": 0.0, "shimmer": 0.0}, {}, {}),
    "f0-120": ({}, {}, {"f0_level": 120.0}),
    "f0-110": ({}, {}, {"f0_level": 110.0}),
}


def render(text: str, quality_kw: dict, prm_kw: dict, plan_kw: dict, seed: int = 0) -> np.ndarray:
    """24 kHz audio of ``text`` with the variant applied."""
    from psigraph.nodes.speech import kernels as K
    from psigraph.nodes.speech import offline, voice
    from psigraph.nodes.speech.frontend.plan import plan_utterance
    plan = plan_utterance(text, **plan_kw)
    q = dataclasses.replace(voice.VoiceQuality.from_persona(plan.persona), **quality_kw)
    synth = voice.VoiceSynth(offline.CHANNELS, q, offline.MASTER_RATE, offline.CONTROL_PERIOD, seed)
    for k, v in prm_kw.items():
        synth.prm[getattr(K, k)] = v
    events = offline.score_events(plan)
    n = round(plan.duration * offline.MASTER_RATE)
    track = offline.tract_track(events, -(-n // offline.CONTROL_PERIOD))
    return synth.render(0, track, n)


def dnsmos(a16: np.ndarray) -> tuple[float, float, float]:
    """(SIG, BAK, OVRL) of speechmos's DNSMOS P.835 model, without its unused P.808 pass
    (the same numbers as ``speechmos.dnsmos.run``: 9.01 s windows, clip tiled to fill one)."""
    from speechmos import dnsmos as D
    if D.dnsmos is None:
        D.run(np.zeros(16000), sr=16000)
    x = a16.astype(np.float64)
    x = np.clip(x / (np.max(np.abs(x)) or 1.0) * 0.9, -1, 1)
    win = int(D.INPUT_LENGTH * 16000)
    while len(x) < win:
        x = np.append(x, x)
    rows = []
    for k in range(int(np.floor(len(x) / 16000) - D.INPUT_LENGTH) + 1):
        seg = x[k * 16000: k * 16000 + win]
        if len(seg) == win:
            raw = D.dnsmos.onnx_sess.run(None, {"input_1": seg.astype(np.float32)[None]})[0][0]
            rows.append(D.dnsmos.get_polyfit_val(*raw, False))
    return tuple(float(v) for v in np.mean(rows, axis=0))


def paired_ci(a: np.ndarray, b: np.ndarray, n_boot: int = 4000, seed: int = 1) -> tuple[float, float]:
    """95 % bootstrap interval of mean(a − b), resampling clips."""
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    k = np.random.default_rng(seed).integers(0, len(d), size=(n_boot, len(d)))
    lo, hi = np.percentile(d[k].mean(1), [2.5, 97.5])
    return float(lo), float(hi)


def wer_pair(err_a, err_b, words) -> tuple[float, float, tuple[float, float]]:
    """WER of a and b (%) and the 95 % interval of their difference (points), resampling clips."""
    diff, _ = I.paired_bootstrap(err_a, err_b, words)
    w = np.sum(words)
    return 100 * np.sum(err_a) / w, 100 * np.sum(err_b) / w, (100 * diff[0], 100 * diff[1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=60, help="first N held-out sentences")
    ap.add_argument("--skip", type=int, default=0, help="start at this held-out sentence")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument("--wer", action="store_true", help="also Whisper WER (beam 5, greedy), paired")
    ap.add_argument("--no-dnsmos", action="store_true")
    ap.add_argument("--dump", type=Path, help="write the per-clip scores of each variant here (.npz)")
    a = ap.parse_args(argv)
    sentences = I.dev_sentences()[I.N_DEV + a.skip: I.N_DEV + a.skip + a.n]
    inst = I.Instruments(dnsmos=False) if a.wer else None
    print(f"{len(sentences)} held-out sentences x seeds {a.seeds}; diff = paired vs {a.variants[0]} [95 % CI]")
    base = None
    for name in a.variants:
        t = time.time()
        mos, errs, words = [], [], []
        for s in sentences:
            ref = I.normalize_text(s)
            for seed in a.seeds:
                a16 = I.Instruments.to16k(render(s, *VARIANTS[name], seed=seed), 24000)
                if not a.no_dnsmos:
                    mos.append(dnsmos(a16))
                if inst is not None:
                    errs.append([I.edit_distance(ref, I.normalize_text(inst.transcribe(a16, beam=b)))
                                 for b in (5, 1)])
                    words.append(len(ref))
        mos, errs = np.array(mos).reshape(-1, 3), np.array(errs).reshape(-1, 2)
        line = f"{name:22s}"
        if len(mos):
            line += " SIG %.3f BAK %.3f OVRL %.3f" % tuple(mos.mean(0))
        if len(errs):
            line += " | WER b5 %.2f greedy %.2f" % tuple(100 * errs.sum(0) / np.sum(words))
        if a.dump is not None:
            dumped = dict(np.load(a.dump)) if a.dump.exists() else {}
            dumped.update({f"{name}/mos": mos, f"{name}/errs": errs, f"{name}/words": np.array(words)})
            np.savez(a.dump, **dumped)
        if base is None:
            base = (mos, errs)
        else:
            pad = "\n" + " " * 23
            if len(mos):
                line += pad + "diff " + "  ".join(
                    "%s %+.3f [%+.3f %+.3f]" % (c, (mos[:, j] - base[0][:, j]).mean(),
                                                *paired_ci(mos[:, j], base[0][:, j]))
                    for j, c in enumerate(("SIG", "BAK", "OVRL")))
            for j, dec in enumerate(("b5", "greedy") if len(errs) else ()):
                wa, wb, ci = wer_pair(errs[:, j], base[1][:, j], words)
                line += pad + "WER %s diff %+.2f points [%+.2f %+.2f]" % (dec, wa - wb, *ci)
        print(line + f"   ({time.time() - t:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
