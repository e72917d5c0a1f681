"""The ψ-trajectory store (DESIGN §7) end to end: the seed's DDL verbatim, the seed's prototype
check, one transaction per utterance (kill -9 at random moments), integrity CRCs, SQLCipher at rest
and its refusals (one line, exit 1, file untouched), forget reclaiming space, and the
`psigraph memory` command."""
import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from psigraph.errors import PsigraphError
from psigraph.memory import codec, keys
from psigraph.memory.store import Store, siphash24
from psigraph.runtime.cli import main

sqlcipher = pytest.importorskip("sqlcipher3")

#: DESIGN §7, "The SQLite table is the seed's, verbatim"
SEED_DDL = """CREATE TABLE psi_frames (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  uttr_hash BLOB(16) NOT NULL,      -- SipHash-2-4 of canonical text
  ts_epoch_ms INTEGER NOT NULL,     -- start of frame
  band TINYINT NOT NULL,            -- 0=micro 1=meso 2=macro
  duration_ms SMALLINT NOT NULL,    -- 20 / 250 / 2000
  psi_blob BLOB NOT NULL,           -- compressed state
  emo_vec BLOB(12),                 -- optional 3×float32
  integrity_crc INTEGER NOT NULL
);
CREATE INDEX idx_hash_ts ON psi_frames (uttr_hash, ts_epoch_ms);"""

KEY = "correct horse battery staple"
LABELS = [f"phase:r{i}" for i in range(9)] + [f"amp:r{i}" for i in range(9)] + [f"ch{i}" for i in range(28)]
KINDS = codec.kinds_for(LABELS)

GEN = '''
def gen(i, channels=46, long=False):
    rng = np.random.default_rng(1000 + i)
    T = (3000 + 400 * (i % 5)) if long else 120 + 37 * (i % 5)
    Q = np.cumsum(rng.integers(-40, 41, size=(T, channels)), axis=0) + rng.integers(-9000, 9000, channels)
    return (((Q + 32768) % 65536) - 32768).astype(np.int16)
'''
exec(GEN)   # defines gen(i) here and in the kill -9 child


def record(store, text, q, *, keep_text=True, emotion=(0.5, 0.25, -0.125), persona="p", started_ms=None,
           signature=None, meso=True):
    rec = store.begin(text, persona=persona, emotion=emotion, keep_text=keep_text, started_ms=started_ms)
    for k in range(0, len(q), 4):
        rec.add(0, 5 * k, 5 * len(q[k:k + 4]), q[k:k + 4])
    if meso:
        for k in range(0, len(q), 50):
            rec.add(1, 5 * k, 250, q[k:k + 50, :15].mean(axis=0), emo_vec=emotion)
    return rec.commit(5 * len(q), LABELS[:q.shape[1]], KINDS[:q.shape[1]], 200.0, signature or {"ticks": len(q)})


