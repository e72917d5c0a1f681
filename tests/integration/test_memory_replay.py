"""ψ-memory record → replay → export (issue 10, node/command side).

* ``say --db`` then ``replay``: the WAV and frames JSONL are byte-identical to what ``say`` wrote
  (the recorder quantises in the loop: what is heard is what is stored);
* ``say --db`` stays close to ``say``: quantisation costs little (numbers printed; run with -s);
  lip-sync and pitch still hold;
* a failed ``say --db`` leaves the store unchanged; ``kill -9`` of a batch never leaves a partial
  utterance and every committed one replays bit-exact;
* export is deterministic; check() names the problem (store, key, id) before anything runs.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest

import psigraph
from psigraph.runtime.cli import main

ROOT = Path(__file__).resolve().parents[2]

#: ten sentences, ten different emotions (names and V,A,D triples)
SENTENCES = [
    ("The birch canoe slid on the smooth planks.", "neutral"),
    ("I am so happy to see you again!", "happy"),
    ("This is the worst day of my life.", "sad"),
    ("Get out of my house right now!", "angry"),
    ("Is it going to rain tomorrow?", "surprised"),
    ("Take a deep breath and let the day go.", "calm"),
    ("We won the championship, can you believe it?", "excited"),
    ("Glue the sheet to the dark blue background.", "0.3,-0.2,0.1"),
    ("Hello! I'm Tori. It is nice to meet you.", "-0.5,0.6,0.4"),
    ("On May 5th, 42 people paid $3.50 each.", "auto"),
]


def read_wav(path) -> np.ndarray:
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2") / 32768.0


def utterance_ids(store) -> list:
    from psigraph.memory import Store
    with Store(str(store), create=False) as s:
        return [u.id for u in s.utterances()]


# ---------------------------------------------------------------- bit-exact replay
def test_say_db_then_replay_is_byte_identical(tmp_cwd, capsys):
    store = tmp_cwd / "m.db"
    for k, (text, emotion) in enumerate(SENTENCES):
        seed = ["--seed", str(11 * k)] if k % 3 == 2 else []
        seed += ["--persona", "low"] if k % 4 == 1 else []
        assert main(["say", text, f"--emotion={emotion}", "-o", f"s{k}.wav", "--frames", f"s{k}.jsonl",
                     "--db", str(store), "-q", *seed]) == 0, capsys.readouterr().err
        uid = utterance_ids(store)[-1]
        assert main(["replay", str(store), str(uid), "-o", f"r{k}.wav", "--frames", f"r{k}.jsonl", "-q"]) == 0, \
            capsys.readouterr().err
        for ext in ("wav", "jsonl"):
            a, b = (tmp_cwd / f"s{k}.{ext}").read_bytes(), (tmp_cwd / f"r{k}.{ext}").read_bytes()
            assert a == b, (text, ext, len(a), len(b))
    assert utterance_ids(store) == list(range(1, 11))


def test_store_holds_what_was_said(tmp_cwd):
    """Utterance fields, signature and bands; store bytes per second of speech."""
    from psigraph.memory import Store
    assert main(["say", "Hello! I'm Tori. How are you today?", "--emotion", "happy", "-o", "a.wav",
                 "--db", "m.db", "--keep-text", "-q"]) == 0
    assert main(["say", "This is the worst day of my life.", "--emotion", "sad", "-o", "b.wav",
                 "--db", "m.db", "-q"]) == 0
    with Store("m.db", create=False) as s:
        a, b = s.utterances()
        assert a.text == "Hello! I'm Tori. How are you today?" and b.text is None
        assert a.emotion == pytest.approx((0.8, 0.5, 0.3)) and a.persona == "default"
        assert a.labels[0] == "phase:syllable" and "viseme" in a.labels and a.control_hz == 200.0
        sa, sb = s.signature(a.id), s.signature(b.id)
        assert sa["replay"]["end"] == len(read_wav("a.wav")) and sa["replay"]["seed"] == 7
        assert sa["f0_level_hz"] > sb["f0_level_hz"] and sa["f0_range_st"] > sb["f0_range_st"]
        assert sa["rate_sps"] > sb["rate_sps"] > 2.0
        assert sa["expression"]["smile"] > sb["expression"]["smile"]
        assert set(sa["phase_offsets"]) == {"smile", "brow"} and sa["pauses"]["count"] >= 1
        counts = a.frame_counts
        ticks = sa["replay"]["ticks"]
        assert counts == (-(-ticks // 4), -(-ticks // 50), -(-ticks // 400))
        rows = s.replay(a.id)
        assert rows.shape == (ticks, len(a.labels))
        meso = list(s.frames(a.id, 1))
        assert meso[0].data.shape == (1, 3 + 3 + 9) and meso[0].emo_vec is not None
        macro = list(s.frames(a.id, 2))
        assert macro[0].data.shape == (1, 4) and macro[0].data[0, 0] == pytest.approx(0.8, abs=1e-3)
        s.checkpoint()
        seconds = sum(x.duration_ms for x in (a, b)) / 1000
        per_s = sum(x.size_bytes for x in (a, b)) / seconds
        print(f"\nstore: {per_s:.0f} B/s of speech in frames; file {os.path.getsize('m.db') / seconds:.0f} B/s")
        assert per_s < 10_000


# ---------------------------------------------------------------- close to say without --db
def _run(text, emotion, db, tmp):
    from psigraph.runtime import Session
    from psigraph.runtime.say import build_graph, validate
    a = argparse.Namespace(text=text, text_file=None, output=str(tmp / "x.wav"), emotion=emotion,
                           persona="default", rate=1.0, frames=str(tmp / "x.jsonl"), video=None, size=640,
                           graph=None, seed=None, db=db, key_file=None, keep_text=False)
    g = build_graph(a, text)
    validate(g)
    with Session(g, block=4800) as s:
        audio, face = s.tap("voice.audio"), s.tap("face.blendshapes")
        for _ in s.until_done(max_duration=None):
            pass
        fps = s.node("face").out_specs["blendshapes"].rate_hz
    return np.asarray(audio)[:, 0], np.asarray(face), fps


def _spectral_snr(a, b, n=512, hop=120):
    w = np.hanning(n)

    def mag(x):
        return np.abs(np.fft.rfft(np.lib.stride_tricks.sliding_window_view(x, n)[::hop] * w, axis=1))
    ma, mb = mag(a), mag(b)
    return 10 * np.log10(np.sum(ma ** 2) / np.sum((ma - mb) ** 2))


def test_quantisation_in_the_loop_costs_little(tmp_path):
    """say --db against say: same length, waveform SNR (the f0 step, 0.29 cent, shifts the glottal phase
    a little over a sentence), spectral-magnitude SNR, blendshape difference, identical visemes."""
    from psigraph.nodes.face.arkit import BLENDSHAPE_LABELS
    n_arkit = 52
    rows = []
    for text, emotion in SENTENCES[:5]:
        a0, f0, _ = _run(text, emotion, None, tmp_path)
        a1, f1, _ = _run(text, emotion, str(tmp_path / "m.db"), tmp_path)
        assert a0.shape == a1.shape and f0.shape == f1.shape
        snr = 10 * np.log10(np.sum(a0 ** 2) / np.sum((a0 - a1) ** 2))
        rows.append((emotion, snr, _spectral_snr(a0, a1), np.abs(f0 - f1)[:, :n_arkit].max(),
                     np.abs(f0 - f1)[:, n_arkit:-1].max()))
        assert np.array_equal(f0[:, BLENDSHAPE_LABELS.index("viseme")], f1[:, BLENDSHAPE_LABELS.index("viseme")])
    print("\nemotion    waveform SNR  spectral SNR  max|Δ blendshape|  max|Δ head/gaze|")
    for r in rows:
        print(f"{r[0]:10s} {r[1]:9.1f} dB {r[2]:10.1f} dB {r[3]:14.2e} {r[4]:16.2e}")
    assert min(r[1] for r in rows) > 20.0
    assert min(r[2] for r in rows) > 45.0
    assert max(r[3] for r in rows) < 1e-3 and max(r[4] for r in rows) < 1e-3


def test_lipsync_holds_with_the_recorder_in_the_loop(tmp_path):
    from psigraph.nodes.face.arkit import INDEX
    from psigraph.nodes.face.metrics import lag_histogram, lipsync_lag_frames
    lags = []
    for text, emotion in SENTENCES[:5]:
        audio, face, fps = _run(text, emotion, str(tmp_path / "m.db"), tmp_path)
        jaw = face[:, INDEX["jawOpen"]]
        lags.append(lipsync_lag_frames(jaw, audio, fps, 24000))
        silent = np.sqrt(np.mean(audio[:1200] ** 2)) < 1e-3
        assert not silent or jaw[0] <= 0.1
    hist = lag_histogram(lags)
    assert np.median(lags) == 0 and all(abs(k) <= 1 for k in hist), hist


def test_pitch_is_unchanged_by_the_recorder(tmp_path):
    parselmouth = pytest.importorskip("parselmouth")
    for text, emotion in SENTENCES[:3]:
        tracks = []
        for db in (None, str(tmp_path / "m.db")):
            audio, _, _ = _run(text, emotion, db, tmp_path)
            p = parselmouth.Sound(audio, sampling_frequency=24000).to_pitch(time_step=0.01, pitch_floor=60,
                                                                            pitch_ceiling=500)
            tracks.append(p.selected_array["frequency"])
        a, b = tracks
        both = (a > 0) & (b > 0)
        assert both.sum() > 0.95 * max((a > 0).sum(), (b > 0).sum())
        cents = 1200 * np.abs(np.log2(a[both] / b[both]))
        assert np.median(cents) < 1.0 and np.percentile(cents, 95) < 5.0, (text, np.median(cents))


# ---------------------------------------------------------------- failures leave the store alone
def _snapshot(store: Path) -> dict:
    return {p.name: p.read_bytes() for p in store.parent.iterdir() if p.name.startswith(store.name)}


def test_failed_say_leaves_the_store_unchanged(tmp_cwd, monkeypatch, capsys):
    from psigraph.nodes.basic import node as basic
    store = tmp_cwd / "m.db"
    assert main(["say", "First.", "-o", "a.wav", "--db", str(store), "-q"]) == 0
    before = _snapshot(store)

    def broken_flush(self):
        raise OSError("disk full (simulated)")
    monkeypatch.setattr(basic.WavSink, "flush", broken_flush)
    assert main(["say", "Second, which fails.", "-o", "b.wav", "--db", str(store), "-q"]) == 1
    assert "disk full" in capsys.readouterr().err
    assert _snapshot(store) == before and not (tmp_cwd / "b.wav").exists()
    monkeypatch.undo()

    def interrupt(self, **kw):
        raise KeyboardInterrupt
    from psigraph.nodes.face import node as face
    monkeypatch.setattr(face.FaceAnimator, "process", interrupt)
    assert main(["say", "Third, interrupted.", "-o", "c.wav", "--frames", "c.jsonl", "--db", str(store), "-q"]) == 130
    assert _snapshot(store) == before
    assert utterance_ids(store) == [1]


def test_a_new_store_is_not_created_by_a_failed_say(tmp_cwd, monkeypatch):
    from psigraph.nodes.basic import node as basic
    monkeypatch.setattr(basic.WavSink, "flush", lambda self: (_ for _ in ()).throw(OSError("no space")))
    assert main(["say", "Nothing.", "-o", "a.wav", "--db", "new.db", "-q"]) == 1
    assert not [p for p in tmp_cwd.iterdir() if p.name.startswith("new.db")]


# ---------------------------------------------------------------- long runs: one utterance per 2 s idle
def test_recorder_commits_each_utterance_after_two_seconds_idle(tmp_cwd):
    from psigraph.memory import Store
    from psigraph.ports import Event
    from psigraph.runtime import Session
    a = argparse.Namespace(text="One.", text_file=None, output="x.wav", emotion="auto", persona="default",
                           rate=1.0, frames=None, video=None, size=640, graph=None, seed=None, db="m.db",
                           key_file=None, keep_text=True)
    from psigraph.runtime.say import build_graph
    g = build_graph(a, "One.")
    with Session(g, block=480) as s:
        s.post("text.text_in", Event(int(4.0 * 24000), "text", {"text": "Two, a little later."}))
        s.advance(int(3.5 * 24000))
        with Store("m.db", create=False) as st:            # the first went idle: committed mid-run
            (u1,) = st.utterances()
            assert u1.text == "One." and 0.5 < u1.duration_ms / 1000 < 1.5
        s.advance(int(4.5 * 24000))
    with Store("m.db", create=False) as st:
        u1, u2 = st.utterances()
        assert u2.text == "Two, a little later." and st.signature(u2.id)["replay"]["start"] >= 4.0 * 24000
        assert st.signature(u1.id)["replay"]["start"] == 0


# ---------------------------------------------------------------- check(): problems named before running
def _issues(g):
    return [i for i in psigraph.check(g) if i.severity == "error"]


def _replay_graph(path, uid=1, key_file=""):
    from psigraph.memory.commands import build_replay_graph
    return build_replay_graph(path, [uid], key_file=key_file or None, output="r.wav")


def test_replayer_check_names_store_and_id(tmp_cwd, capsys):
    (bad,) = _issues(_replay_graph("none.db"))
    assert bad.path == "nodes.replay.params.path" and bad.code == "path.missing"
    assert main(["say", "Hi.", "-o", "a.wav", "--db", "m.db", "-q"]) == 0
    (bad,) = _issues(_replay_graph("m.db", 9))
    assert bad.path == "nodes.replay.params.id" and bad.code == "memory.unknown_id" and "utterance 1" in bad.message
    assert main(["replay", "m.db", "9", "-o", "r.wav"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert "no utterance 9" in err[-1] and "Traceback" not in "".join(err)
    Path("junk.db").write_text("not a store")
    (bad,) = _issues(_replay_graph("junk.db"))
    assert bad.path == "nodes.replay.params.path"
    assert main(["say", "Hi.", "-o", "b.wav", "--db", "junk.db", "-q"]) == 1
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("error: --db:")
    assert Path("junk.db").read_text() == "not a store"


def test_missing_secure_extra_is_a_located_issue(tmp_cwd, monkeypatch):
    from psigraph.memory import nodes
    Path("k.key").write_text("secret")
    monkeypatch.setattr(nodes, "_secure_missing", lambda: True)
    (bad,) = _issues(_replay_graph("m.db", key_file="k.key"))
    assert bad.code == "dependency.missing" and "psigraph[secure]" in bad.message
    assert main(["say", "Hi.", "-o", "a.wav", "--db", "m.db", "--key-file", "k.key", "-q"]) == 1
    assert not Path("m.db").exists()


def test_encrypted_store_round_trip(tmp_cwd, capsys):
    pytest.importorskip("sqlcipher3")
    Path("k.key").write_text("correct horse battery staple\n")
    Path("w.key").write_text("wrong\n")
    assert main(["say", "A secret.", "-o", "a.wav", "--frames", "a.jsonl", "--db", "m.db", "--key-file",
                 "k.key", "-q"]) == 0
    assert not Path("m.db").read_bytes().startswith(b"SQLite format 3")
    assert main(["replay", "m.db", "1", "-o", "r.wav", "--frames", "r.jsonl", "--key-file", "k.key", "-q"]) == 0
    assert Path("a.wav").read_bytes() == Path("r.wav").read_bytes()
    assert Path("a.jsonl").read_bytes() == Path("r.jsonl").read_bytes()
    capsys.readouterr()
    before = Path("m.db").read_bytes()
    for extra in (["--key-file", "w.key"], []):
        assert main(["replay", "m.db", "1", "-o", "x.wav", *extra]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "Traceback" not in err[0]
    assert main(["say", "More.", "-o", "b.wav", "--db", "m.db", "--key-file", "w.key", "-q"]) == 1
    assert "wrong key" in capsys.readouterr().err
    assert Path("m.db").read_bytes() == before and not Path("x.wav").exists()


def test_say_db_argument_errors_are_one_line(tmp_cwd, capsys):
    for argv in (["say", "Hi.", "-o", "a.wav", "--key-file", "k"], ["say", "Hi.", "-o", "a.wav", "--db", "a.wav"],
                 ["say", "Hi.", "-o", "a.wav", "--db", "m.db", "--key-file", "missing.key"],
                 ["say", "Hi.", "-o", "a.wav", "--db", str(tmp_cwd)]):
        assert main(argv) == 1, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "Traceback" not in err[0], (argv, err)
    assert not Path("m.db").exists() and not Path("a.wav").exists()


# ---------------------------------------------------------------- kill -9 of a say --db batch
BATCH = textwrap.dedent("""
    import argparse, sys
    from psigraph.runtime import Session
    from psigraph.runtime.say import build_graph, validate
    store, out, texts = sys.argv[1], sys.argv[2], sys.argv[3:]
    print("ready", flush=True)
    for i, text in enumerate(texts):
        a = argparse.Namespace(text=text, text_file=None, output=f"{out}/{i}.wav", emotion="auto",
                               persona="default", rate=1.0, frames=None, video=None, size=640, graph=None,
                               seed=None, db=store, key_file=None, keep_text=True)
        g = build_graph(a, text)
        validate(g)
        with Session(g, block=4800) as s:
            for _ in s.until_done(max_duration=None):
                pass
        print("done", i, flush=True)
