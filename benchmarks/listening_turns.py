"""Turn-end prediction on one- and multi-sentence turns (issue 12), measured.

A *turn* is one to three sentences said in one breath group by one synthesiser call (eSpeak NG with
the sentences in one text, so the synthesiser places its own sentence pauses; psigraph's own voice
the same, through ``nodes.speech.offline.synthesize`` with a persona and rate: its paragraph
intonation ends sentences inside the text higher than the last one), followed by 1.1–1.6 s of
silence. A sentence end inside a turn is *not* a turn end.

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
(a turn end at every final fall); ``--flat`` makes psigraph's clips without paragraph intonation
(the voice before it); scores are reported per voice family (psigraph, eSpeak). Clips are made
once into ``--inputs``. ``--wer N`` instead checks that paragraph intonation costs no
intelligibility: whisper WER of N held-out 2–3-sentence texts, with and without it, paired.

Run: ``python benchmarks/listening_turns.py [--inputs DIR] [--quick] [--compare] [--flat] [--family F]``
or ``python benchmarks/listening_turns.py --wer 60``.
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
# psigraph voices: name = persona (pitch: low 118, default 150, bright 200 Hz base), rate = factor
TUNED = [li.Voice("espeak", "en-us", 150, 40), li.Voice("espeak", "en-us", 210, 60),
         li.Voice("espeak", "en+f3", 170, 70), li.Voice("espeak", "en-gb", 130, 50),
         li.Voice("psigraph", "default", 1.3)]
HELD_OUT = [li.Voice("espeak", "en-us+m3", 120, 30), li.Voice("espeak", "en-gb-x-rp", 250, 55),
            li.Voice("espeak", "en+f4", 190, 80), li.Voice("psigraph", "default", 1.0),
            li.Voice("psigraph", "default", 1.4), li.Voice("psigraph", "low", 1.15),
            li.Voice("psigraph", "bright", 0.9)]
FLAT = False                            # --flat: psigraph's voice without paragraph intonation (before)
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
        x = speak(text, voice)
        turns.append([t / li.RATE, (t + len(x)) / li.RATE, n])
        parts.append(x)
        t += len(x)
        gap = np.zeros(int(rng.uniform(*li.TURN_GAP_S) * li.RATE))
        parts.append(gap)
        t += len(gap)
    audio = np.concatenate(parts)
    audio *= 0.7 / max(np.abs(audio).max(), 1e-9)
    return audio, {"turns": turns, "duration_s": len(audio) / li.RATE}


def speak(text: str, voice: li.Voice) -> np.ndarray:
    """Trimmed 24 kHz audio of ``text``: eSpeak NG, or psigraph's voice (persona ``voice.name``)."""
    if voice.engine != "psigraph":
        return li.speak(text, voice)[0]
    from psigraph.nodes.speech.offline import synthesize
    if FLAT:
        with _flat_paragraphs():
            x, sr = synthesize(text, persona=voice.name, rate=voice.rate)
    else:
        x, sr = synthesize(text, persona=voice.name, rate=voice.rate)
    assert sr == li.RATE, sr
    return li.trim(np.asarray(x, dtype=np.float64))


def label(voice: li.Voice) -> str:
    if voice.engine == "psigraph":
        return f"psigraph-{voice.name}-x{voice.rate:g}" + ("-flat" if FLAT else "-para")
    return voice.label


def clip(directory: str, voice: li.Voice, seed: int) -> tuple[str, dict]:
    """The clip's WAV path and metadata (made once)."""
    import soundfile as sf
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"turns-{label(voice)}-{seed}.wav")
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
    hits, n = tot["one"][0] + tot["multi"][0], tot["one"][1] + tot["multi"][1]
    lines.append(f"  all turns: {hits}/{n} ({100 * hits / max(n, 1):.0f} %)")
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
    """Scores merged per voice family: {'psigraph': ..., 'espeak': ...} (families present only)."""
    from listening import listen
    rows: dict = {}
    for v in voices:
        for seed in seeds:
            path, meta = clip(directory, v, seed)
            heard = listen(path, params)
            r = score(meta, heard["events"].get("turn_end_predicted", []))
            rows.setdefault(v.engine, []).append(r)
            if log:
                log(f"  {label(v):30s} seed {seed}: one {r['one'][0]}/{r['one'][1]}, "
                    f"multi {r['multi'][0]}/{r['multi'][1]}, false {r['false']} in {r['seconds']:.0f} s")
    return {fam: merge(r) for fam, r in rows.items()}


