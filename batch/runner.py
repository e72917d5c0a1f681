"""The batch loop: submit every unfinished clip, collect results, retry clips whose worker died.

Complete clips are skipped before anything is submitted (and again by the worker, for folders only
it can see). Clips travel longest first, in small chunks (:func:`chunks`): a few clips per task
while many are left, one per task at the end, so short clips do not pay a scheduler round trip
each and the workers still finish together. When a worker dies (``kill -9``, out of memory) a
process pool breaks: every chunk still in it fails with BrokenProcessPool. The loop then opens a fresh pool and
resubmits the clips of those chunks that are not complete; a clip is given up only after it was
*started* more than ``retries`` times (queued clips that never started do not count). Dask retries
a dead worker's task itself up to the same limit. Ctrl-C stops the workers; what finished stays
finished (and is reported done, also when its chunk did not return) and a rerun does the rest.
"""
from __future__ import annotations

import os
import time
from concurrent.futures import as_completed

from .clip import Clip, completed, partial_files
from .executors import Pool
from .worker import attempts, finished, render_clip, render_clips

#: chunk sizes: about 1/CHUNKS_PER_WORKER of a worker's share of what is left, at most MAX_CHUNK clips
#: (one with --video: a video clip takes seconds, next to which a round trip costs nothing)
CHUNKS_PER_WORKER = 4
MAX_CHUNK = 8


class Interrupted(Exception):
    """Ctrl-C during a batch: ``results`` holds what finished before."""

    def __init__(self, results: dict):
        super().__init__("interrupted")
        self.results = results


def run_clips(clips: list[Clip], pool: Pool, retries: int, on_result=None) -> dict:
    """{clip name: result dict} for every clip; ``on_result(clip, result)`` after each one."""
    results: dict = {}

    def finish(clip: Clip, result: dict) -> None:
        results[clip.name] = result
        if on_result is not None:
            on_result(clip, result)

    todo = []
    for clip in clips:
        if clip.opts is None:
            finish(clip, render_clip(clip))            # a bad job line: its error, without a worker
            continue
        done = completed(clip)
        if done is not None:
            finish(clip, {"status": "skipped", **{k: done.get(k) for k in (
                "duration_s", "wall_s", "rtf", "worker", "retries", "utterances")}})
            continue
        _forget_attempts(clip)
        todo.append(clip)
    try:
        while todo:
            executor = pool.executor
            most = 1 if any(clip.opts.video for clip in todo) else MAX_CHUNK   # a video clip takes seconds
            futures = {executor.submit(render_clips, chunk): chunk
                       for chunk in chunks(longest_first(todo), pool.workers, most)}
            todo, died = [], False
            for fut in as_completed(futures):
                exc = fut.exception()
                if exc is None:
                    for clip, result in zip(futures[fut], fut.result()):
                        finish(clip, result)
                    continue
                dead = pool.broken(exc)
                died = died or dead
                for clip in futures[fut]:                # some of a lost chunk's clips may be complete
                    done = finished(clip)
                    started = attempts(clip)
                    if done is not None:
                        finish(clip, done)
                    elif dead and started <= retries:
                        todo.append(clip)
                    elif dead:
                        finish(clip, {"status": "failed", "retries": max(started - 1, 0),
                                      "error": f"its worker died {started} times (--retries {retries})"})
                    else:
                        finish(clip, {"status": "failed", "retries": max(started - 1, 0),
                                      "error": f"{type(exc).__name__}: {exc}".splitlines()[0]})
            if died:
                pool.renew()
    except KeyboardInterrupt:
        pool.abort()
        for clip in clips:                              # published inside a chunk that did not return
            done = None if clip.name in results else finished(clip)
            if done is not None:
                finish(clip, done)
        raise Interrupted(results) from None
    finally:
        for path in partial_files(clips):               # temporaries of killed renders: no partial files
            _unlink(path)
    return results


def chunks(clips: list, workers: int, most: int = MAX_CHUNK) -> list[list]:
    """``clips`` in order, cut into tasks: each about 1/CHUNKS_PER_WORKER of one worker's share of the
    clips still left (at most ``most``), so chunks shrink to one clip over the last few per worker
    (guided self-scheduling: few round trips, and no worker is left with a long tail)."""
    out, i, share = [], 0, max(1, workers) * CHUNKS_PER_WORKER
    while i < len(clips):
        size = max(1, min(most, (len(clips) - i) // share))
        out.append(clips[i:i + size])
        i += size
    return out


def longest_first(clips: list[Clip]) -> list[Clip]:
    """Clips with the longest texts first (stable): the last tasks are the shortest clips, so the
    workers finish close together (longest-processing-time-first scheduling)."""
    return sorted(clips, key=lambda clip: -len(clip.opts.text))


def _forget_attempts(clip: Clip) -> None:
    """Retries count within one batch run: a rerun starts every clip's count afresh."""
    _unlink(clip.attempts)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


class Throughput:
    """Clips done per second and the time left, over the clips run in this batch (skips excluded)."""

    def __init__(self, total: int):
        self.total, self.start = total, time.perf_counter()
        self.done = self.failed = self.skipped = 0

    def add(self, status: str) -> None:
        if status == "done":
            self.done += 1
        elif status == "skipped":
            self.skipped += 1
        else:
            self.failed += 1

    @property
    def finished(self) -> int:
        return self.done + self.failed + self.skipped

    def rate(self) -> float:
        elapsed = time.perf_counter() - self.start
        return (self.done + self.failed) / elapsed if elapsed > 0 else 0.0

    def eta_s(self) -> float | None:
        r = self.rate()
        return (self.total - self.finished) / r if r > 0 else None

    def line(self) -> str:
        eta = self.eta_s()
        eta_text = "--:--" if eta is None else f"{int(eta) // 60}:{int(eta) % 60:02d}"
        skipped = f", {self.skipped} skipped" if self.skipped else ""
        return (f"{self.finished}/{self.total} · {self.done} done, {self.failed} failed{skipped} · "
                f"{self.rate():.1f} clips/s · ETA {eta_text}")
