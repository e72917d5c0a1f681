"""`psigraph batch` scaling: 200 short texts with --frames on a Dask LocalCluster of 1 and of 2 workers.

Prints, per run, the batch time with the cluster already up and its workers set up (numba caches,
graph; the cluster's shutdown included), the end-to-end time (cluster start included), the median
clip time, how many workers were busy on average (sum of clip times / batch time: the batch's own
overhead), the CPU the worker processes and the batch process (client, scheduler, nannies: it
competes with the workers for the same cores) used per clip, the ratio
2 workers / 1 worker of both (measured in the same invocation; rounds alternate the order),
/proc/loadavg before and after, and checks that every output of the two runs is the same bytes,
and (unless --no-say-check) the bytes `psigraph say` writes for the same text.

    python benchmarks/batch.py [--clips 200] [--rounds 1] [--no-say-check] [--reference]

--reference also times 1 and 2 plain processes saying the same texts without any batch code: the
machine's own 2-process scaling (shared caches, memory), the floor the batch's ratio can reach.
Target (issue 16): 2 workers <= 0.55x the time of 1 worker (a 2-core machine).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

from machine import loadavg

SUBJECTS = ["The cat", "My friend", "The old baker", "A small robot", "Our teacher", "The river", "This song",
            "The red car", "Her brother", "The morning train"]
VERBS = ["sees", "likes", "finds", "brings", "paints", "follows", "answers", "remembers", "carries", "opens"]
OBJECTS = ["the door.", "a green apple.", "the long letter.", "every question.", "the quiet garden.",
           "a warm coat.", "the new book.", "the blue sky.", "two paper boats.", "the last page."]


def texts(n: int) -> list[str]:
    """n different short sentences (about one second of speech each)."""
    out = [f"{s} {v} {o}" for s in SUBJECTS for v in VERBS for o in OBJECTS]
    step = 37                                   # spread over the combinations, deterministic
    return [out[(i * step) % len(out)] for i in range(n)]


def autogroup() -> str:
    """Linux autogroup shares the CPU per session: on a busy machine every worker of this batch (one
    session) splits one session's share, so more workers cannot go faster until other sessions idle."""
    try:
        on = Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1"
    except OSError:
        return "n/a"
    return "on (CPU shared per session, not per process)" if on else "off"


def run(jobs: Path, out: Path, workers: int) -> tuple[float, float, dict]:
    """(batch seconds with warm workers, end-to-end seconds, report) on a LocalCluster of ``workers``."""
    from psigraph.batch.clip import Settings, graph_digest, plan
    from psigraph.batch.commands import run_batch
    from psigraph.batch.executors import Pool
    from psigraph.batch.jobs import read_jobs
    t0 = time.perf_counter()
    settings = Settings(out=str(out), frames=True)
    clips = [plan(j, settings, graph_digest(None)) for j in read_jobs(str(jobs))]
    pool = Pool(workers, cluster="local")
    pool.prepare(clips[0])
    kids = psutil.Process().children(recursive=True)       # the cluster's worker processes
    at_close, close = [], pool.close

    def read_then_close():                                  # their CPU before the cluster stops them
        at_close.append(cpu_s(kids))
        close()
    pool.close = read_then_close
    t1, c1, k1 = time.perf_counter(), time.process_time(), cpu_s(kids)
    report = run_batch(clips, settings, pool, retries=2)
    t2, c2 = time.perf_counter(), time.process_time()
    assert report["done"] == len(clips), report["summary"]
    report["client_cpu_s"], report["workers_cpu_s"] = c2 - c1, at_close[0] - k1
    return t2 - t1, t2 - t0, report


def cpu_s(processes) -> float:
    """CPU seconds used so far by ``processes`` (those that exited count as they were last seen)."""
    total = 0.0
    for p in processes:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def _say_loop(lines: list, out: str, ready, go, done) -> None:
    """A plain process saying ``lines`` one after the other, as a batch worker would but without any
    batch or Dask code: set up, report ready, wait for ``go``, then say every line."""
    import gc

    from psigraph.runtime.say import SayOptions, say

    def one(name: str, text: str) -> None:
        say(SayOptions(text=text, output=f"{out}/{name}.wav", frames=f"{out}/{name}.jsonl", render_workers=0,
                       pipeline=False))
    one("warm", "Hello.")
    gc.collect()
    gc.freeze()
    ready.put(os.getpid())
    go.wait()
    for i, text in enumerate(lines):
        one(f"c{i}", text)
    done.put(os.getpid())


