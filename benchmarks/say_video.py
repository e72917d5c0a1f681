"""`psigraph say TEXT --video` wall time against the clip length (issue 8: ≤ old path + 10 %; issue 14: ≤ 1.2×).

    python benchmarks/say_video.py [--runs 3] [--size 640] [--workers 0 1 2] [--heads procedural]
        [--quiet-below CORES] [--old-python /tmp/venv_before/bin/python] [--rev HEAD] [--keep DIR]

Every configuration runs `say` of a ~10 s text with --video as a separate process from a
temporary folder: one warm-up run each, then ``--runs`` rounds in which the configurations
take turns (interleaved, so a change in the machine's load hits them alike). Printed per
configuration: the median wall time and its ratio to the clip length (decoded video
duration), frames per second of wall time, CPU seconds of the whole process tree, how many
cores the rest of the machine used meanwhile (from /proc/stat) and the 1-minute load average,
and the MP4 check (frame count, video and audio start and duration, |A−V| duration
difference, SHA-256 of the file).

Configurations:
  old        the pre-redesign code (synthesis first, then render in 2 processes while encoding),
             run with ``--old-python`` (a venv with commit 7d4b837 installed)
  rev        the graph path at git revision ``--rev`` (default HEAD; the working tree's
             uncommitted changes excluded), from a temporary tree put first on PYTHONPATH
  workers=N  this working tree, face_render ``workers: N`` (N = 2 is the default, run as
             plain `psigraph say`; others through a two-line wrapper that sets the param)
  head=H     this working tree with face_render ``head: H`` (``--heads procedural``: the old,
             procedural head, the issue-14 peer of the default ICT head), default workers
Each run's 1-minute load average and /proc/loadavg before and after the whole benchmark are printed.
Also printed: single-process render speed (frames/s at --size) in this process.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import loadavg

REPO = Path(__file__).resolve().parents[1]
TEXT = ("The quick brown fox jumps over the lazy dog near the river bank. "
        "Every morning the old baker opens his shop and sells warm bread to the people.")
#: runs `say` with face_render params set (say itself has no flag for them)
WRAPPER = """import sys
from psigraph.runtime import cli, say
_build = say.build_say_graph
def build_say_graph(opts):
    g = _build(opts)
    for nid, spec in g.nodes.items():
        if spec.type == "face_render":
            for k, v in {params!r}.items():
                g.set_param(nid, k, v)
    return g
