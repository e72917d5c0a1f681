"""ψ-memory store size per second of speech, per band and all together (issue 10: ≤ 10 KB/s).

    .venv/bin/python benchmarks/memory_store.py [--sentences 10] [--repeat 20] [--no-say-db]

The stream is the recorder's: 46 channels at 200 Hz — phase:/amp: of the 9 speak roles
(psigraph.chain.SPEAK_ROLES) and the 28 tract channels (psigraph.chain.TRACT_CHANNELS) — taken from
psi_core's state while `say` speaks 10 sentences with different emotions (runtime/say.py
build_graph, Session.watch). It is quantised as the recorder does and written into stores: micro
(20 ms frames), meso (250 ms: order parameter and mean phase per band, role phases, emotion vector)
and macro (2 s: emotion vector, tempo). The size is the file growth after a WAL checkpoint, so the
SQLite overhead (rows, the seed's index, pages) is counted; per band it is measured in a store holding
that band alone. For comparison the micro band is also encoded the seed's way (per-frame Δ along the
channel index + Δ² along time + zstd) and as one zstd stream flushed per frame. With `say --db` (the
recorder node) available, the same sentences are also recorded end to end and measured.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SENTENCES = [
    ("Hello! I'm Tori. How are you doing today?", "neutral"),
    ("I can't believe it, we actually won the whole thing!", "happy"),
    ("I'm sorry, the little dog didn't make it through the night.", "sad"),
    ("Stop doing that right now, I have told you a hundred times.", "angry"),
    ("Breathe in slowly, and let the water carry you along.", "calm"),
    ("Guess what? The tickets arrived this morning, front row seats!", "excited"),
    ("Wait, what? You were there the whole time?", "surprised"),
    ("The birch canoe slid on the smooth planks.", "neutral"),
    ("Glue the sheet to the dark blue background, then let it dry.", "0.4,0.2,0.1"),
    ("It's easy to tell the depth of a well, if you drop a stone into it.", "-0.3,0.6,0.5"),
]
CONTROL_HZ = 200.0


def speak_states(sentences):
    """[(text, emotion, state ticks × channels, labels)] from psi_core while say speaks."""
    from psigraph.runtime import Session
    from psigraph.runtime.say import build_graph, validate
    out = []
    for text, emotion in sentences:
        args = argparse.Namespace(text=text, text_file=None, output=os.devnull + ".wav", emotion=emotion,
                                  persona="default", rate=1.0, frames=None, video=None, size=640, graph=None,
                                  seed=None)
        g = build_graph(args, text)
        validate(g)
        with Session(g, block=4800) as s:
            ref = s.watch("core.state")
            chunks = [d[ref] for d in s.until_done(max_duration=None)]
            labels = list(s.slots["core"].node.out_specs["state"].labels)
        out.append((text, emotion, np.concatenate(chunks), labels))
    return out


def recorded(state, labels):
    """The recorder's 46 channels (role phases, role amplitudes, tract) and what it reduces for meso/macro."""
    from psigraph import chain
    roles = [r["name"] for r in chain.SPEAK_ROLES]
    names = [chain.phase_label(r) for r in roles] + [chain.amp_label(r) for r in roles] + list(chain.TRACT_CHANNELS)
    col = {name: i for i, name in enumerate(labels)}
    x = state[:, [col[n] for n in names]]
    bands = {}
    for b in ("micro", "meso", "macro"):
        idx = [i for i, name in enumerate(labels) if name.startswith(f"phase:{b}")]
        z = np.exp(1j * state[:, idx])
        bands[b] = z.mean(axis=1)
    return names, x, bands


def frames_of(names, q, y, bands):
    """(band, ts_ms, duration_ms, data, emo_vec) like the recorder writes them."""
    from psigraph import chain
    tick_ms = 1000.0 / CONTROL_HZ
    emo_cols = [names.index(n) for n in chain.EMOTION_CHANNELS]
    role_cols = [names.index(chain.phase_label(r["name"])) for r in chain.SPEAK_ROLES]
    syl = names.index(chain.phase_label(chain.SYLLABLE))
    out = []
    for band, ticks in ((0, 4), (1, 50), (2, 400)):
        for a in range(0, len(q), ticks):
            b = min(len(q), a + ticks)
            ts, dur = int(round(a * tick_ms)), int(round((b - a) * tick_ms))
            emo = y[a:b, emo_cols].mean(axis=0)
            if band == 0:
                out.append((0, ts, dur, q[a:b], None))
            elif band == 1:
                zs = [bands[k][a:b] for k in ("micro", "meso", "macro")]
                data = np.concatenate([[abs(z.mean()) for z in zs], [np.angle(z.mean()) % (2 * np.pi) for z in zs],
                                       y[a, role_cols]])
                out.append((1, ts, dur, data, emo))
            else:
                wraps = int((np.diff(y[a:b, syl]) < -np.pi).sum())
                out.append((2, ts, dur, np.array([*emo, wraps * CONTROL_HZ / (b - a)]), emo))
    return out


