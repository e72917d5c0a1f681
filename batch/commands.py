"""`psigraph batch JOBS --out DIR`: render many clips, each exactly as `psigraph say` would.

One idempotent task per clip (see :mod:`.clip`), run on a process pool or a Dask cluster
(:mod:`.executors`), retried when its worker dies (:mod:`.runner`), recorded into one ψ-memory
store with --db (:mod:`.recordings`); ``DIR/report.json`` says what happened to every clip.
"""
from __future__ import annotations

import json
import os
import sys
import time

from psigraph.errors import PsigraphError
from psigraph.outputs import atomic_write, path_issues
from psigraph.progress import ProgressBar

from .clip import Settings, graph_digest, plan
from .executors import Pool
from .jobs import jobs_from_dicts, read_jobs
from .runner import Interrupted, Throughput, run_clips

EXIT_INTERRUPTED = 130
REPORT = "report.json"


def register(sub) -> None:
    p = sub.add_parser("batch", help="render many texts to WAV (+ frames / video) on a process pool or Dask",
                       description="Render every clip of JOBS into DIR exactly as `psigraph say` would. JOBS is a "
                       "text file (one utterance per line) or JSON Lines ({\"id\", \"text\", \"emotion\", "
                       "\"persona\", \"like\"}). Finished clips are skipped on a rerun; DIR/report.json lists "
                       "every clip; the exit code is 1 when a clip failed.")
    p.add_argument("jobs", metavar="JOBS", help="text file (one utterance per line) or .jsonl")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the clips and report.json")
    p.add_argument("--frames", action="store_true", help="also write each clip's face frames (.jsonl)")
    p.add_argument("--video", action="store_true", help="also render each clip's face video (.mp4)")
    p.add_argument("--size", type=int, default=640, help="video width and height in pixels (default 640)")
    p.add_argument("--db", metavar="STORE", help="record every clip into this ψ-memory store (merged at the end)")
    p.add_argument("--key-file", metavar="F", help="key of an encrypted --db store (default: $PSIGRAPH_DB_KEY)")
    p.add_argument("--keep-text", action="store_true", help="store the texts themselves in --db")
    p.add_argument("--graph", default=None, help="graph file to use instead of graphs/speak.yaml")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the graph's)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="worker processes of the local pool or --cluster local (default: one per core)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run on this Dask scheduler's workers")
    where.add_argument("--cluster", choices=["local"], help="run on a Dask LocalCluster of --workers processes")
    p.add_argument("--retries", type=int, default=2, metavar="N",
                   help="times a clip is restarted after its worker died (default 2)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar, no summary line")
    p.set_defaults(run=run)


def settings_from(args) -> Settings:
    """Check the flags (one error line each, before any work) and return the batch settings."""
    if args.workers is not None and not 1 <= args.workers <= 1024:
        raise PsigraphError(f"--workers must be 1..1024 (got {args.workers})")
    if args.workers is not None and args.scheduler:
        raise PsigraphError("--workers sizes a local pool; with --scheduler the cluster's workers are used")
    if not 0 <= args.retries <= 100:
        raise PsigraphError(f"--retries must be 0..100 (got {args.retries})")
    from psigraph.runtime.say import MAX_SIZE, MIN_SIZE
    if args.video and not MIN_SIZE <= args.size <= MAX_SIZE:
        raise PsigraphError(f"--size must be {MIN_SIZE}..{MAX_SIZE} pixels (got {args.size})")
    for flag in ("key_file", "keep_text"):
        if getattr(args, flag) and not args.db:
            raise PsigraphError(f"--{flag.replace('_', '-')} needs --db STORE")
    out = os.path.abspath(args.out)
    if os.path.exists(out) and not os.path.isdir(out):
        raise PsigraphError("is a file, not a folder", where=out, hint="give a folder for the clips")
    issues = path_issues(os.path.join(out, REPORT))
    if issues:
        raise PsigraphError(issues[0].message, where="--out")
    db = os.path.abspath(args.db) if args.db else None
    return Settings(out=out, frames=args.frames, video=args.video, size=args.size, graph=args.graph, seed=args.seed,
                    db=db, key_file=args.key_file, keep_text=args.keep_text)


def run(args) -> int:
    report = render(args.jobs, settings_from(args), workers=args.workers, scheduler=args.scheduler,
                    cluster=args.cluster, retries=args.retries, quiet=args.quiet)
    return EXIT_INTERRUPTED if report["interrupted"] else (1 if report["failed"] else 0)