def files_of(path: Path) -> dict:
    """Bytes and mtime of the store and its companions (WAL, SHM): 'nothing modified' means equal."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in path.parent.iterdir()
            if p.name.startswith(path.name)}


def run_cli(argv, capfd):
    code = main(argv)
    out, err = capfd.readouterr()
    return code, out, err


@pytest.fixture
def no_env_key(monkeypatch):
    monkeypatch.delenv(keys.ENV_VAR, raising=False)


@pytest.fixture
def key_file(tmp_path):
    p = tmp_path / "store.key"
    p.write_text(KEY + "\n")
    return p


# ------------------------------------------------------------------ schema
@pytest.mark.parametrize("key", [None, KEY])
def test_psi_frames_ddl_and_index_are_the_seeds_verbatim(tmp_path, key):
    path = tmp_path / "s.db"
    Store(path, key).close()
    if key is None:
        conn = sqlite3.connect(path)
    else:
        conn = sqlcipher.dbapi2.connect(str(path))
        conn.execute(f"PRAGMA key = '{key}'")
    table, = conn.execute("SELECT sql FROM sqlite_master WHERE type='table' AND name='psi_frames'").fetchone()
    index, = conn.execute("SELECT sql FROM sqlite_master WHERE type='index' AND name='idx_hash_ts'").fetchone()
    assert f"{table};\n{index};" == SEED_DDL
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    meta = dict(conn.execute("SELECT key, value FROM store_meta"))
    conn.close()
    assert meta["schema_version"] == "1" and len(bytes.fromhex(meta["siphash_key"])) == 16


def test_each_store_has_its_own_hash_key(tmp_path, no_env_key):
    a, b = Store(tmp_path / "a.db"), Store(tmp_path / "b.db")
    assert a.hash_text("Hello there") != b.hash_text("Hello there")
    assert a.meta["siphash_key_id"] != b.meta["siphash_key_id"]
    assert "siphash_key" not in a.meta
    assert a.hash_text("  hello   THERE ") == a.hash_text("Hello there") == siphash24(a._sipkey, b"hello there")
    a.close()
    b.close()


# ------------------------------------------------------------------ the seed's prototype check
def test_prototype_256_oscillators_2_s_of_20_ms_frames(tmp_path):
    """record → replay: mean phase error ≤ the int16 quantisation step (2π/65536)."""
    rng = np.random.default_rng(256)
    n, hz, dt = 256, 200.0, 1 / 200.0
    omega = 2 * np.pi * rng.normal(40.0, 0.3, n)                    # the micro band: 25 ms periods
    theta = np.empty((400, n))
    th = rng.uniform(0, 2 * np.pi, n)
    for t in range(400):                                            # Kuramoto, K = 2, with phase noise
        theta[t] = th % (2 * np.pi)
        coupling = 2.0 * np.mean(np.sin(th[None, :] - th[:, None]), axis=1)
        th = th + dt * (omega + coupling) + rng.normal(0, 0.01, n)
    labels = [f"phase:micro{i}" for i in range(n)]
    kinds = codec.kinds_for(labels)
    q = codec.quantize(theta, kinds)
    with Store(tmp_path / "proto.db") as store:
        rec = store.begin("prototype", persona="seed", emotion=(0, 0, 0))
        for f in range(100):                                        # 2 s of 20 ms micro frames
            rec.add(0, 20 * f, 20, q[4 * f:4 * f + 4])
        uid = rec.commit(2000, labels, kinds, hz, {})
        back = store.replay(uid)
        assert store.utterance(uid).frame_counts == (100, 0, 0)
    err = np.abs((back - theta + np.pi) % (2 * np.pi) - np.pi)
    step = codec.step("phase")
    assert err.mean() <= step                                       # measured: ≈ step / 4
    assert err.max() <= step / 2 * (1 + 1e-9)


# ------------------------------------------------------------------ recording and reading
def test_record_and_read_back(tmp_path, no_env_key):
    with Store(tmp_path / "s.db") as store:
        q = gen(3)
        uid = record(store, "Hello,   World!", q, started_ms=1_700_000_000_000, signature={"f0_level_hz": 123.5})
        u = store.utterance(uid)
        assert (u.text, u.persona, u.emotion) == ("Hello,   World!", "p", (0.5, 0.25, -0.125))
        assert u.duration_ms == 5 * len(q)
        assert u.labels == tuple(LABELS) and u.kinds == tuple(KINDS) and u.control_hz == 200.0
        assert u.uttr_hash == store.hash_text("hello, world!")
        assert np.array_equal(store.replay(uid), codec.dequantize(q, KINDS))
        micro = list(store.frames(uid, 0))
        assert [f.ts_ms for f in micro] == list(range(0, 5 * len(q), 20)) and micro[0].utterance == uid
        assert all(f.duration_ms == 20 for f in micro[:-1])
        meso = list(store.frames(uid, 1))
        assert meso[0].emo_vec == (0.5, 0.25, -0.125) and meso[0].data.shape == (1, 15)
        assert np.allclose(meso[0].data[0], q[:50, :15].mean(axis=0), rtol=1e-6)
        assert list(store.frames(uid, 2)) == []
        assert store.signature(uid) == {"f0_level_hz": 123.5}
        rows = store._conn.execute("SELECT ts_epoch_ms, band, duration_ms FROM psi_frames ORDER BY id").fetchall()
        assert rows[0] == (1_700_000_000_000, 0, 20)
        assert u.size_bytes == store._conn.execute(
            "SELECT sum(length(psi_blob)) + sum(coalesce(length(emo_vec), 0)) FROM psi_frames").fetchone()[0]
        with pytest.raises(PsigraphError, match="no utterance 99"):
            store.utterance(99)


def test_text_is_kept_only_when_asked(tmp_path):
    path = tmp_path / "s.db"
    with Store(path) as store:
        uid = record(store, "a private sentence about zebras", gen(0), keep_text=False)
        assert store.utterance(uid).text is None
        assert store.find("A private   sentence about ZEBRAS") == uid          # by the keyed hash
        assert store.find("a private sentence about zebra") is None            # no kept text to be near to
        kept = record(store, "the quick brown fox jumps", gen(1), keep_text=True)
        assert store.find("the quick brown fox jumped") == kept                # nearest kept text
        assert store.find("something else entirely, really") is None
        store.checkpoint()
    assert b"zebras" not in path.read_bytes()


def test_find_prefers_the_newest_utterance_of_a_text(tmp_path):
    with Store(tmp_path / "s.db") as store:
        first = record(store, "Say it again.", gen(0))
        second = record(store, "say it  again.", gen(1))
        assert first < second and store.find("SAY IT AGAIN.") == second


def test_abort_and_a_failed_commit_leave_nothing(tmp_path):
    with Store(tmp_path / "s.db") as store:
        rec = store.begin("never", persona="p", emotion=(0, 0, 0))
        rec.add(0, 0, 20, gen(0)[:4])
        rec.abort()
        with pytest.raises(PsigraphError, match="already committed or aborted"):
            rec.add(0, 20, 20, gen(0)[4:8])
        # a failure inside the transaction, after the frames were inserted: rolled back
        store._conn.execute("CREATE TRIGGER fail BEFORE INSERT ON utterances BEGIN SELECT RAISE(ABORT, 'boom'); END")
        with pytest.raises(PsigraphError, match="cannot write the utterance: boom"):
            record(store, "half", gen(1))
        store._conn.execute("DROP TRIGGER fail")
        assert store.utterances() == []
        assert store._conn.execute("SELECT count(*) FROM psi_frames").fetchone()[0] == 0
        uid = record(store, "whole", gen(2))
        assert [u.id for u in store.utterances()] == [uid] and store.verify() == []


def test_recording_checks_its_input(tmp_path):
    with Store(tmp_path / "s.db") as store:
        rec = store.begin("x", persona="p", emotion="happy")
        with pytest.raises(PsigraphError, match="int16"):
            rec.add(0, 0, 20, np.zeros((4, 3)))
        rec.add(0, 0, 20, np.zeros((4, 3), dtype=np.int16))
        with pytest.raises(PsigraphError, match="time order"):
            rec.add(0, 0, 20, np.zeros((4, 3), dtype=np.int16))
        with pytest.raises(PsigraphError, match="4 channels, earlier ones 3"):
            rec.add(0, 20, 20, np.zeros((4, 4), dtype=np.int16))
        with pytest.raises(PsigraphError, match="band must be"):
            rec.add(3, 0, 20, [1.0])
        with pytest.raises(PsigraphError, match="emo_vec must hold 3"):
            rec.add(1, 0, 250, [1.0], emo_vec=[1, 2])
        with pytest.raises(PsigraphError, match="2 labels and 2 kinds for 3"):
            rec.commit(20, ["a", "b"], ["linear", "linear"], 200.0, {})
        uid = rec.commit(20, ["a", "b", "viseme"], ["linear", "linear", "index"], 200.0, {})
        assert store.utterance(uid).emotion == "happy"
        with pytest.raises(PsigraphError, match="emotion must be"):
            store.begin("y", persona="p", emotion=(1, 2))


def test_mood_is_restored_in_the_next_session(tmp_path):
    path = tmp_path / "s.db"
    with Store(path) as store:
        assert store.mood("tori") is None
        store.set_mood("tori", {"emotion": [0.1 / 3, 0.7, -0.2], "tempo": 4.25})
        store.set_mood("tori", {"emotion": [0.2 / 3, 0.7, -0.2], "tempo": 4.5})
    with Store(path, create=False) as store:
        assert store.mood("tori") == {"emotion": [0.2 / 3, 0.7, -0.2], "tempo": 4.5}
        assert store.mood("other") is None


# ------------------------------------------------------------------ integrity
def flip_blob_byte(conn, frame_id: int, at: int = -1) -> None:
    blob = bytearray(conn.execute("SELECT psi_blob FROM psi_frames WHERE id = ?", (frame_id,)).fetchone()[0])
    blob[at] ^= 0x10
    conn.execute("UPDATE psi_frames SET psi_blob = ? WHERE id = ?", (bytes(blob), frame_id))


@pytest.mark.parametrize("key", [None, KEY])
def test_a_flipped_byte_names_the_frame_and_the_utterance(tmp_path, capfd, monkeypatch, key_file, key):
    monkeypatch.delenv(keys.ENV_VAR, raising=False)
    path = tmp_path / "s.db"
    with Store(path, key) as store:
        good = record(store, "first", gen(0))
        bad = record(store, "second", gen(1))
        u = store.utterance(bad)
        victim = u.first_frame + 7                     # a micro frame in the middle
        flip_blob_byte(store._conn, victim)
        assert np.array_equal(store.replay(good), codec.dequantize(gen(0), KINDS))
        with pytest.raises(PsigraphError, match=rf"frame {victim} of utterance {bad}: integrity CRC mismatch"):
            store.replay(bad)
        frames = store.frames(bad, 0)
        for _ in range(7):
            next(frames)
        with pytest.raises(PsigraphError, match=rf"frame {victim} of utterance {bad}"):
            next(frames)
        problems = store.verify()
        assert len(problems) == 1 and problems[0].startswith(f"frame {victim} of utterance {bad}: integrity CRC")
    argv = ["memory", "verify", str(path)] + (["--key-file", str(key_file)] if key else [])
    code, out, err = run_cli(argv, capfd)
    assert code == 1 and "Traceback" not in err
    assert f"error: frame {victim} of utterance {bad}: integrity CRC mismatch" in err


def test_a_damaged_page_of_an_encrypted_file_is_named_not_a_traceback(tmp_path, key_file, capfd, monkeypatch):
    """A flipped byte in the file itself: SQLCipher's page HMAC fails; verify names the page and
    the frames it cannot read, replay names the first one, the other utterances still read."""
    monkeypatch.delenv(keys.ENV_VAR, raising=False)
    path = tmp_path / "s.db"
    with Store(path, KEY) as store:
        ids = [record(store, f"utterance {i}", gen(i, long=True), meso=False) for i in range(3)]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    code, out, err = run_cli(["memory", "verify", str(path), "--key-file", str(key_file)], capfd)
    assert code == 1 and "Traceback" not in err and "ERROR CORE" not in err
    assert "HMAC verification failed for page" in err
    hit = [line for line in err.splitlines() if ": unreadable (" in line]
    assert hit and all(" of utterance " in line for line in hit)
    bad_uid = int(hit[0].split(" of utterance ")[1].split(":")[0])
    with Store(path, KEY, create=False) as store:
        with pytest.raises(PsigraphError, match=rf"frame \d+ of utterance {bad_uid}: unreadable"):
            store.replay(bad_uid)
        good = [i for i in ids if i != bad_uid][0]
        assert np.array_equal(store.replay(good), codec.dequantize(gen(ids.index(good), long=True), KINDS))
    assert capfd.readouterr().err == ""


def test_verify_reports_schema_changes_and_orphan_frames(tmp_path):
    path = tmp_path / "s.db"
    with Store(path) as store:
        uid = record(store, "one", gen(0))
        u = store.utterance(uid)
        store._conn.execute("UPDATE utterances SET last_frame = last_frame - 2 WHERE id = ?", (uid,))
        problems = store.verify()
        assert f"frame {u.last_frame - 1}: belongs to no utterance" in problems
        assert f"frame {u.last_frame}: belongs to no utterance" in problems
        assert any(p.startswith(f"utterance {uid}: has") for p in problems)
        store._conn.execute("DROP INDEX idx_hash_ts")
        store._conn.execute("CREATE INDEX idx_hash_ts ON psi_frames (ts_epoch_ms)")
        assert "schema: index idx_hash_ts differs from the psigraph schema (DESIGN §7 seed DDL)" in store.verify()


# ------------------------------------------------------------------ forget
def test_forget_deletes_and_reclaims_space(tmp_path, capfd, no_env_key):
    path = tmp_path / "s.db"
    with Store(path) as store:
        ids = [record(store, f"sentence number {i} about aardvarks{i}", gen(i)) for i in range(10)]
        store.checkpoint()
    before = path.stat().st_size
    assert b"aardvarks3" in path.read_bytes()
    code, out, err = run_cli(["memory", "forget", str(path), str(ids[3]), str(ids[4]), str(ids[5])], capfd)
    assert code == 0, err
    assert f"forgot utterances {ids[3]}, {ids[4]}, {ids[5]}" in out
    after = path.stat().st_size
    assert after < before * 0.8
    assert not os.path.exists(str(path) + "-wal") or os.path.getsize(str(path) + "-wal") == 0
    data = path.read_bytes()
    assert b"aardvarks3" not in data and b"aardvarks2" in data
    with Store(path, create=False) as store:
        assert [u.id for u in store.utterances()] == ids[:3] + ids[6:]
        assert store._conn.execute("SELECT count(*) FROM layouts").fetchone()[0] == 1     # labels stored once
        assert store.verify() == []
        assert np.array_equal(store.replay(ids[6]), codec.dequantize(gen(6), KINDS))
        with pytest.raises(PsigraphError, match="no utterance 999"):
            store.forget([ids[0], 999])
        assert len(store.utterances()) == 7                          # nothing deleted
    code, out, err = run_cli(["memory", "forget", str(path), "999"], capfd)
    assert code == 1 and err.strip().splitlines()[-1].endswith("psigraph memory list STORE shows the ids")



def test_forget_without_reclaim_defers_the_vacuum_to_compact(tmp_path, no_env_key):
    path = tmp_path / "s.db"
    with Store(path) as store:
        ids = [record(store, f"snapshot {i}", gen(i)) for i in range(8)]
        store.checkpoint()
        assert store.forget(ids[:4], reclaim=False) == 4
        free = store._conn.execute("PRAGMA freelist_count").fetchone()[0]
        assert free > 0                                              # pages freed, file not rewritten
        assert [u.id for u in store.utterances()] == ids[4:]
        store.compact()
        assert store._conn.execute("PRAGMA freelist_count").fetchone()[0] == 0
        assert store.verify() == []

# ------------------------------------------------------------------ encryption at rest
def test_encrypted_store_has_no_sqlite_header_and_no_plaintext(tmp_path, key_file, capfd, monkeypatch):
    monkeypatch.delenv(keys.ENV_VAR, raising=False)
    path = tmp_path / "s.db"
    with Store(path, KEY) as store:
        record(store, "the secret of the marmalade", gen(0), keep_text=True)
        store.checkpoint()
    data = path.read_bytes()
    assert not data.startswith(b"SQLite format 3") and b"SQLite format 3" not in data
    assert b"marmalade" not in data and b"psi_frames" not in data
    code, out, err = run_cli(["memory", "list", str(path), "--key-file", str(key_file)], capfd)
    assert code == 0 and "the secret of the marmalade" in out and "notice" not in err
    monkeypatch.setenv(keys.ENV_VAR, KEY)
    code, out, err = run_cli(["memory", "verify", str(path)], capfd)
    assert code == 0 and "ok: 1 utterances" in out


def refusal(argv, path, capfd):
    """Run a command that must refuse: exit 1, exactly one line, the store untouched."""
    before = files_of(path)
    code, out, err = run_cli(argv, capfd)
    assert code == 1, (out, err)
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err and "ERROR CORE" not in err
    assert files_of(path) == before
    return err.strip()


def test_refusals_are_one_line_and_touch_nothing(tmp_path, key_file, capfd, monkeypatch):
    monkeypatch.delenv(keys.ENV_VAR, raising=False)
    enc, plain = tmp_path / "enc.db", tmp_path / "plain.db"
    with Store(enc, KEY) as s:
        record(s, "a", gen(0))
    with Store(plain) as s:
        record(s, "b", gen(1))
    wrong = tmp_path / "wrong.key"
    wrong.write_text("not the key\n")
    for cmd in (["list"], ["verify"], ["forget"]):
        extra = ["1"] if cmd == ["forget"] else []
        err = refusal(["memory", *cmd, str(enc), *extra, "--key-file", str(wrong)], enc, capfd)
        assert err == (f"{enc}: error: cannot open: wrong key (or not a psigraph store); "
                       "check --key-file / PSIGRAPH_DB_KEY")
        err = refusal(["memory", *cmd, str(enc), *extra], enc, capfd)
        assert "this store is encrypted" in err and "--key-file" in err
        err = refusal(["memory", *cmd, str(plain), *extra, "--key-file", str(key_file)], plain, capfd)
        assert "not encrypted, but a key was given" in err
    monkeypatch.setenv(keys.ENV_VAR, "also not the key")
    assert "wrong key" in refusal(["memory", "list", str(enc)], enc, capfd)
    monkeypatch.delenv(keys.ENV_VAR)
    monkeypatch.setattr(keys, "_sqlcipher", lambda: None)           # the [secure] extra is missing
    err = refusal(["memory", "list", str(enc), "--key-file", str(key_file)], enc, capfd)
    assert err.endswith("a key was given but SQLCipher is not installed; pip install 'psigraph[secure]' (SQLCipher)")


def test_wrong_key_through_the_api_and_no_sqlcipher_noise(tmp_path, capfd):
    path = tmp_path / "s.db"
    Store(path, KEY).close()
    before = files_of(path)
    with pytest.raises(keys.StoreOpenError, match="wrong key"):
        Store(path, "nope")
    with pytest.raises(keys.StoreOpenError, match="wrong key"):
        Store(path, b"\xff\x00binary")
    assert files_of(path) == before
    assert capfd.readouterr().err == ""
    Store(path, KEY.encode()).close()                                # bytes or text: the same key


def test_no_key_means_plain_sqlite_with_a_notice(tmp_path, capfd, no_env_key):
    path = tmp_path / "s.db"
    with Store(path) as s:
        record(s, "plain", gen(0))
    assert path.read_bytes().startswith(b"SQLite format 3\x00")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    code, out, err = run_cli(["memory", "list", str(path)], capfd)
    assert code == 0
    assert err.strip() == f"notice: {path} is not encrypted; give --key-file or PSIGRAPH_DB_KEY"


def test_not_a_store_missing_store_and_bad_key_files(tmp_path, capfd, no_env_key):
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    assert "not a psigraph memory store" in refusal(["memory", "list", str(other)], other, capfd)
    junk = tmp_path / "junk.db"
    junk.write_bytes(os.urandom(4096))
    assert "encrypted (or is not an SQLite file)" in refusal(["memory", "verify", str(junk)], junk, capfd)
    code, out, err = run_cli(["memory", "list", str(tmp_path / "missing.db")], capfd)
    assert code == 1 and err.strip().endswith("no such store; check the path (say --db STORE creates one)")
    assert not (tmp_path / "missing.db").exists()
    empty_key = tmp_path / "empty.key"
    empty_key.write_text("")
    code, out, err = run_cli(["memory", "list", str(other), "--key-file", str(empty_key)], capfd)
    assert code == 1 and "the key file" in err and "is empty" in err
    code, out, err = run_cli(["memory", "list", str(other), "--key-file", str(tmp_path / "nokey")], capfd)
    assert code == 1 and "cannot read the key file" in err and len(err.strip().splitlines()) == 1


# ------------------------------------------------------------------ the memory command
def test_memory_list_and_verify(tmp_path, capfd, no_env_key):
    path = tmp_path / "s.db"
    with Store(path) as s:
        a = record(s, "Kept words.", gen(0), keep_text=True)
        b = record(s, "Hidden words.", gen(1), keep_text=False, emotion=(0.8, 0.5, 0.3))
    code, out, err = run_cli(["memory", "list", str(path)], capfd)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["id", "time", "duration", "emotion"]
    assert lines[1].split()[0] == str(a) and lines[1].endswith("Kept words.")
    assert lines[2].split()[0] == str(b) and lines[2].endswith(" -") and "Hidden" not in out
    assert "+0.80,+0.50,+0.30" in lines[2] and f"{5 * len(gen(1)) / 1000:.2f} s" in lines[2]
    code, out, err = run_cli(["memory", "list", str(path), "--json"], capfd)
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in rows] == [a, b] and rows[1]["text"] is None and rows[1]["emotion"] == [0.8, 0.5, 0.3]
    code, out, err = run_cli(["memory", "verify", str(path)], capfd)
    assert code == 0 and out.strip().endswith("schema and every integrity CRC check out")
    code, out, err = run_cli(["memory", "forget", str(path), "x"], capfd)
    assert code == 2 and "expected an utterance id" in err
    code, out, err = run_cli(["memory"], capfd)
    assert code == 2


# ------------------------------------------------------------------ kill -9
CHILD = f"""
import sys
import numpy as np
from psigraph.memory.store import Store
from psigraph.memory import codec
{GEN}
LABELS = {LABELS!r}
KINDS = codec.kinds_for(LABELS)
_write = Store._write_utterance