def store_size(path: Path) -> int:
    return sum(os.path.getsize(str(path) + s) for s in ("", "-wal") if os.path.exists(str(path) + s))


def write_store(path: Path, utts, keep_bands, key=None) -> dict:
    """Write every utterance (only the bands in keep_bands); file growth and payload per band."""
    from psigraph.memory.store import Store
    store = Store(path, key)
    store.checkpoint()
    empty = store_size(path)
    payload = {0: 0, 1: 0, 2: 0}
    for text, emotion, names, kinds, frames, ticks in utts:
        rec = store.begin(text, persona="default", emotion=(0.0, 0.0, 0.0), keep_text=False)
        for band, ts, dur, data, emo in frames:
            if band in keep_bands:
                rec.add(band, ts, dur, data, emo_vec=emo)
        uid = rec.commit(int(round(ticks * 1000 / CONTROL_HZ)), names, kinds, CONTROL_HZ, {"emotion": emotion})
        u = store.utterance(uid)
        for band in keep_bands:
            payload[band] += sum(len(f) for f in _blobs(store, uid, band))
        assert u.frame_counts[0] == (sum(1 for f in frames if f[0] == 0) if 0 in keep_bands else 0)
    store.checkpoint()
    grown = store_size(path) - empty
    store.close()
    return {"growth": grown, "payload": payload}


def _blobs(store, uid, band):
    u = store.utterance(uid)
    if u.first_frame is None:
        return []
    rows = store._conn.execute("SELECT psi_blob, emo_vec FROM psi_frames WHERE id BETWEEN ? AND ? AND band = ?",
                               (u.first_frame, u.last_frame, band)).fetchall()
    return [bytes(b) + (bytes(e) if e is not None else b"") for b, e in rows]


def seed_ways(utts):
    """Micro bytes per 20 ms frame: the seed's per-frame Δ+zstd, a zstd stream, and this codec."""
    import zstandard
    from psigraph.memory import codec

    def d2(q):
        r = q.astype(np.int64)
        r[:, 1:] = r[:, 1:] - r[:, :-1]                           # Δ along the channel index
        r[1:] = np.diff(r, axis=0) if len(r) > 1 else r[1:]
        if len(r) > 2:
            r[2:] = np.diff(r[1:], axis=0)                           # → Δ² along time
        return codec._wrap(r).astype("<i2")

    def planes(r):                                                   # zigzag, channel-major byte planes
        u = ((r.astype(np.int64) << 1) ^ (r.astype(np.int64) >> 15)) & 0xFFFF
        u = u.T.copy()
        return (u & 255).astype(np.uint8).tobytes() + (u >> 8).astype(np.uint8).tobytes()

    per_frame = {3: 0, 19: 0}
    stream, best, ours, n = 0, 0, 0, 0
    for _, _, _, _, frames, _ in utts:
        micro = [f[3] for f in frames if f[0] == 0]
        n += len(micro)
        for level in per_frame:
            z = zstandard.ZstdCompressor(level=level)
            per_frame[level] += sum(len(z.compress(d2(q).tobytes())) for q in micro)
        cobj = zstandard.ZstdCompressor(level=19).compressobj()
        for q in micro:
            stream += len(cobj.compress(d2(q).tobytes()) + cobj.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK))
        Q = np.concatenate(micro).astype(np.int64)
        R = Q.copy()
        R[1:] = Q[1:] - Q[:-1]
        R[2:] = Q[2:] - 2 * Q[1:-1] + Q[:-2]                         # Δ² along time across frames
        R = codec._wrap(R)
        cobj, t = zstandard.ZstdCompressor(level=19).compressobj(), 0
        for q in micro:
            best += len(cobj.compress(planes(R[t:t + len(q)])) + cobj.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK))
            t += len(q)
        ours += sum(map(len, codec.encode_frames(micro)))
    return {"seed per-frame Δ+zstd -3": per_frame[3] / n, "seed per-frame Δ+zstd -19": per_frame[19] / n,
            "zstd stream of the same, flushed per frame": stream / n,
            "zstd stream, Δ² across frames, zigzag planes": best / n, "this codec (Rice stream)": ours / n}