""")
BATCH_TEXTS = [f"Sentence number {i}: " + t for i, (t, _) in enumerate(SENTENCES * 2)]


def _start_batch(tmp, store, out):
    script = tmp / "batch.py"
    script.write_text(BATCH)
    os.makedirs(out, exist_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, str(script), str(store), str(out), *BATCH_TEXTS],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)


@pytest.fixture(scope="module")
def batch_reference(tmp_path_factory):
    """The batch run to its end once: reference WAVs of the 20 sentences and the batch's duration."""
    tmp = tmp_path_factory.mktemp("ref")
    p = _start_batch(tmp, tmp / "ref.db", tmp / "ref")
    assert p.stdout.readline().strip() == "ready"
    t0 = time.perf_counter()
    out, _ = p.communicate(timeout=600)
    assert p.returncode == 0
    return {i: (tmp / "ref" / f"{i}.wav").read_bytes() for i in range(len(BATCH_TEXTS))}, time.perf_counter() - t0


def _replay_bytes(store, uid, tmp) -> bytes:
    from psigraph.memory.commands import _run_graph, build_replay_graph
    from psigraph.memory import Store
    with Store(str(store), create=False) as s:
        u, sig = s.utterance(uid), s.signature(uid)
    out = tmp / f"replay-{uid}.wav"
    g = build_replay_graph(str(store), [uid], key_file=None, output=str(out), persona=u.persona,
                           seed=sig["replay"]["seed"])
    _run_graph(g)
    return out.read_bytes()