def render(jobs, settings: Settings, *, workers: int | None = None, scheduler: str | None = None,
           cluster: str | None = None, retries: int = 2, quiet: bool = True) -> dict:
    """Render ``jobs`` (a JOBS file, or a list of ``{"id", "text", …}`` dicts as in JSON Lines) into
    ``settings.out``, as the command does; returns the report (also written to ``report.json``).
    Evaluation sweeps and benchmarks can call this instead of the command line."""
    if isinstance(jobs, (str, os.PathLike)):
        source, parsed = os.fspath(jobs), read_jobs(os.fspath(jobs))
    else:
        source, parsed = "<list>", jobs_from_dicts(jobs)
    digest = graph_digest(settings.graph)
    clips = [plan(job, settings, digest) for job in parsed]
    os.makedirs(os.path.join(settings.out, ".batch"), exist_ok=True)
    if settings.db:
        from .recordings import open_store
        open_store(settings.db, settings.key_file, notice=not quiet).close()
    return run_batch(clips, settings, Pool(workers, scheduler, cluster, retries), retries, quiet=quiet, jobs=source)


def run_batch(clips, settings: Settings, pool: Pool, retries: int, *, quiet: bool = True, jobs: str = "") -> dict:
    """Run ``clips`` on ``pool`` (closed at the end), merge --db shards, write and return the report."""
    t0 = time.perf_counter()
    meter = Throughput(len(clips))
    bar = ProgressBar(sys.stderr.isatty() and not quiet, label="batch")

    def on_result(clip, result):
        meter.add(result["status"])
        bar.update(meter.finished / len(clips), meter.line(), force=meter.finished == len(clips))

    interrupted = False
    try:
        try:
            results = run_clips(clips, pool, retries, on_result)
        except Interrupted as e:
            results, interrupted = e.results, True
        workers, kind = pool.workers, pool.kind
    finally:
        bar.done()
        pool.close()
    merged = {}
    if settings.db:
        from .recordings import merge_shards
        merged = merge_shards(settings.db, settings.key_file, clips)
    report = build_report(clips, results, merged, settings, jobs=jobs, kind=kind, workers=workers,
                          wall_s=time.perf_counter() - t0, interrupted=interrupted)
    data = (json.dumps(report, indent=1, ensure_ascii=False) + "\n").encode()
    atomic_write(os.path.join(settings.out, REPORT), lambda f: f.write(data))
    if not quiet:
        failed = [c for c in report["clips"] if c["status"] == "failed"]
        for c in failed[:20]:
            print(f"{c['id']}: {c['error']}", file=sys.stderr)
        print(f"{report['summary']}; report: {os.path.join(settings.out, REPORT)}", file=sys.stderr)
    return report


def build_report(clips, results, merged, settings, *, jobs, kind, workers, wall_s, interrupted) -> dict:
    """report.json: the batch, then one entry per clip in job order."""
    rows = []
    for clip in clips:
        r = results.get(clip.name, {"status": "interrupted" if interrupted else "failed"})
        duration, wall = r.get("duration_s"), r.get("wall_s")
        rows.append({"id": clip.id, "line": clip.line, "name": clip.name, "status": r["status"],
                     "outputs": {k: os.path.basename(p) for k, p in clip.outputs.items()},
                     "duration_s": duration, "wall_s": wall, "rtf": r.get("rtf"), "worker": r.get("worker"),
                     "retries": r.get("retries") or 0, "error": r.get("error"),
                     "utterances": merged.get(clip.name, [])})
    count = {s: sum(1 for r in rows if r["status"] == s) for s in ("done", "skipped", "failed")}
    count["not_run"] = sum(1 for r in rows if r["status"] == "interrupted")
    ran = count["done"] + count["failed"]
    summary = (f"{len(rows)} clips: {count['done']} done, {count['skipped']} skipped, {count['failed']} failed"
               + (f", {count['not_run']} not run (interrupted)" if interrupted else "")
               + f" in {wall_s:.1f} s ({ran / wall_s if wall_s > 0 else 0:.1f} clips/s)")
    return {"format": 1, "jobs": jobs, "out": settings.out, "executor": kind, "workers": workers,
            "frames": settings.frames, "video": settings.video, "db": settings.db, "wall_s": round(wall_s, 3),
            "interrupted": interrupted, **count, "retries": sum(r["retries"] for r in rows),
            "speech_s": round(sum(r["duration_s"] or 0 for r in rows if r["status"] == "done"), 3),
            "summary": summary, "clips": rows}
