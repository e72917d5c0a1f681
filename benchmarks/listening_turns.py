"""Turn-end prediction on one- and multi-sentence turns (issue 12), measured.

A *turn* is one to three sentences said in one breath group by one synthesiser call (eSpeak NG with
the sentences in one text, so the synthesiser places its own sentence pauses; psigraph's own voice
the same), followed by 1.1–1.6 s of silence. A sentence end inside a turn is *not* a turn end.

Scores per voice set (clean clips, graphs/listen.yaml without the face):

* **predicted** — a ``turn_end_predicted`` event arrives 0.1–1.0 s before the turn's last sound
  (the issue's "≥ 100 ms before the end of the turn"); the lead of the first such event;
* **false** — every other ``turn_end_predicted`` event (most are at sentence ends inside turns),
  per 10 s of audio;
* reported separately for one-sentence turns and for multi-sentence turns.

Each clip is one speaker for 21 turns (about two minutes) heard in one session: the listener learns
the speaker as it goes (the first turns are included in the scores). The voices are split into a set
the predictor's constants were chosen on (``tuned``) and voices and rates it never saw
(``held_out``); both are reported. ``--compare`` also runs the predictor with ``learn_turns: false``
(a turn end at every final fall). Clips are made once into ``--inputs``.

Run: ``python benchmarks/listening_turns.py [--inputs DIR] [--quick] [--compare]``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import listen_inputs as li  # noqa: E402

LEAD = (0.1, 1.0)
TUNED = [li.Voice("espeak", "en-us", 150, 40), li.Voice("espeak", "en-us", 210, 60),
         li.Voice("espeak", "en+f3", 170, 70), li.Voice("espeak", "en-gb", 130, 50)]
HELD_OUT = [li.Voice("espeak", "en-us+m3", 120, 30), li.Voice("espeak", "en-gb-x-rp", 250, 55),
            li.Voice("espeak", "en+f4", 190, 80), li.Voice("psigraph", rate=1.0), li.Voice("psigraph", rate=1.4)]
SHAPES = (1, 2, 3, 2, 1, 3, 2)          # sentences per turn, in order (7 turns, 14 sentences)
REPEAT = 3                              # a clip is SHAPES 3 times: 21 turns (~2 min) of one speaker


def make_clip(voice: li.Voice, seed: int) -> tuple[np.ndarray, dict]:
    """A clip of turns of 1–3 sentences; returns (audio, {turns: [[start, end, sentences]], duration_s})."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(li.SENTENCES))
    parts, t, turns, i = [np.zeros(int(li.LEAD_S * li.RATE))], int(li.LEAD_S * li.RATE), [], 0
    for n in SHAPES * REPEAT:
        text = " ".join(li.SENTENCES[order[(i + j) % len(order)]] for j in range(n))
        i += n
        x, _ = li.speak(text, voice)
        turns.append([t / li.RATE, (t + len(x)) / li.RATE, n])
        parts.append(x)
        t += len(x)
        gap = np.zeros(int(rng.uniform(*li.TURN_GAP_S) * li.RATE))
        parts.append(gap)
        t += len(gap)
    audio = np.concatenate(parts)
    audio *= 0.7 / max(np.abs(audio).max(), 1e-9)
    return audio, {"turns": turns, "duration_s": len(audio) / li.RATE}


def clip(directory: str, voice: li.Voice, seed: int) -> tuple[str, dict]:
    """The clip's WAV path and metadata (made once)."""
    import soundfile as sf
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"turns-{voice.label}-{seed}.wav")
    if not os.path.exists(path + ".json"):
        audio, meta = make_clip(voice, seed)
        sf.write(path, audio, li.RATE, subtype="PCM_16")
        with open(path + ".json", "w") as f:
            json.dump(meta, f)
    with open(path + ".json") as f:
        return path, json.load(f)


def score(meta: dict, predicted: list) -> dict:
    """Hits, leads and false events of one clip, split by one- vs multi-sentence turns."""
    out = {"one": [0, 0], "multi": [0, 0], "leads_one": [], "leads_multi": [], "false": 0,
           "seconds": meta["duration_s"]}
    used = set()
    for _, end, n in meta["turns"]:
        key = "one" if n == 1 else "multi"
        out[key][1] += 1
        cand = [t for t in predicted if LEAD[0] <= end - t <= LEAD[1]]
        if cand:
            out[key][0] += 1
            out["leads_" + key].append(end - cand[0])
            used.add(cand[0])
    out["false"] = len([t for t in predicted if t not in used])
    return out


def merge(rows: list) -> dict:
    tot = {"one": [0, 0], "multi": [0, 0], "leads_one": [], "leads_multi": [], "false": 0, "seconds": 0.0}
    for r in rows:
        for k in ("one", "multi"):
            tot[k] = [tot[k][0] + r[k][0], tot[k][1] + r[k][1]]
        for k in ("leads_one", "leads_multi"):
            tot[k] += r[k]
        tot["false"] += r["false"]
        tot["seconds"] += r["seconds"]
    return tot


def describe(name: str, tot: dict) -> str:
    lines = [f"{name}:"]
    for k in ("one", "multi"):
        h, n = tot[k]
        leads = np.array(tot["leads_" + k]) * 1000
        dist = (f"lead ms min {leads.min():.0f} / p25 {np.percentile(leads, 25):.0f} / median {np.median(leads):.0f}"
                f" / p75 {np.percentile(leads, 75):.0f} / max {leads.max():.0f}") if len(leads) else "no leads"
        lines.append(f"  {k}-sentence turns: {h}/{n} predicted >= 100 ms ahead ({100 * h / max(n, 1):.0f} %); {dist}")
    per10 = 10 * tot["false"] / max(tot["seconds"], 1e-9)
    lines.append(f"  false: {tot['false']} in {tot['seconds']:.0f} s = {per10:.2f} per 10 s")
    return "\n".join(lines)


def run(directory: str, voices: list, seeds: list, params: dict | None = None, log=None) -> dict:
    from listening import listen
    rows = []
    for v in voices:
        for seed in seeds:
            path, meta = clip(directory, v, seed)
            heard = listen(path, params)
            r = score(meta, heard["events"].get("turn_end_predicted", []))
            rows.append(r)
            if log:
                log(f"  {v.label:30s} seed {seed}: one {r['one'][0]}/{r['one'][1]}, "
                    f"multi {r['multi'][0]}/{r['multi'][1]}, false {r['false']} in {r['seconds']:.0f} s")
    return merge(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="turn-end prediction on one- and multi-sentence turns")
    ap.add_argument("--inputs", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "psigraph_listen_turns"))
    ap.add_argument("--quick", action="store_true", help="one clip per voice")
    ap.add_argument("--verbose", action="store_true", help="per-clip lines")
    ap.add_argument("--compare", action="store_true", help="also without learning where turns end")
    a = ap.parse_args(argv)
    seeds = [1] if a.quick else [1, 2]
    log = (lambda s: print(s, file=sys.stderr)) if a.verbose else None     # noqa: E731
    variants = [("", None)] + ([(", every final fall (learn_turns: false)", {"entrain.learn_turns": False})]
                               if a.compare else [])
    for name, voices in (("tuned voices", TUNED), ("held-out voices", HELD_OUT)):
        for what, params in variants:
            print(describe(f"{name}{what} ({', '.join(v.label for v in voices)})",
                           run(a.inputs, voices, seeds, params, log=log)))
    print(f"loadavg {open('/proc/loadavg').read().split()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