say.build_say_graph = build_say_graph
sys.exit(cli.main(sys.argv[1:]))
"""
#: top-level folders of the repository that install as psigraph.<name> (setup.py MAPPED)
MAPPED = ("nodes", "runtime", "memory", "editor", "graphs")


def tree_at(rev: str, dest: Path) -> Path:
    """An importable copy of the repository at ``rev``: PYTHONPATH=<returned> imports it first."""
    src = dest / "src"
    src.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    pkg = dest / "path" / "psigraph"
    pkg.mkdir(parents=True)
    for entry in (src / "psigraph").iterdir():
        (pkg / entry.name).symlink_to(entry)
    for name in MAPPED:
        if (src / name).is_dir():
            (pkg / name).symlink_to(src / name)
    return dest / "path"


def configs(a, scratch: Path) -> list:
    out = []
    if a.old_python:
        if Path(a.old_python).exists():
            out.append({"name": "old (7d4b837)", "cmd": [a.old_python, "-m", "psigraph.runtime.cli"], "env": {}})
        else:
            print(f"skipping the old path: {a.old_python} does not exist", file=sys.stderr)
    if a.rev:
        path = tree_at(a.rev, scratch / "rev")
        out.append({"name": f"graph @ {a.rev}", "cmd": [sys.executable, "-m", "psigraph.runtime.cli"],
                    "env": {"PYTHONPATH": str(path)}})
    for w in a.workers:
        cmd = [sys.executable, "-m", "psigraph.runtime.cli"] if w == 2 else \
            [sys.executable, "-c", WRAPPER.format(params={"workers": int(w)})]
        out.append({"name": f"workers={w}", "cmd": cmd, "env": {}})
    for h in a.heads:
        out.append({"name": f"head={h}", "cmd": [sys.executable, "-c", WRAPPER.format(params={"head": h})], "env": {}})
    return out


def busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (all cores, /proc/stat), or nan elsewhere."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return float("nan")
    idle = v[3] + (v[4] if len(v) > 4 else 0)                    # idle + iowait
    return (sum(v[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def wait_for_quiet(max_cores: float, patience: float = 90.0) -> float:
    """Wait (up to ``patience`` s) until other processes use less than ``max_cores``; returns their use."""
    t_end = time.monotonic() + patience
    while True:
        b, t = busy_seconds(), time.perf_counter()
        time.sleep(1.0)
        use = (busy_seconds() - b) / (time.perf_counter() - t)
        if use < max_cores or time.monotonic() > t_end:
            return use
        time.sleep(2.0)


def run_once(cfg: dict, folder: Path, size: int, tag: str) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **cfg["env"]}
    cmd = cfg["cmd"] + ["say", TEXT, "-o", f"{tag}.wav", "--video", f"{tag}.mp4", "--size", str(size)]
    load = os.getloadavg()[0]
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    b0 = busy_seconds()
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    b1 = busy_seconds()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode:
        raise SystemExit(f"{cfg['name']} failed ({p.returncode}): {p.stderr.strip()[-800:]}")
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    others = max(0.0, (b1 - b0 - cpu) / wall)                   # cores the rest of the machine used meanwhile
    return {"wall": wall, "cpu": cpu, "load": load, "others": others, "mp4": folder / f"{tag}.mp4",
            "stderr": p.stderr.strip()}


def check_mp4(path: Path) -> dict:
    from psigraph.nodes.face.video import probe
    info = probe(str(path))
    v, au = info["video"], info["audio"]
    return {"frames": v["count"], "v_start": v["start"], "v_dur": v["duration"], "a_start": au["start"],
            "a_dur": au["duration"], "av_ms": abs(v["duration"] - au["duration"]) * 1000,
            "sha": hashlib.sha256(path.read_bytes()).hexdigest()[:12], "mb": path.stat().st_size / 1e6}


def render_fps(size: int, n: int = 120) -> float:
    import numpy as np

    from psigraph.nodes.face.render import FaceRenderer, row_from
    r = FaceRenderer(size, size)
    rows = [row_from({"jawOpen": 0.05 * (i % 20), "headYaw": 0.004 * i}) for i in range(n)]
    r.render(np.zeros_like(rows[0]))
    t = time.perf_counter()
    for row in rows:
        r.render(row)
    dt = time.perf_counter() - t
    r.close()
    return n / dt


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="timed rounds after one warm-up round (median)")
    ap.add_argument("--size", type=int, default=640)
    ap.add_argument("--workers", type=int, nargs="*", default=[0, 1, 2], help="face_render workers to time")
    ap.add_argument("--heads", nargs="*", default=["procedural"], choices=["procedural", "ict"],
                    help="also time face_render with this head (default: the procedural head, the peer of the ICT head)")
    ap.add_argument("--old-python", default="/tmp/venv_before/bin/python",
                    help="python of a venv with the pre-redesign code (7d4b837); '' to skip")
    ap.add_argument("--rev", default="HEAD", help="git revision of the 'before this change' graph path; '' to skip")
    ap.add_argument("--keep", default=None, help="keep the outputs in this folder")
    ap.add_argument("--quiet-below", type=float, default=None, metavar="CORES",
                    help="before each run wait (up to 90 s) until other processes use fewer than CORES cores")
    a = ap.parse_args(argv)
    scratch = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="say_video_"))
    cfgs = configs(a, scratch)
    print(f"{os.cpu_count()} CPU(s); text of {len(TEXT.split())} words; {a.size}x{a.size}; "
          f"{a.runs} timed round(s) after 1 warm-up round, configurations interleaved; loadavg before: {loadavg()}")
    results = {c["name"]: [] for c in cfgs}
    try:
        for rnd in range(a.runs + 1):
            for i, c in enumerate(cfgs):
                if a.quiet_below is not None and rnd:
                    wait_for_quiet(a.quiet_below)
                r = run_once(c, scratch / f"c{i}", a.size, f"r{rnd}")
                if rnd:
                    results[c["name"]].append(r)
                print(f"  round {rnd}{' (warm-up)' if not rnd else ''} {c['name']:<16} {r['wall']:6.2f} s  "
                      f"CPU {r['cpu']:5.1f} s  others used {r['others']:.2f} cores  load {r['load']:.2f}",
                      flush=True)
        fps1 = render_fps(a.size)
        print(f"\nrender only, one process: {fps1:.1f} frames/s ({1000 / fps1:.1f} ms/frame) at {a.size}x{a.size}")
        print(f"\n{'configuration':<16} {'median s':>8} {'x clip':>7} {'fps':>6} {'CPU s':>6} {'others':>6} {'load':>5}  "
              f"{'frames':>6} {'video s':>8} {'audio s':>8} {'|A-V| ms':>8} {'start V/A':>9}  sha256")
        for c in cfgs:
            rs = results[c["name"]]
            med = statistics.median(r["wall"] for r in rs)
            m = check_mp4(rs[-1]["mp4"])
            shas = {check_mp4(r["mp4"])["sha"] for r in rs}
            clip = m["v_dur"]
            print(f"{c['name']:<16} {med:8.2f} {med / clip:7.3f} {m['frames'] / med:6.1f} "
                  f"{statistics.median(r['cpu'] for r in rs):6.1f} {statistics.mean(r['others'] for r in rs):6.2f} "
                  f"{statistics.mean(r['load'] for r in rs):5.2f}  "
                  f"{m['frames']:6d} {m['v_dur']:8.4f} {m['a_dur']:8.4f} {m['av_ms']:8.1f} "
                  f"{m['v_start']:.1f}/{m['a_start']:.1f}  {m['sha']}{'' if len(shas) == 1 else ' (differs between runs!)'}")
        print("\nx clip = median wall time of the whole `say` process / decoded video duration; fps = frames / "
              "median wall; CPU s = user+sys of the process and its render workers (median); others = cores "
              "the rest of the machine used during the runs (mean); load = 1-min load average at their start")
        peer = next((c["name"] for c in cfgs if c["name"] == "head=procedural"), None)
        for c in cfgs:
            if peer and c["name"] != peer and not c["name"].startswith("head="):
                pair = [x["wall"] / y["wall"] for x, y in zip(results[c["name"]], results[peer])]
                print(f"{c['name']} / {peer}, paired by round: median {statistics.median(pair):.2f} "
                      f"(rounds: {', '.join(f'{x:.2f}' for x in pair)})")
        print(f"loadavg after: {loadavg()}")
    finally:
        if not a.keep:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
