"""The batch loop (batch/runner.py): how it cuts clips into tasks, what it does with a chunk whose
worker died after some of its clips were complete, and which temporaries it sweeps."""
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

import pytest
from psigraph.batch import runner, worker
from psigraph.batch.clip import Settings, graph_digest, partial_files, plan
from psigraph.batch.executors import Pool
from psigraph.batch.jobs import jobs_from_dicts
from psigraph.batch.worker import worker_name


@pytest.mark.parametrize("n", [0, 1, 5, 17, 200, 1000])
@pytest.mark.parametrize("workers", [1, 2, 8])
def test_chunks_hold_every_clip_once_in_order_and_shrink_to_single_clips(n, workers):
    clips = list(range(n))
    got = runner.chunks(clips, workers)
    assert [c for chunk in got for c in chunk] == clips
    sizes = [len(chunk) for chunk in got]
    assert all(1 <= s <= runner.MAX_CHUNK for s in sizes)
    assert sizes == sorted(sizes, reverse=True)                     # big chunks first: the tail is short
    tail = min(n, workers * runner.CHUNKS_PER_WORKER)
    assert sizes[len(sizes) - tail:] == [1] * tail                 # each worker ends on single clips


def test_clips_run_longest_text_first_and_keep_their_order_otherwise(tmp_path):
    settings = Settings(out=str(tmp_path))
    texts = ["Hi.", "A longer line here.", "Yes.", "No.", "The longest line of all of them."]
    clips = [plan(job, settings, "0" * 64) for job in jobs_from_dicts([{"text": t} for t in texts])]
    assert [c.opts.text for c in runner.longest_first(clips)] == [texts[4], texts[1], "Yes.", "Hi.", "No."]


def test_chunks_of_at_most_one_clip_are_one_clip_each():
    assert runner.chunks(list(range(50)), 2, most=1) == [[i] for i in range(50)]


def test_many_short_clips_need_far_fewer_tasks_than_clips():
    assert len(runner.chunks(list(range(200)), 2)) <= 200 // 4
    assert len(runner.chunks(list(range(200)), 2)) >= 200 // runner.MAX_CHUNK


class DyingPool:
    """An executor whose first task publishes its first clip, starts the second and then loses its
    worker (as a kill -9 would); later tasks run normally. Stands in for :class:`Pool`."""
    workers = 1
    broken = staticmethod(Pool.broken)

    def __init__(self):
        self.executor, self.tasks, self.renewed = self, [], 0

    def submit(self, fn, chunk):
        self.tasks.append([c.id for c in chunk])
        f = Future()
        if len(self.tasks) == 1:
            fn(chunk[:1])
            with open(chunk[1].attempts, "a", encoding="utf-8") as out:
                out.write(worker_name() + "\n")
            f.set_exception(BrokenProcessPool("a worker died"))
        else:
            f.set_result(fn(chunk))
        return f

    def renew(self):
        self.renewed += 1


@pytest.mark.parametrize("retries", [0, 1])
def test_a_lost_chunk_keeps_its_complete_clips_and_retries_the_others_by_their_own_starts(
        tmp_path, monkeypatch, retries):
    monkeypatch.setattr(runner, "CHUNKS_PER_WORKER", 1)              # all three clips in one task
    monkeypatch.setattr(worker, "settle_heap", lambda: None)         # this process is the test's, not a worker
    settings = Settings(out=str(tmp_path))
    (tmp_path / ".batch").mkdir()
    clips = [plan(job, settings, graph_digest(None)) for job in
             jobs_from_dicts([{"id": f"c{i}", "text": t} for i, t in enumerate(["Hi.", "Ok.", "No."])])]
    pool = DyingPool()
    results = runner.run_clips(clips, pool, retries)
    assert pool.tasks[0] == ["c0", "c1", "c2"] and pool.renewed == 1
    done = {c.id: results[c.name] for c in clips}
    assert done["c0"]["status"] == "done" and done["c0"]["retries"] == 0       # published before the death
    assert done["c2"]["status"] == "done" and done["c2"]["retries"] == 0       # never started: no retry counted
    if retries:
        assert done["c1"]["status"] == "done" and done["c1"]["retries"] == 1
        assert sorted(pool.tasks[1]) == ["c1", "c2"]
    else:
        assert done["c1"]["status"] == "failed" and done["c1"]["error"] == "its worker died 1 times (--retries 0)"
        assert pool.tasks[1] == ["c2"]
    assert [c.id for c in clips if (tmp_path / f"{c.name}.wav").exists()] == (
        ["c0", "c1", "c2"] if retries else ["c0", "c2"])


def test_the_sweep_finds_the_temporaries_of_this_batch_s_clips_only(tmp_path):
    settings = Settings(out=str(tmp_path), frames=True)
    (tmp_path / ".batch").mkdir()
    clips = [plan(job, settings, "0" * 64) for job in jobs_from_dicts(
        [{"id": f"c{i}", "text": "Hi."} for i in range(300)])]
    mine = [tmp_path / f".{clips[7].name}.wav.41.part", tmp_path / f".{clips[299].name}.jsonl.9.part",
            tmp_path / ".batch" / f".{clips[0].name}.json.12.part"]
    others = [tmp_path / ".c7-000000000000.wav.41.part", tmp_path / f"{clips[7].name}.wav",
              tmp_path / f".{clips[7].name}.wav.41.tmp"]
    for p in mine + others:
        p.write_bytes(b"x")
    assert sorted(partial_files(clips)) == sorted(str(p) for p in mine)


class HalfDonePool:
    """An executor whose one task publishes its first two clips and is still running at Ctrl-C."""
    workers = 1
    broken = staticmethod(Pool.broken)

    def __init__(self):
        self.executor, self.aborted = self, False

    def submit(self, fn, chunk):
        fn(chunk[:2])
        return Future()

    def abort(self):
        self.aborted = True


def test_ctrl_c_reports_the_clips_published_inside_a_chunk_that_never_returned(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "CHUNKS_PER_WORKER", 1)              # all three clips in one task
    monkeypatch.setattr(worker, "settle_heap", lambda: None)

    def ctrl_c(_futures):
        raise KeyboardInterrupt
        yield                                                        # a generator, like as_completed

    monkeypatch.setattr(runner, "as_completed", ctrl_c)
    settings = Settings(out=str(tmp_path))
    (tmp_path / ".batch").mkdir()
    clips = [plan(job, settings, graph_digest(None)) for job in
             jobs_from_dicts([{"id": f"c{i}", "text": t} for i, t in enumerate(["Hi.", "Ok.", "No."])])]
    pool = HalfDonePool()
    with pytest.raises(runner.Interrupted) as stopped:
        runner.run_clips(clips, pool, 2)
    assert pool.aborted
    assert {name: r["status"] for name, r in stopped.value.results.items()} == {
        clips[0].name: "done", clips[1].name: "done"}