def announced(self, *args, **kw):                # tell the parent the transaction starts now
    print("t", flush=True)
    return _write(self, *args, **kw)


Store._write_utterance = announced
s = Store(sys.argv[1], create=False)
for i in range(20):
    q = gen(i, long=True)                        # 15-23 s each: the commit takes a while
    rec = s.begin(f"utterance {{i}}", persona="p", emotion=(0.1, 0.2, 0.3), keep_text=True)
    for k in range(0, len(q), 4):
        rec.add(0, 5 * k, 5 * len(q[k:k + 4]), q[k:k + 4])
    for k in range(0, len(q), 50):
        rec.add(1, 5 * k, 250, q[k:k + 50, :15].mean(axis=0), emo_vec=(0.1, 0.2, 0.3))
    print("c", i, flush=True)
    uid = rec.commit(5 * len(q), LABELS, KINDS, 200.0, {{"i": i}})
    print(uid, i, flush=True)
print("done", flush=True)
"""


def kill_run(path: Path, rng, in_transaction: bool) -> dict:
    """Start a child writing 20 utterances and SIGKILL it during a random utterance's commit():
    0-40 ms after commit() was entered, or (``in_transaction``) 0-4 ms after its SQLite transaction
    began (~3 ms for ~1000 frames). Then check the store."""
    Store(path).close()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True)
    target = int(rng.integers(0, 20))
    reported, last, armed = {}, None, False
    while True:
        line = proc.stdout.readline()
        if not line or line.startswith("done"):
            break
        last = line.split()
        if last[0] == "c" and int(last[1]) == target:
            armed = True
        if armed and (not in_transaction or last[0] == "t"):
            break
        if last[0].isdigit():
            reported[int(last[0])] = int(last[1])
    time.sleep(float(rng.uniform(0.0, 0.004 if in_transaction else 0.04)))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    for line in proc.stdout:                       # lines written before the kill landed
        last = line.split()
        if last[0].isdigit():
            reported[int(last[0])] = int(last[1])
    proc.stdout.close()
    where = {"c": "encoding", "t": "transaction"}.get(last[0] if last else "", "between utterances")
    with Store(path, create=False) as store:
        assert store._conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        listed = store.utterances()
        assert set(reported) <= {u.id for u in listed}, "a committed utterance was lost"
        for u in listed:                           # every listed utterance is whole and bit-exact
            i = int(u.text.split()[1])
            assert reported.get(u.id, i) == i
            q = gen(i, long=True)
            assert u.frame_counts == (math.ceil(len(q) / 4), math.ceil(len(q) / 50), 0)
            assert np.array_equal(store.replay(u.id), codec.dequantize(q, KINDS))
        assert store.verify() == []
    if where == "transaction" and len(listed) > len(reported):
        where = "after COMMIT"                     # the transaction had finished when the kill landed
    return {"reported": len(reported), "listed": len(listed), "where": where}


def test_kill_9_leaves_only_whole_utterances(tmp_path):
    rng = np.random.default_rng(9)
    results = [kill_run(tmp_path / f"k{n}.db", rng, in_transaction=n != 1) for n in range(3)]
    assert all(r["listed"] >= r["reported"] for r in results)


@pytest.mark.slow
def test_kill_9_twenty_times(tmp_path):
    rng = np.random.default_rng(20)
    results = [kill_run(tmp_path / f"k{n}.db", rng, in_transaction=n % 4 != 3) for n in range(20)]
    print("kill -9 runs (commits reported, utterances listed, where the kill landed):",
          [(r["reported"], r["listed"], r["where"]) for r in results])
    assert all(r["listed"] >= r["reported"] for r in results)
