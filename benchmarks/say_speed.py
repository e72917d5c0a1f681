"""Whole-process speed of ``psigraph say`` against eSpeak NG on the same text (issue 15).

    python benchmarks/say_speed.py [--text-file F | --words 400] [--runs 3] [--jit]

Both commands run as fresh processes writing a WAV: one warm-up each, then ``--runs`` timed
runs, interleaved. Prints the median wall time, CPU time (user + system: less sensitive to a
loaded machine) and the peak resident memory (ru_maxrss) of each child, their ratios and
/proc/loadavg. Targets: wall <= 8x eSpeak NG's, peak <= 150 MiB.
The default text is the first ``--words`` words of ../shared/eval/harvard_dev_extended.txt.
Children run with Python bytecode caching on (as an installed package has it), whatever
PYTHONDONTWRITEBYTECODE says here.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TEXT = os.path.join(HERE, "..", "..", "shared", "eval", "harvard_dev_extended.txt")
WALL_TARGET, RSS_TARGET_MIB = 8.0, 150.0


def run_once(cmd: list[str], env: dict) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS MiB) of one child process; raises if it fails."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"error: {' '.join(cmd)} failed ({proc.returncode}): {err.strip()[-400:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0


def measure(cmds: dict, runs: int, env: dict) -> dict:
    """name -> list of (wall, cpu, rss) over ``runs`` timed runs after one warm-up, runs interleaved."""
    for cmd in cmds.values():
        run_once(cmd, env)
    out: dict = {name: [] for name in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            out[name].append(run_once(cmd, env))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--text-file", help="text to speak (default: the first --words words of the Harvard list)")
    ap.add_argument("--words", type=int, default=400)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jit", action="store_true", help="kernels through numba's JIT (PSIGRAPH_AOT=0), "
                    "not the ahead-of-time build")
    a = ap.parse_args(argv)
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise SystemExit("error: espeak-ng not found; install it (apt-get install espeak-ng) to have a peer")
    with tempfile.TemporaryDirectory() as tmp:
        path = a.text_file
        if path is None:
            with open(TEXT, encoding="utf-8") as f:
                words = f.read().split()[:a.words]
            path = os.path.join(tmp, "text.txt")
            with open(path, "w", encoding="utf-8") as f:
                f.write(" ".join(words) + "\n")
        with open(path, encoding="utf-8") as f:
            n_words = len(f.read().split())
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        if a.jit:
            env["PSIGRAPH_AOT"] = "0"
        else:                   # what `install.sh` (or the first `psigraph` command, in the background) builds
            subprocess.run([sys.executable, "-m", "psigraph.kernels.aot", "build", "--missing"], env=env, check=True)
        cmds = {"psigraph say": [sys.executable, "-m", "psigraph.runtime.cli", "say", "--text-file", path,
                                 "-q", "-o", os.path.join(tmp, "p.wav")],
                "espeak-ng": [espeak, "-f", path, "-w", os.path.join(tmp, "e.wav")]}
        res = measure(cmds, a.runs, env)
        with open("/proc/loadavg") as f:
            load = f.read().split()[:3]
    med = {k: (statistics.median(w for w, _, _ in v), statistics.median(c for _, c, _ in v), max(r for *_, r in v))
           for k, v in res.items()}
    print(f"{n_words} words, median of {a.runs} after a warm-up; loadavg {' '.join(load)}; kernels: "
          + ("numba JIT (cached)" if a.jit else "ahead-of-time build"))
    for name, (wall, cpu, rss) in med.items():
        print(f"  {name:13s} wall {wall:6.2f} s   cpu {cpu:6.2f} s   peak RSS {rss:6.1f} MiB")
    (pw, pc, pr), (ew, ec, er) = med["psigraph say"], med["espeak-ng"]
    print(f"  ratio         wall {pw / ew:6.1f}x (target <= {WALL_TARGET:.0f}x)   cpu {pc / max(ec, 1e-3):6.1f}x   "
          f"peak {pr:.1f} MiB (target <= {RSS_TARGET_MIB:.0f} MiB; {pr / er:.1f}x eSpeak NG's)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
