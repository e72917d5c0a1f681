"""`psigraph export` of a ~10 s stored utterance to MP4 against a live `psigraph say --video` of the same text.

    python benchmarks/memory_export.py [--runs 3] [--size 640] [--keep DIR]

Records the text once with ``say --db`` (no video), then runs, as separate processes taking
turns (one warm-up each, then ``--runs`` rounds, so a change in the machine's load hits both
alike): ``say TEXT -o a.wav --video a.mp4`` and ``export STORE ID -o clip.mp4``. Printed: median
wall time of each and its ratio to the clip length (target for export: ≤ 1.2×), export / say,
the A/V alignment of both MP4s (nodes/face/video.py ``probe``: streams start together, durations
within one frame), whether two exports are byte-identical, and the store's bytes per second of
speech: per band (psi_blob + emo_vec) and the whole file.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEXT = ("The quick brown fox jumps over the lazy dog near the river bank. "
        "Every morning the old baker opens his shop and sells warm bread to the people.")
FPS = 60.0


def psigraph(*args, cwd) -> float:
    """Run ``psigraph ARGS`` in a fresh process; returns its wall time (s)."""
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "psigraph.runtime.cli", *args], cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f"psigraph {' '.join(args[:3])} ... failed:\n{r.stderr}")
    return wall


def av_check(path: str) -> tuple[bool, str]:
    from psigraph.nodes.face.video import probe
    info = probe(path)
    v, a = info["video"], info["audio"]
    ok = abs(v["start"] - a["start"]) <= 1 / FPS and abs(v["duration"] - a["duration"]) <= 1 / FPS
    return ok, (f"video start {v['start']:.4f} s dur {v['duration']:.4f} s ({v['count']} frames); audio start "
                f"{a['start']:.4f} s dur {a['duration']:.4f} s; |A-V| {abs(v['duration'] - a['duration']) * 1000:.1f} ms")


def store_sizes(store: str, seconds: float) -> str:
    con = sqlite3.connect(store)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    rows = dict(con.execute("SELECT band, sum(length(psi_blob) + ifnull(length(emo_vec), 0)) FROM psi_frames "
                            "GROUP BY band").fetchall())
    counts = dict(con.execute("SELECT band, count(*) FROM psi_frames GROUP BY band").fetchall())
    con.close()
    names = ("micro", "meso", "macro")
    parts = [f"{names[b]} {rows.get(b, 0) / seconds:.0f} B/s ({counts.get(b, 0)} frames, "
             f"{rows.get(b, 0) / max(counts.get(b, 1), 1):.0f} B each)" for b in range(3)]
    total = sum(rows.values()) / seconds
    return (f"store per second of speech: {', '.join(parts)}; all bands {total:.0f} B/s "
            f"(target <= 10 KB/s); file {os.path.getsize(store) / seconds:.0f} B/s "
            f"({os.path.getsize(store)} B, one utterance: SQLite pages included)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--size", type=int, default=640)
    ap.add_argument("--text", default=TEXT)
    ap.add_argument("--keep", default=None, help="keep the files in this folder")
    a = ap.parse_args(argv)
    work = a.keep or tempfile.mkdtemp(prefix="memory_export_")
    os.makedirs(work, exist_ok=True)
    store = os.path.join(work, "m.db")
    for p in Path(work).glob("m.db*"):
        p.unlink()
    env_note = f"{os.cpu_count()} CPUs, 1-min load {os.getloadavg()[0]:.2f}"
    psigraph("say", a.text, "-o", "rec.wav", "--db", store, "-q", cwd=work)
    import wave
    with wave.open(os.path.join(work, "rec.wav")) as w:
        seconds = w.getnframes() / w.getframerate()
    size = ["--size", str(a.size)]
    jobs = {"say --video": ["say", a.text, "-o", "live.wav", "--video", "live.mp4", "-q", *size],
            "export": ["export", store, "1", "-o", "clip.mp4", "-q", *size]}
    times = {k: [] for k in jobs}
    for r in range(a.runs + 1):                       # round 0 is the warm-up
        for name, args in jobs.items():
            t = psigraph(*args, cwd=work)
            if r:
                times[name].append(t)
    shutil.copy(os.path.join(work, "clip.mp4"), os.path.join(work, "clip_first.mp4"))
    psigraph(*jobs["export"], cwd=work)
    same = Path(work, "clip.mp4").read_bytes() == Path(work, "clip_first.mp4").read_bytes()
    print(f"text: {seconds:.2f} s of speech at {a.size}x{a.size}; {a.runs} rounds after a warm-up; {env_note}")
    med = {k: statistics.median(v) for k, v in times.items()}
    for k, v in times.items():
        print(f"{k:12s} median {med[k]:6.2f} s = {med[k] / seconds:.2f}x clip length  (runs: "
              f"{', '.join(f'{x:.2f}' for x in v)})")
    print(f"export / say --video = {med['export'] / med['say --video']:.2f}; export target <= 1.2x clip length: "
          f"{'met' if med['export'] <= 1.2 * seconds else 'NOT met'}")
    for name, f in (("say --video", "live.mp4"), ("export", "clip.mp4")):
        ok, text = av_check(os.path.join(work, f))
        print(f"A/V {name:12s} {'ok ' if ok else 'BAD'} {text}")
    digest = hashlib.sha256(Path(work, "clip.mp4").read_bytes()).hexdigest()[:16]
    print(f"two exports byte-identical: {same} (sha256 {digest}…)")
    print(store_sizes(store, seconds))
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