def say_db(sentences, folder: Path) -> dict | None:
    """Record the sentences with `psigraph say --db` (the recorder node); None if that fails."""
    from psigraph.memory.store import Store
    db = folder / "say.db"
    for i, (text, emotion) in enumerate(sentences):
        r = subprocess.run([sys.executable, "-m", "psigraph.runtime.cli", "say", text, f"--emotion={emotion}",
                            "-o", str(folder / f"s{i}.wav"), "--db", str(db), "-q"], capture_output=True, text=True,
                           env={**os.environ, "PSIGRAPH_DB_KEY": ""})
        if r.returncode != 0:
            return {"error": (r.stderr.strip().splitlines() or ["?"])[-1]}
    with Store(db, create=False) as s:
        s.checkpoint()
        utts = s.utterances()
        seconds = sum(u.duration_ms for u in utts) / 1000
        size = store_size(db)
        payload = [0, 0, 0]
        for u in utts:
            for band in range(3):
                payload[band] += sum(len(b) for b in _blobs(s, u.id, band))
    with tempfile.TemporaryDirectory() as d:
        empty = Path(d) / "e.db"
        Store(empty).close()
        size -= store_size(empty)
    return {"seconds": seconds, "growth": size, "payload": payload, "channels": len(utts[0].labels)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sentences", type=int, default=len(SENTENCES))
    ap.add_argument("--repeat", type=int, default=20, help="also store the sentences this many times over")
    ap.add_argument("--no-say-db", action="store_true", help="skip the end-to-end `say --db` measurement")
    a = ap.parse_args()
    from psigraph.memory import codec
    sentences = SENTENCES[:a.sentences]
    t0 = time.perf_counter()
    utts = []
    for text, emotion, state, labels in speak_states(sentences):
        names, x, bands = recorded(state, labels)
        kinds = codec.kinds_for(names)
        q = codec.quantize(x, kinds)
        y = codec.dequantize(q, kinds)
        utts.append((text, emotion, names, kinds, frames_of(names, q, y, bands), len(q)))
    seconds = sum(u[5] for u in utts) / CONTROL_HZ
    print(f"{len(utts)} sentences, {seconds:.1f} s of speech, {len(utts[0][2])} channels at {CONTROL_HZ:g} Hz "
          f"(state taken in {time.perf_counter() - t0:.1f} s)")
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        both = write_store(d / "all.db", utts, {0, 1, 2})
        enc = write_store(d / "enc.db", utts, {0, 1, 2}, key="benchmark key")
        many = [(f"{k}: {u[0]}",) + u[1:] for k in range(a.repeat) for u in utts]   # x repeat: pages settle
        long_s = seconds * a.repeat
        full = write_store(d / "many.db", many, {0, 1, 2}) if a.repeat > 1 else both
        print(f"{'band':<22}{'frames/s':>9}{'payload':>12}   file growth when the band is added "
              f"({len(many)} utterances, {long_s:.0f} s)")
        for band, name in enumerate(("micro (20 ms)", "meso (250 ms)", "macro (2 s)")):
            without = write_store(d / f"no{band}.db", many, {0, 1, 2} - {band})
            n = sum(1 for u in utts for f in u[4] if f[0] == band)
            print(f"{name:<22}{n / seconds:>9.1f}{both['payload'][band] / seconds:>8.0f} B/s"
                  f"{(full['growth'] - without['growth']) / long_s:>12.0f} B/s")
        total_payload = sum(both["payload"].values()) / seconds
        print("all bands together (file growth per second of speech; target <= 10000 B/s):")
        rows = [("plain", both["growth"] / seconds, len(utts)), ("SQLCipher", enc["growth"] / seconds, len(utts))]
        if a.repeat > 1:
            rows.append(("plain", full["growth"] / long_s, len(many)))
            rows.append(("SQLCipher", write_store(d / "many-enc.db", many, {0, 1, 2}, key="k")["growth"] / long_s,
                         len(many)))
        for label, growth, n in rows:
            print(f"  {label:<10}{n:>4} utterances {growth:>7.0f} B/s   {'ok' if growth <= 10000 else 'OVER'}"
                  f"   (payload {total_payload:.0f} B/s)")
        print("where the plain file's bytes are (dbstat):")
        import sqlite3
        conn = sqlite3.connect(d / "all.db")
        for name, pages, payload, unused in conn.execute(
                "SELECT name, count(*), sum(payload), sum(unused) FROM dbstat GROUP BY name ORDER BY 2 DESC"):
            print(f"  {name:<24}{pages:>6} pages  {payload / seconds:>7.0f} B/s payload  "
                  f"{pages * 4096 / seconds:>7.0f} B/s in pages ({unused / (pages * 4096):.0%} unused)")
        conn.close()
        micro_frames = sum(1 for u in utts for f in u[4] if f[0] == 0)
        print(f"micro: {both['payload'][0] / micro_frames:.1f} B of psi_blob per 20 ms frame")
        print("micro band, bytes per 20 ms frame (psi_blob only):")
        for name, v in seed_ways(utts).items():
            print(f"  {name:<32}{v:7.1f} B  ({v * 50:5.0f} B/s)")
        if not a.no_say_db:
            r = say_db(sentences, d)
            if r is None or "error" in r:
                print(f"say --db: skipped ({r['error'] if r else 'unavailable'})")
            else:
                print(f"say --db (recorder node, {r['channels']} channels): {r['seconds']:.1f} s of speech, "
                      f"file growth "
                      f"{r['growth'] / r['seconds']:.0f} B/s; payload micro {r['payload'][0] / r['seconds']:.0f}, "
                      f"meso {r['payload'][1] / r['seconds']:.0f}, macro {r['payload'][2] / r['seconds']:.0f} B/s")


if __name__ == "__main__":
    main()
