"""Peak memory of `psigraph say --text-file` for a short and a long text (issue 9: constant memory).

    python benchmarks/long_text_memory.py [--words 10000] [--frames]

Runs each as a separate process under /usr/bin/time -v and prints peak RSS, wall time, the
speech duration and the ratio long/short (target <= 1.5). Texts are Harvard sentences repeated.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

SENTENCES = Path(__file__).resolve().parents[2] / "shared" / "eval" / "harvard_dev_extended.txt"


def text_of(words: int) -> str:
    src = [s.strip() for s in SENTENCES.read_text().splitlines() if s.strip()]
    out, n, i = [], 0, 0
    while n < words:
        out.append(src[i % len(src)])
        n += len(src[i % len(src)].split())
        i += 1
    return " ".join(out)


def measure(words: int, folder: Path, frames: bool) -> dict:
    txt = folder / f"w{words}.txt"
    txt.write_text(text_of(words))
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "psigraph.runtime.cli", "say", "--text-file", str(txt),
           "-o", str(folder / f"w{words}.wav"), "-q"] + (["--frames", str(folder / f"w{words}.jsonl")] if frames else [])
    err = subprocess.run(cmd, capture_output=True, text=True, check=True).stderr
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time .*: ([\d:.]+)", err).group(1)
    with wave.open(str(folder / f"w{words}.wav")) as w:
        seconds = w.getnframes() / w.getframerate()
    return {"words": words, "rss_kb": rss, "wall": wall, "speech_s": seconds}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--words", type=int, default=10000)
    ap.add_argument("--frames", action="store_true", help="also write the frames JSONL")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        short, long = measure(100, Path(d), a.frames), measure(a.words, Path(d), a.frames)
    for r in (short, long):
        print(f"{r['words']:>6} words: {r['speech_s']:8.1f} s of speech, peak RSS {r['rss_kb'] / 1024:6.1f} MiB, "
              f"wall {r['wall']}")
    print(f"peak memory ratio long/short: {long['rss_kb'] / short['rss_kb']:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
