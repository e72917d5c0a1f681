"""Minimal-pair forced-choice probes: is "Say X again." heard as X rather than its foil Y?

Each word of a pair is spoken by each engine in the carrier "Say X again." and scored by forced
choice between the pair's two alternatives by two recognisers:

* Whisper tiny.en (faster-whisper, offline): the log-probability of the transcripts
  " Say X again." and " Say Y again." given the audio (teacher-forced token probabilities
  from ``WhisperModel.model.align``), higher wins;
* pocketsphinx 5 (en-us): a two-word JSGF grammar ``say ( X | Y ) again``. It returns no
  hypothesis at all for most eSpeak NG clips (also with dither or added noise; its free
  decoding of eSpeak gives one or two words a sentence), so its column compares psigraph
  with chance, not with eSpeak.

A class's score is the share of its words heard correctly (chance = 50 %). Classes cover stop
place and voicing, stop + sonorant clusters, nasals, fricatives (f/θ apart: hard for every
synthesiser and for listeners), affricates, /h/, r/l and vowels (~100 words). The word list
was written from phonetic categories before any voice was scored on it.

    python benchmarks/minimal_pairs.py [--seeds 0 1] [--engines psigraph espeak]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import intelligibility as I  # noqa: E402  (engines and instruments)

CARRIER = "Say {} again."

PAIRS: dict[str, list[tuple[str, str]]] = {
    "stop place": [("pat", "tat"), ("tap", "cap"), ("bad", "dad"), ("goat", "boat"), ("pick", "tick"),
                   ("dig", "big"), ("coal", "toll")],
    "stop voicing": [("pat", "bat"), ("tip", "dip"), ("coat", "goat"), ("pie", "buy"), ("tab", "tap"),
                     ("bag", "back"), ("seed", "seat")],
    "clusters": [("clue", "blue"), ("crow", "grow"), ("train", "drain"), ("plank", "blank"),
                 ("pray", "bray"), ("class", "glass"), ("trip", "drip")],
    "nasals": [("sum", "sub"), ("rum", "rub"), ("map", "nap"), ("sin", "sing"), ("mad", "bad"),
               ("net", "debt"), ("ram", "ran")],
    "fricatives": [("fan", "van"), ("sip", "zip"), ("sue", "shoe"), ("sea", "she"), ("ferry", "very"),
                   ("sink", "zinc")],
    "f/θ": [("fin", "thin"), ("free", "three"), ("fought", "thought")],
    "affricates": [("chip", "ship"), ("gin", "chin"), ("cheap", "sheep"), ("jeer", "cheer"),
                   ("chew", "shoe"), ("jam", "sham")],
    "/h/": [("hat", "at"), ("heart", "art"), ("hold", "old"), ("hair", "air"), ("hand", "and")],
    "r/l": [("rock", "lock"), ("right", "light"), ("fear", "feel"), ("bore", "bowl"), ("four", "foal"),
            ("read", "lead")],
    "vowels": [("bit", "beat"), ("bet", "bat"), ("cot", "cut"), ("pull", "pool"), ("bead", "bid"),
               ("luck", "lock")],
}


class WhisperChoice:
    """Forced choice among transcripts by Whisper's teacher-forced token log-probabilities."""

    def __init__(self, inst: "I.Instruments"):
        from faster_whisper.tokenizer import Tokenizer
        self.model = inst.asr
        self.tok = Tokenizer(self.model.hf_tokenizer, self.model.model.is_multilingual,
                             task="transcribe", language="en")

    def scores(self, a16: np.ndarray, texts: list[str]) -> list[float]:
        from faster_whisper.audio import pad_or_trim
        feats = self.model.feature_extractor(a16)
        n_frames = min(feats.shape[-1], 3000)
        enc = self.model.encode(pad_or_trim(feats))
        out = []
        for text in texts:
            toks = self.tok.encode(" " + text)
            res = self.model.model.align(enc, self.tok.sot_sequence + [self.tok.no_timestamps], [toks], n_frames)[0]
            out.append(float(np.sum(np.log(np.maximum(res.text_token_probs, 1e-12)))))
        return out


