"""Listening → reply: cross-speaker entrainment and adaptive comprehension, measured (issue 12).

1. **Entrainment.** A fast and a slow speaker (eSpeak NG at -s 250 / -s 120 words per minute, and
   psigraph's own voice at rate ×1.7 / ×0.7) say the same sentences; their true syllable rate is the
   text's syllables over the speaking time (benchmarks/listen_inputs.py). The avatar listens to each
   (graphs/listen.yaml) and replies the same text; the replies' rates are measured as the ψ-memory
   recorder measures speech (psigraph.kernels.prosody on the ψ-state). Target: the replies differ in
   the speakers' direction by ≥ 30 % of the speakers' difference. The same for the pitch range, with
   psigraph's voice excited (wide range) and sad (narrow).
2. **Adaptive comprehension.** The same input heard with and without repeated surprise: (a) with
   anomalies spliced in (pitch jump, tempo jump, reversed word, another speaker; listen_inputs.py)
   against the clean clip, as the listening graph detects them; (b) three surprise events injected
   into the clean clip against none (the detector's false alarms aside). Target: the reply after
   repeated surprise is ≥ 15 % slower and its mean jawOpen ≥ 20 % larger.

``python benchmarks/converse.py [--quick]`` prints one line per case and the targets' verdicts.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import listen_inputs as LI  # noqa: E402

from psigraph import chain  # noqa: E402
from psigraph.ports import Event  # noqa: E402
from psigraph.runtime.converse import ConverseOptions, converse  # noqa: E402

REPLY = "That sounds like a fine plan. Let us start tomorrow morning, before the rain."
HEARD = LI.SENTENCES[:3]
SPEAKERS = [(LI.Voice("espeak", "en-us", 250, 50), LI.Voice("espeak", "en-us", 120, 50)),
            (LI.Voice("psigraph", rate=1.7), LI.Voice("psigraph", rate=0.7))]


def _write(path, audio):
    import soundfile as sf
    sf.write(path, audio, LI.RATE, subtype="PCM_16")


def _reply(path, tmp, events=None):
    t = time.perf_counter()
    r = converse(ConverseOptions(audio=path, reply=REPLY, frames=os.path.join(tmp, "f.jsonl"),
                                 heard_events=None if events is None else tuple(events)))
    return r, time.perf_counter() - t


def entrainment(tmp: str, sentences) -> bool:
    ok = True
    for fast_v, slow_v in SPEAKERS:
        rows = []
        for v in (fast_v, slow_v):
            audio, clip = LI.rate_clip(v.label, v, sentences)
            path = os.path.join(tmp, v.label + ".wav")
            _write(path, audio)
            true = clip.syllables / clip.speaking_s
            r, wall = _reply(path, tmp)
            rows.append((v.label, true, r))
            print(f"  {v.label:28s} true {true:5.2f} syll/s, heard {r.heard['rate_sps']:5.2f} syll/s "
                  f"(range {r.heard['f0_range_st']:4.1f} st), {r.surprises} surprises → reply "
                  f"{r.reply['rate_sps']:5.2f} syll/s (tone {r.tone.get('rate_sps', 0):5.2f}), range "
                  f"{r.reply['f0_range_st']:4.1f} st, articulation {r.tone.get('articulation', 1.0):.2f} "
                  f"[{r.seconds:.1f} s in {wall:.1f} s]")
        (_, tf, rf), (_, ts, rs) = rows
        share = (rf.reply["rate_sps"] - rs.reply["rate_sps"]) / (tf - ts)
        good = tf >= 5.5 and ts <= 3.5 and share >= 0.3
        ok &= good
        print(f"  → speakers {tf:.2f} vs {ts:.2f} syll/s; replies {rf.reply['rate_sps']:.2f} vs "
              f"{rs.reply['rate_sps']:.2f}: {100 * share:.0f} % of the speakers' difference "
              f"(target ≥ 30 %, speakers ≥ 5.5 and ≤ 3.5): {'PASS' if good else 'FAIL'}")
    return ok


def range_entrainment(tmp: str) -> bool:
    """A wide-ranged (excited) and a narrow-ranged (sad) speaker, psigraph's voice: the replies' pitch ranges."""
    from psigraph.runtime.say import SayOptions, say
    got = {}
    for emotion in ("excited", "sad"):
        path = os.path.join(tmp, f"range-{emotion}.wav")
        say(SayOptions(text=" ".join(HEARD[:2]), output=path, emotion=emotion))
        got[emotion], _ = _reply(path, tmp)
        r = got[emotion]
        print(f"  psigraph-{emotion:8s} heard range {r.heard['f0_range_st']:5.2f} st → reply range "
              f"{r.reply['f0_range_st']:5.2f} st (tone {r.tone.get('f0_range_st', 0):5.2f})")
    wide, narrow = got["excited"], got["sad"]
    share = (wide.reply["f0_range_st"] - narrow.reply["f0_range_st"]) / (
        wide.heard["f0_range_st"] - narrow.heard["f0_range_st"])
    good = share >= 0.3
    print(f"  → replies differ by {100 * share:.0f} % of the speakers' range difference: {'PASS' if good else 'FAIL'}")
    return good


def _compare(label, calm, careful) -> bool:
    slower = 1.0 - careful.reply["rate_sps"] / calm.reply["rate_sps"]
    wider = careful.reply["jaw_open"] / calm.reply["jaw_open"] - 1.0
    good = slower >= 0.15 and wider >= 0.20
    print(f"  {label}: surprises {calm.surprises} → {careful.surprises}; reply rate {calm.reply['rate_sps']:.2f} → "
          f"{careful.reply['rate_sps']:.2f} syll/s ({100 * slower:.0f} % slower, target ≥ 15 %), mean jawOpen "
          f"{calm.reply['jaw_open']:.3f} → {careful.reply['jaw_open']:.3f} ({100 * wider:+.0f} %, target ≥ 20 %): "
          f"{'PASS' if good else 'FAIL'}")
    return good


def adaptive(tmp: str, sentences) -> bool:
    v = LI.Voice("espeak", "en-us", 160, 50)
    paths = {}
    for name, anomalies in (("clean", False), ("anomalies", True)):
        audio, clip = LI.make_clip(name, v, sentences, anomalies, np.random.default_rng(3))
        paths[name] = os.path.join(tmp, f"adapt-{name}.wav")
        _write(paths[name], audio)
        if anomalies:
            print(f"  spliced: {', '.join(f'{k} at {t:.2f} s' for t, k in clip.anomalies)}")
    clean, _ = _reply(paths["clean"], tmp)
    spliced, _ = _reply(paths["anomalies"], tmp)
    ok_a = _compare("(a) detected: clean vs spliced anomalies", clean, spliced)
    quiet, _ = _reply(paths["clean"], tmp, events=[])
    injected, _ = _reply(paths["clean"], tmp, events=[Event(int(t * LI.RATE), chain.SURPRISE, {})
                                                      for t in (1.0, 2.0, 3.0)])
    ok_b = _compare("(b) injected: no surprise vs 3 surprise events", quiet, injected)
    return ok_a and ok_b


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one sentence per speaker (faster, noisier)")
    a = ap.parse_args(argv)
    sentences = HEARD[:1] if a.quick else HEARD
    with open("/proc/loadavg") as f:
        print(f"load average: {f.read().strip()}")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        print("1. cross-speaker entrainment")
        ok1 = entrainment(tmp, sentences)
        ok1 &= range_entrainment(tmp)
        print("2. adaptive comprehension")
        ok2 = adaptive(tmp, HEARD[:4] if not a.quick else HEARD[:3])
    print(f"entrainment {'PASS' if ok1 else 'FAIL'}, adaptive comprehension {'PASS' if ok2 else 'FAIL'} "
          f"({time.perf_counter() - t0:.0f} s)")
    return 0 if ok1 and ok2 else 1


if __name__ == "__main__":
    sys.exit(main())