def _kill_rounds(rounds, tmp, batch_reference):
    from psigraph.memory import Store
    refs, seconds = batch_reference
    store = tmp / "k.db"
    rng = random.Random(1234)
    checked = set()
    for r in range(rounds):
        p = _start_batch(tmp, store, tmp / f"run{r}")
        assert p.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, seconds))
        p.send_signal(signal.SIGKILL)
        p.wait()
        with Store(str(store), create=False) as s:              # opens after every kill
            assert s.verify() == []
            utts = s.utterances()
        con = sqlite3.connect(str(store))
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        con.close()
        for u in utts:                                          # committed ones replay bit-exact, none partial
            if u.id in checked:
                continue
            i = BATCH_TEXTS.index(u.text)
            assert _replay_bytes(store, u.id, tmp) == refs[i], (r, u.id, u.text)
            checked.add(u.id)
    return len(checked)


def test_kill_9_of_a_batch_leaves_no_partial_utterance(tmp_path, batch_reference):
    n = _kill_rounds(3, tmp_path, batch_reference)
    print(f"\n3 kills: {n} committed utterances, all bit-exact")


@pytest.mark.slow
def test_kill_9_of_a_batch_twenty_times(tmp_path, batch_reference):
    n = _kill_rounds(20, tmp_path, batch_reference)
    print(f"\n20 kills: {n} committed utterances, all bit-exact")


