"""`psigraph batch` end to end: the same bytes as `psigraph say`, reruns that skip finished clips,
content failures that stop nothing else, kill -9 of a worker, Ctrl-C then rerun, and a Dask
scheduler with two workers started as separate processes on loopback."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest
from psigraph.runtime.cli import main

TEXTS = ["Hello there.", "The cat sat on the mat.", "Good morning, how are you today?"]
LONG = " ".join(["The quick brown fox jumps over the lazy dog near the quiet river bank."] * 10)
BIN = Path(sys.executable).parent


def write_jobs(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def report(out: Path) -> dict:
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def clip_files(out: Path) -> list:
    """Every file of the output folder and its state folder (names), sorted."""
    return sorted(p.name for p in out.iterdir() if p.is_file()) + \
        sorted(p.name for p in (out / ".batch").iterdir())


def outputs_of(out: Path) -> dict:
    """{clip id: {kind: bytes}} of the clips done or skipped in report.json."""
    return {c["id"]: {k: (out / name).read_bytes() for k, name in c["outputs"].items()}
            for c in report(out)["clips"] if c["status"] in ("done", "skipped")}


def start_batch(args, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "psigraph"), "batch", *args, "-q"], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for(predicate, timeout_s: float = 240.0, what: str = ""):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        found = predicate()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_clips_are_the_bytes_of_psigraph_say_and_a_rerun_skips_them(tmp_cwd, capsys):
    jobs = write_jobs(tmp_cwd / "jobs.jsonl", [{"id": f"t{i}", "text": t} for i, t in enumerate(TEXTS)]
                      + [{"id": "sad", "text": TEXTS[0], "emotion": "sad"}])
    assert main(["batch", str(jobs), "--out", "out", "--frames", "--workers", "2", "-q"]) == 0
    got = outputs_of(tmp_cwd / "out")
    for i, text in enumerate(TEXTS):
        assert main(["say", text, "-o", f"s{i}.wav", "--frames", f"s{i}.jsonl", "-q"]) == 0
        assert got[f"t{i}"] == {"wav": (tmp_cwd / f"s{i}.wav").read_bytes(),
                                "frames": (tmp_cwd / f"s{i}.jsonl").read_bytes()}
    assert got["sad"]["wav"] != got["t0"]["wav"]                       # settings are part of the clip
    r = report(tmp_cwd / "out")
    assert (r["done"], r["failed"], r["retries"]) == (4, 0, 0)
    for c in r["clips"]:
        assert c["duration_s"] > 0.3 and c["wall_s"] > 0 and c["rtf"] == pytest.approx(
            c["wall_s"] / c["duration_s"], rel=1e-3, abs=2e-6) and c["worker"]
    names = {c["name"] for c in r["clips"]}
    assert len(names) == 4 and all(n.startswith(c["id"] + "-") for n, c in zip(sorted(names), sorted(
        r["clips"], key=lambda c: c["name"])))
    before = {p: p.stat().st_mtime_ns for p in (tmp_cwd / "out").glob("*.wav")}
    assert main(["batch", str(jobs), "--out", "out", "--frames", "-q"]) == 0
    r2 = report(tmp_cwd / "out")
    assert (r2["done"], r2["skipped"]) == (0, 4)
    assert {p: p.stat().st_mtime_ns for p in (tmp_cwd / "out").glob("*.wav")} == before
    (tmp_cwd / "out" / f"{r['clips'][1]['name']}.jsonl").write_bytes(b"damaged")
    assert main(["batch", str(jobs), "--out", "out", "--frames", "-q"]) == 0
    r3 = report(tmp_cwd / "out")
    assert (r3["done"], r3["skipped"]) == (1, 3) and r3["clips"][1]["status"] == "done"
    assert outputs_of(tmp_cwd / "out") == got                          # repaired to the same bytes


def test_a_content_failure_is_one_line_in_the_report_and_the_others_complete(tmp_cwd, capsys):
    jobs = tmp_cwd / "jobs.txt"
    jobs.write_bytes("Hello there.\n🙂🙂🙂\nbroken \xff\nGood morning.\n".encode().replace(b"\xc3\xbf", b"\xff"))
    assert main(["batch", str(jobs), "--out", "out"]) == 1
    r = report(tmp_cwd / "out")
    status = {c["id"]: (c["status"], c["error"]) for c in r["clips"]}
    assert status["00001"] == ("done", None) and status["00004"] == ("done", None)
    assert status["00002"][0] == "failed" and "nothing to say" in status["00002"][1]
    assert status["00003"] == ("failed", "line 3: the text is not UTF-8 (byte 7)")
    assert all("\n" not in (e or "") for _, e in status.values())
    err = capsys.readouterr().err
    assert "00002: " in err and "2 done, 0 skipped, 2 failed" in err
    assert main(["batch", str(jobs), "--out", "out", "--workers", "0"]) == 1       # a bad flag: one line
    assert "--workers must be 1..1024" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("executor", [[], ["--cluster", "local"]], ids=["process-pool", "dask-local"])
def test_kill_9_of_a_worker_mid_batch_retries_its_clip_exactly_once(tmp_cwd, executor):
    rows = [{"id": "victim", "text": LONG}] + [{"id": f"c{i}", "text": t} for i, t in enumerate(TEXTS * 2)]
    jobs = write_jobs(tmp_cwd / "jobs.jsonl", rows)
    p = start_batch([str(jobs), "--out", "out", "--frames", "--workers", "2", "--db", "m.db", "--keep-text",
                     *executor], tmp_cwd)
    state = tmp_cwd / "out" / ".batch"
    attempt = wait_for(lambda: next(state.glob("victim-*.attempts"), None) if state.is_dir() else None,
                       what="the long clip to start")
    line = wait_for(lambda: attempt.read_text().strip(), what="its worker's pid")
    os.kill(int(line.split(":")[-1]), signal.SIGKILL)
    _out, err = p.communicate(timeout=600)
    assert p.returncode == 0, err
    r = report(tmp_cwd / "out")
    by_id = {c["id"]: c for c in r["clips"]}
    assert sorted(by_id) == sorted(x["id"] for x in rows) and len(r["clips"]) == len(rows)
    assert all(c["status"] == "done" and c["error"] is None for c in r["clips"])
    assert by_id["victim"]["retries"] >= 1 and r["retries"] >= 1
    files = clip_files(tmp_cwd / "out")
    assert not [f for f in files if f.endswith((".part", ".psidb"))], files
    published = sorted(p.name for p in (tmp_cwd / "out").iterdir() if p.is_file())
    for c in r["clips"]:                                                # one of each output, complete
        assert [f for f in published if f.startswith(c["name"] + ".")] == sorted(
            [f"{c['name']}.jsonl", f"{c['name']}.wav"])
        with wave.open(str(tmp_cwd / "out" / c["outputs"]["wav"])) as w:
            assert w.getnframes() / w.getframerate() == pytest.approx(c["duration_s"], abs=0.05)
    from psigraph.memory.store import Store
    with Store(tmp_cwd / "m.db", create=False) as store:               # each recording exactly once
        texts = sorted(u.text for u in store.utterances())
        assert texts == sorted(x["text"] for x in rows)
        assert sorted(i for c in r["clips"] for i in c["utterances"]) == [u.id for u in store.utterances()]
        assert store.verify() == []
    print(f"\n{r['executor']}: kill -9 of worker {line}: victim retried {by_id['victim']['retries']} time(s); "
          f"{len(rows)} clips done once each, {len(texts)} recordings in the store")


@pytest.mark.slow
def test_ctrl_c_then_rerun_runs_only_the_unfinished_clips(tmp_cwd):
    rows = [{"id": f"c{i:02d}", "text": f"{t} Number {i}."} for i, t in enumerate(TEXTS * 4)]
    jobs = write_jobs(tmp_cwd / "jobs.jsonl", rows)
    p = start_batch([str(jobs), "--out", "out", "--frames", "--workers", "1"], tmp_cwd)
    state = tmp_cwd / "out" / ".batch"
    wait_for(lambda: state.is_dir() and len(list(state.glob("*.json"))) >= 3, what="three finished clips")
    p.send_signal(signal.SIGINT)
    _out, err = p.communicate(timeout=120)
    assert p.returncode == 130, err
    r = report(tmp_cwd / "out")
    finished = len(list(state.glob("*.json")))
    assert r["interrupted"] is True and r["done"] == finished and 3 <= finished < len(rows)
    assert r["not_run"] == len(rows) - finished
    assert not [f for f in clip_files(tmp_cwd / "out") if f.endswith(".part")]
    p = start_batch([str(jobs), "--out", "out", "--frames", "--workers", "1"], tmp_cwd)
    _out, err = p.communicate(timeout=600)
    assert p.returncode == 0, err
    r2 = report(tmp_cwd / "out")
    assert (r2["skipped"], r2["done"], r2["failed"]) == (finished, len(rows) - finished, 0)
    print(f"\nCtrl-C after {finished} of {len(rows)} clips; the rerun ran {r2['done']} and skipped {r2['skipped']}")


@pytest.mark.slow
def test_db_records_every_clip_once_and_like_reads_the_batch_store(tmp_cwd):
    """--db: clips are `say --db STORE --no-mood`; "like" finds what an earlier batch recorded."""
    happy = "I am so happy to see you!"
    write_jobs(tmp_cwd / "a.jsonl", [{"id": "base", "text": happy, "emotion": "happy"}])
    write_jobs(tmp_cwd / "b.jsonl", [{"id": "copy", "text": "The weather is fine today.", "like": happy},
                                     {"id": "plain", "text": "The weather is fine today."}])
    assert main(["batch", "a.jsonl", "--out", "out", "--db", "m.db", "--keep-text", "-q"]) == 0
    assert main(["say", happy, "--emotion", "happy", "-o", "s.wav", "--db", "s.db", "--no-mood", "--keep-text",
                 "-q"]) == 0
    assert outputs_of(tmp_cwd / "out")["base"]["wav"] == (tmp_cwd / "s.wav").read_bytes()
    assert main(["batch", "b.jsonl", "--out", "out", "--db", "m.db", "--keep-text", "-q"]) == 0
    assert main(["batch", "b.jsonl", "--out", "out", "--db", "m.db", "--keep-text", "-q"]) == 0   # all skipped
    r = report(tmp_cwd / "out")
    assert (r["skipped"], r["done"]) == (2, 0)
    from psigraph.memory.store import Store
    with Store(tmp_cwd / "m.db", create=False) as store:
        utts = {u.id: u for u in store.utterances()}
        assert sorted(u.text for u in utts.values()) == sorted([happy] + ["The weather is fine today."] * 2)
        base = next(u for u in utts.values() if u.text == happy)
        copy, plain = sorted((u for u in utts.values() if u.text != happy), key=lambda u: u.id)
        assert copy.emotion == pytest.approx(base.emotion)                 # said in the stored tone
        assert plain.emotion != pytest.approx(base.emotion)


@pytest.mark.slow
def test_video_clips_are_the_bytes_of_psigraph_say(tmp_cwd):
    """Batch workers render in-process (face_render workers: 0), say uses its render pool: same file."""
    (tmp_cwd / "jobs.txt").write_text(TEXTS[0] + "\n", encoding="utf-8")
    assert main(["batch", "jobs.txt", "--out", "out", "--video", "--size", "96", "--workers", "1", "-q"]) == 0
    assert main(["say", TEXTS[0], "-o", "s.wav", "--video", "s.mp4", "--size", "96", "-q"]) == 0
    assert outputs_of(tmp_cwd / "out") == {"00001": {"wav": (tmp_cwd / "s.wav").read_bytes(),
                                                     "video": (tmp_cwd / "s.mp4").read_bytes()}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_a_dask_scheduler_and_two_worker_processes_give_the_local_pool_s_outputs(tmp_cwd):
    rows = [{"id": f"c{i}", "text": t, "emotion": e} for i, (t, e) in
            enumerate(zip(TEXTS * 2, ["auto", "happy", "sad", "calm", "angry", "neutral"]))]
    jobs = write_jobs(tmp_cwd / "jobs.jsonl", rows)
    assert main(["batch", str(jobs), "--out", "local", "--frames", "-q"]) == 0
    address = f"tcp://127.0.0.1:{_free_port()}"
    env = dict(os.environ, OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port",
                               address.rsplit(":", 1)[1], "--no-dashboard"], env=env, stderr=subprocess.DEVNULL)]
    try:
        procs += [subprocess.Popen([str(BIN / "dask"), "worker", address, "--nthreads", "1", "--no-dashboard",
                                    "--name", f"w{i}"], env=env, stderr=subprocess.DEVNULL) for i in range(2)]
        from distributed import Client
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
        assert main(["batch", str(jobs), "--out", "remote", "--frames", "--scheduler", address, "-q"]) == 0
        r = report(tmp_cwd / "remote")
        assert r["executor"] == "dask" and r["workers"] == 2 and r["done"] == len(rows)
        assert len({c["worker"] for c in r["clips"]}) == 2                 # both workers took clips
        assert outputs_of(tmp_cwd / "remote") == outputs_of(tmp_cwd / "local")
        assert main(["batch", str(jobs), "--out", "cluster", "--frames", "--cluster", "local", "--workers", "2",
                     "-q"]) == 0
        assert outputs_of(tmp_cwd / "cluster") == outputs_of(tmp_cwd / "local")
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)