def reference(lines: list, tmp: Path, processes: int) -> float:
    """Seconds for ``processes`` plain say loops to say ``lines`` between them (the machine's own
    scaling, the peer of the batch's: no scheduler, no chunks, no files beyond the outputs)."""
    import multiprocessing

    from psigraph.batch.worker import worker_env
    os.environ.update(worker_env())
    ctx = multiprocessing.get_context("spawn")
    ready, done, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    procs = []
    for k in range(processes):
        out = tmp / f"ref{processes}-{k}"
        out.mkdir()
        procs.append(ctx.Process(target=_say_loop, args=(lines[k::processes], str(out), ready, go, done)))
        procs[-1].start()
    for _ in procs:
        ready.get(timeout=600)
    t0 = time.perf_counter()
    go.set()
    for _ in procs:
        done.get(timeout=3600)
    elapsed = time.perf_counter() - t0
    for p in procs:
        p.join()
    return elapsed


def outputs(out: Path, report: dict) -> dict:
    return {c["id"]: {k: (out / n).read_bytes() for k, n in c["outputs"].items()} for c in report["clips"]}


def say_check(lines: list[str], got: dict, tmp: Path) -> int:
    """How many clips differ from `psigraph say TEXT -o … --frames …` (the CLI, in this process)."""
    from psigraph.runtime.cli import main
    bad = 0
    for i, text in enumerate(lines, 1):
        wav, frames = tmp / "say.wav", tmp / "say.jsonl"
        assert main(["say", text, "-o", str(wav), "--frames", str(frames), "-q"]) == 0
        if got[f"{i:05d}"] != {"wav": wav.read_bytes(), "frames": frames.read_bytes()}:
            bad += 1
            print(f"  differs from say: line {i} {text!r}")
    return bad


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=1, help="1-worker/2-worker pairs (order alternates)")
    ap.add_argument("--no-say-check", action="store_true", help="skip comparing every clip with psigraph say")
    ap.add_argument("--reference", action="store_true",
                    help="also time 1 and 2 plain say loops (no batch code): this machine's own 2-process scaling")
    a = ap.parse_args()
    print(f"cores: {os.cpu_count()}; sched autogroup: {autogroup()}; loadavg before: {loadavg()}")
    with tempfile.TemporaryDirectory(prefix="psigraph-batch-bench-") as tmp:
        tmp = Path(tmp)
        lines = texts(a.clips)
        jobs = tmp / "jobs.txt"
        jobs.write_text("\n".join(lines) + "\n", encoding="utf-8")
        times: dict = {1: [], 2: []}
        cpu: dict = {1: [], 2: []}
        results = {}
        for r in range(a.rounds):
            for workers in ((1, 2) if r % 2 == 0 else (2, 1)):
                out = tmp / f"r{r}-w{workers}"
                batch_s, total_s, report = run(jobs, out, workers)
                times[workers].append((batch_s, total_s))
                cpu[workers].append((report["workers_cpu_s"], report["client_cpu_s"]))
                results[workers] = outputs(out, report)
                walls = [c["wall_s"] for c in report["clips"]]
                print(f"round {r + 1}: {workers} worker(s): batch {batch_s:6.2f} s ({a.clips / batch_s:5.1f} clips/s), "
                      f"end to end {total_s:6.2f} s; speech {report['speech_s']:.1f} s; clip median "
                      f"{statistics.median(walls):.3f} s, workers busy {sum(walls) / batch_s:.2f} of {workers}; "
                      f"CPU per clip: workers {report['workers_cpu_s'] / a.clips * 1e3:.1f} ms, batch process "
                      f"{report['client_cpu_s'] / a.clips * 1e3:.1f} ms ({report['client_cpu_s']:.2f} s); "
                      f"loadavg {loadavg()}")
        b1, b2 = (statistics.median(t[0] for t in times[w]) for w in (1, 2))
        e1, e2 = (statistics.median(t[1] for t in times[w]) for w in (1, 2))
        print(f"ratio 2 workers / 1 worker: batch {b2 / b1:.3f}, end to end {e2 / e1:.3f} (target <= 0.55)")
        w1 = statistics.median(c[0] for c in cpu[1])
        all2 = statistics.median(c[0] + c[1] for c in cpu[2])
        print(f"CPU-bound ratio (2 cores ours alone; 1 worker bound by its own CPU, 2 workers and the batch "
              f"process sharing 2 cores): {all2 / 2 / w1:.3f}; the wall ratio above is only meaningful on a "
              f"quiet machine")
        if a.reference:
            r1, r2 = reference(lines, tmp, 1), reference(lines, tmp, 2)
            print(f"reference, plain say loops without batch code: 1 process {r1:.2f} s, 2 processes {r2:.2f} s, "
                  f"ratio {r2 / r1:.3f} (the best the batch can do here); loadavg {loadavg()}")
        same = results[1] == results[2]
        print(f"outputs of 1 and 2 workers identical: {same} ({len(results[1])} clips)")
        if not a.no_say_check:
            bad = say_check(lines, results[2], tmp)
            print(f"clips bit-identical to psigraph say: {len(lines) - bad}/{len(lines)}")
            same = same and bad == 0
    print(f"loadavg after: {loadavg()}")
    print("command: python benchmarks/batch.py " + " ".join(sys.argv[1:]))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