# ---------------------------------------------------------------- export
def test_export_is_deterministic_and_matches_say(tmp_cwd, capsys):
    pytest.importorskip("vispy")
    pytest.importorskip("av")
    from psigraph.nodes.face.video import probe
    assert main(["say", "Export me.", "-o", "a.wav", "--frames", "a.jsonl", "--db", "m.db", "-q"]) == 0
    assert main(["say", "And me too, please.", "--emotion", "happy", "-o", "b.wav", "--db", "m.db", "-q"]) == 0
    for run in ("x", "y"):
        assert main(["export", "m.db", "1", "2", "-o", run, "--size", "64", "-q"]) == 0
        assert main(["export", "m.db", "1", "2", "-o", f"{run}.webm", "--size", "64", "-q"]) == 0
    names = sorted(os.listdir("x"))
    assert names == [f"utterance-{i}.{e}" for i in (1, 2) for e in ("jsonl", "mp4", "wav")]
    for n in names:
        assert (tmp_cwd / "x" / n).read_bytes() == (tmp_cwd / "y" / n).read_bytes(), n
    assert Path("x.webm").read_bytes() == Path("y.webm").read_bytes()
    assert Path("x/utterance-1.wav").read_bytes() == Path("a.wav").read_bytes()
    assert Path("x/utterance-1.jsonl").read_bytes() == Path("a.jsonl").read_bytes()
    info = probe("x/utterance-1.mp4")
    v, a = info["video"], info["audio"]
    assert abs(v["start"] - a["start"]) <= 1 / 60 and abs(v["duration"] - a["duration"]) <= 1 / 60
    clip = probe("x.webm")["video"]["duration"]
    total = (len(read_wav("a.wav")) + len(read_wav("b.wav"))) / 24000
    assert abs(clip - total) <= 2 / 60