class SphinxChoice:
    """pocketsphinx with a one-slot grammar ``say ( X | Y ) again``."""

    def __init__(self):
        from pocketsphinx import Decoder
        self.dec = Decoder(samprate=16000, loglevel="FATAL")

    def choose(self, a16: np.ndarray, words: list[str]) -> str:
        g = "#JSGF V1.0;\ngrammar probe;\npublic <s> = say ( " + " | ".join(words) + " ) again;\n"
        self.dec.set_jsgf_string("probe", g)
        self.dec.activate_search("probe")
        pcm = (np.clip(a16 / (np.max(np.abs(a16)) or 1.0) * 0.8, -1, 1) * 32767).astype(np.int16)
        self.dec.start_utt()
        self.dec.process_raw(pcm.tobytes(), full_utt=True)
        self.dec.end_utt()
        hyp = self.dec.hyp()
        said = hyp.hypstr.split() if hyp is not None else []
        return said[1] if len(said) >= 2 else ""


def probe(engines, seeds, classes=None, verbose: bool = False) -> dict:
    """{engine: {class: [whisper correct, sphinx correct, n]}} (``verbose``: print every miss)."""
    inst = I.Instruments(dnsmos=False)
    wc, sc = WhisperChoice(inst), SphinxChoice()
    table: dict = {}
    for engine in engines:
        for cls, pairs in PAIRS.items():
            if classes and cls not in classes:
                continue
            row = table.setdefault(engine, {}).setdefault(cls, [0, 0, 0])
            for pair in pairs:
                alts = [CARRIER.format(w) for w in pair]
                for k, word in enumerate(pair):
                    for seed in (seeds if engine == "psigraph" else [0]):
                        I.PSIGRAPH_SEED = seed
                        audio, sr = I.SYNTH[engine](alts[k])
                        a16 = I.Instruments.to16k(audio, sr)
                        s = wc.scores(a16, alts)
                        heard = sc.choose(a16, list(pair))
                        row[0] += int(np.argmax(s) == k)
                        row[1] += int(heard == word)
                        row[2] += 1
                        if verbose and (np.argmax(s) != k or heard != word):
                            print(f"  {engine} s{seed} {cls}: said {word!r}; Whisper "
                                  f"{pair[int(np.argmax(s))]!r} ({s[k] - max(s):+.1f} nats), sphinx {heard!r}",
                                  flush=True)
    return table


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--engines", nargs="+", default=["psigraph", "espeak"], choices=I.ENGINES)
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1], help="psigraph noise seeds")
    ap.add_argument("--classes", nargs="+", choices=list(PAIRS), help="only these classes")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every misheard word")
    a = ap.parse_args(argv)
    t = time.time()
    table = probe(a.engines, a.seeds, a.classes, a.verbose)
    classes = [c for c in PAIRS if c in table[a.engines[0]]]
    words = sum(2 * len(PAIRS[c]) for c in classes)
    print(f"\n{words} words in {sum(len(PAIRS[c]) for c in classes)} pairs; % heard as said "
          f"(forced choice between the pair; chance 50 %), Whisper / pocketsphinx")
    head = f"{'class':14s}" + "".join(f" {e + ' W':>12s} {e + ' S':>12s}" for e in a.engines)
    print(head)
    tot = {e: [0, 0, 0] for e in a.engines}
    for cls in classes:
        line = f"{cls:14s}"
        for e in a.engines:
            w, s, n = table[e][cls]
            tot[e] = [tot[e][0] + w, tot[e][1] + s, tot[e][2] + n]
            line += f" {100 * w / n:12.0f} {100 * s / n:12.0f}"
        print(line)
    line = f"{'all':14s}"
    for e in a.engines:
        w, s, n = tot[e]
        line += f" {100 * w / n:12.1f} {100 * s / n:12.1f}"
    print(line)
    print(f"({time.time() - t:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