# ---------------------------------------------------------------- WER guard of paragraph intonation
def _flat_paragraphs():
    """A context in which psigraph's planner says every sentence as turn-final and turn-initial (the
    voice before paragraph intonation), for paired comparisons in one run."""
    import contextlib

    from psigraph.nodes.speech.frontend import plan as plan_mod

    @contextlib.contextmanager
    def ctx():
        real = plan_mod.PhraseSpan
        plan_mod.PhraseSpan = lambda *a: real(*a[:6])       # sentence 0, turn-final: the defaults
        try:
            yield
        finally:
            plan_mod.PhraseSpan = real
    return ctx()


def wer_texts(n: int) -> list[str]:
    """``n`` held-out multi-sentence texts: consecutive Harvard sentences of the extended dev list
    (index >= 50: never looked at while the voice was built) grouped 2, 3, 2, 3, ..."""
    import intelligibility as it
    sents = it.dev_sentences()[it.N_DEV:]
    out, i = [], 0
    while len(out) < n and i < len(sents):
        k = 2 + len(out) % 2
        out.append(" ".join(sents[i:i + k]))
        i += k
    return out


def wer_guard(n: int, seed: int = 0) -> None:
    """WER (whisper, greedy) of the paragraph voice vs the flat voice on the same texts, paired."""
    import intelligibility as it
    from psigraph.nodes.speech.offline import synthesize
    texts = wer_texts(n)
    inst = it.Instruments(dnsmos=False)
    errs = {"paragraph": [], "flat": []}
    words = []
    for k, text in enumerate(texts):
        ref = it.normalize_text(text)
        words.append(len(ref))
        for name in errs:
            if name == "flat":
                with _flat_paragraphs():
                    audio, sr = synthesize(text, seed=seed)
            else:
                audio, sr = synthesize(text, seed=seed)
            hyp = it.normalize_text(inst.transcribe(inst.to16k(audio, sr)))
            errs[name].append(it.edit_distance(ref, hyp))
        print(f"  [{k:02d}] paragraph {errs['paragraph'][-1]} flat {errs['flat'][-1]} / {len(ref)}", file=sys.stderr)
    w = float(np.sum(words))
    a, b = np.array(errs["paragraph"]), np.array(errs["flat"])
    diff, ratio = it.paired_bootstrap(a, b, words)
    print(f"WER on {len(texts)} held-out 2-3-sentence texts ({int(w)} words), whisper greedy, seed {seed}: "
          f"paragraph {100 * a.sum() / w:.2f} %, flat {100 * b.sum() / w:.2f} %, "
          f"difference {100 * (a.sum() - b.sum()) / w:+.2f} [{100 * diff[0]:+.2f}, {100 * diff[1]:+.2f}] points (95 %)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="turn-end prediction on one- and multi-sentence turns")
    ap.add_argument("--inputs", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "psigraph_listen_turns"))
    ap.add_argument("--quick", action="store_true", help="one clip per voice")
    ap.add_argument("--verbose", action="store_true", help="per-clip lines")
    ap.add_argument("--compare", action="store_true", help="also without learning where turns end")
    ap.add_argument("--flat", action="store_true", help="psigraph's voice without paragraph intonation (before)")
    ap.add_argument("--family", choices=("psigraph", "espeak"), help="only this voice family")
    ap.add_argument("--wer", type=int, metavar="N", help="only the WER guard: N held-out multi-sentence texts, "
                    "psigraph's voice with and without paragraph intonation")
    ap.add_argument("--seed", type=int, default=0, help="psigraph's noise/jitter seed for --wer")
    a = ap.parse_args(argv)
    if a.wer:
        wer_guard(a.wer, a.seed)
        return 0
    global FLAT
    FLAT = a.flat
    seeds = [1] if a.quick else [1, 2]
    log = (lambda s: print(s, file=sys.stderr)) if a.verbose else None     # noqa: E731
    variants = [("", None)] + ([(", every final fall (learn_turns: false)", {"entrain.learn_turns": False})]
                               if a.compare else [])
    for name, voices in (("tuned voices", TUNED), ("held-out voices", HELD_OUT)):
        voices = [v for v in voices if a.family in (None, v.engine)]
        for what, params in variants:
            for fam, tot in run(a.inputs, voices, seeds, params, log=log).items():
                used = [label(v) for v in voices if v.engine == fam]
                print(describe(f"{name}, {fam}{what} ({', '.join(used)})", tot), flush=True)
    print(f"loadavg {open('/proc/loadavg').read().split()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