def test_export_argument_errors(tmp_cwd, capsys):
    assert main(["say", "Hi.", "-o", "a.wav", "--db", "m.db", "-q"]) == 0
    capsys.readouterr()
    for argv in (["export", "m.db", "5", "-o", "d"], ["export", "none.db", "1", "-o", "d"],
                 ["export", "m.db", "1", "-o", "a.wav"], ["export", "m.db", "1", "-o", "d", "--size", "7"]):
        assert main(argv) == 1, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert "Traceback" not in "".join(err) and err[-1].count("error") >= 1, (argv, err)
    assert main(["export", "m.db", "x", "-o", "d"]) == 2


# ---------------------------------------------------------------- live
class _FakeDevice:
    """A sounddevice stand-in: OutputStream calls the callback at the device's pace in a thread."""

    def __init__(self):
        self.blocks = []

    def OutputStream(self, samplerate, channels, dtype, blocksize, device, callback):
        dev = self

        class _Stream:
            def __enter__(self):
                self.stop = threading.Event()

                def pace():
                    t0, i = time.perf_counter(), 0
                    while not self.stop.is_set():
                        delay = t0 + i * blocksize / samplerate - time.perf_counter()
                        if delay > 0:
                            time.sleep(delay)
                        out = np.zeros((blocksize, channels), np.float32)
                        callback(out, blocksize, None, None)
                        dev.blocks.append(out)
                        i += 1
                self.th = threading.Thread(target=pace, daemon=True)
                self.th.start()
                return self

            def __exit__(self, *exc):
                self.stop.set()
                self.th.join()
        return _Stream()


def test_replay_live_plays_at_real_time(tmp_cwd, monkeypatch, capsys):
    from psigraph.runtime import realtime
    assert main(["say", "Play me live.", "-o", "a.wav", "--db", "m.db", "-q"]) == 0
    dev = _FakeDevice()
    monkeypatch.setattr(realtime, "open_output_stream", lambda: dev)
    t0 = time.perf_counter()
    assert main(["replay", "m.db", "1", "--live", "--ahead", "0.5"]) == 0
    wall = time.perf_counter() - t0
    ref = read_wav("a.wav")
    played = np.concatenate(dev.blocks)[:, 0]
    assert wall >= 0.9 * len(ref) / 24000                       # paced at 1x, not as fast as possible
    assert "under-runs: 0" in capsys.readouterr().err
    assert len(played) >= len(ref)
    assert np.allclose(played[:len(ref)], ref, atol=2 / 32768)    # the same samples (WAV: 16-bit)
