"""The ψ-trajectory store (DESIGN §7): one SQLite (or SQLCipher) file per user.

Tables: ``psi_frames`` and its index exactly as the seed's DDL (:data:`PSI_FRAMES_DDL`,
:data:`PSI_FRAMES_INDEX`), and beside them ``utterances`` (one row per committed utterance, written
in the same transaction as its frames, holding the id range ``first_frame..last_frame`` of its
``psi_frames`` rows), ``layouts`` (the channel labels and kinds, shared by the utterances recorded
with them), ``store_meta`` (schema version, creation time, the store's random SipHash-2-4 key) and
``persona_mood`` (the macro state restored in the next session).

* ``uttr_hash`` = SipHash-2-4 (64-bit, the standard output, stored as 8 little-endian bytes in the
  ``BLOB(16)`` column) of the UTF-8 canonical text (:func:`canonical`) under the store's key.
* A :class:`Recording` buffers every frame in RAM; :meth:`Recording.commit` writes them and the
  utterance row in ONE transaction, so a crash (even ``kill -9``) leaves either the whole
  utterance or nothing. WAL journal, ``synchronous=NORMAL``.
* Every read checks ``integrity_crc``; a bad frame raises an error naming its frame id and
  utterance. :meth:`Store.verify` checks the schema and every frame. :meth:`Store.forget` deletes
  and reclaims the space (VACUUM, WAL truncated), so erased speech leaves the file.
* Frame times: ``Recording.add(ts_ms=…)`` and ``Frame.ts_ms`` are milliseconds from the start of the
  utterance; the row stores ``ts_epoch_ms = started_ms + ts_ms``.
"""
from __future__ import annotations

import difflib
import json
import math
import os
import re
import secrets
import struct
import threading
import time
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from psigraph.errors import PsigraphError

from . import codec, keys

SCHEMA_VERSION = 1
MICRO, MESO, MACRO = 0, 1, 2
BANDS = (MICRO, MESO, MACRO)
BAND_NAMES = ("micro", "meso", "macro")

#: the seed's table, verbatim (DESIGN §7)
PSI_FRAMES_DDL = """CREATE TABLE psi_frames (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  uttr_hash BLOB(16) NOT NULL,      -- SipHash-2-4 of canonical text
  ts_epoch_ms INTEGER NOT NULL,     -- start of frame
  band TINYINT NOT NULL,            -- 0=micro 1=meso 2=macro
  duration_ms SMALLINT NOT NULL,    -- 20 / 250 / 2000
  psi_blob BLOB NOT NULL,           -- compressed state
  emo_vec BLOB(12),                 -- optional 3×float32
  integrity_crc INTEGER NOT NULL
)"""
#: the seed's index, verbatim
PSI_FRAMES_INDEX = "CREATE INDEX idx_hash_ts ON psi_frames (uttr_hash, ts_epoch_ms)"

UTTERANCES_DDL = """CREATE TABLE utterances (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  uttr_hash BLOB NOT NULL,          -- = psi_frames.uttr_hash of its frames
  started_ms INTEGER NOT NULL,      -- epoch ms; frame rows hold started_ms + offset
  duration_ms INTEGER NOT NULL,
  persona TEXT NOT NULL,
  emotion TEXT NOT NULL,            -- JSON: [valence, arousal, dominance] (or a name)
  text TEXT,                        -- only when the user asked to keep it
  layout INTEGER NOT NULL REFERENCES layouts (id),   -- channel labels and kinds
  control_hz REAL NOT NULL,
  first_frame INTEGER,              -- its psi_frames rows are ids first_frame..last_frame
  last_frame INTEGER,
  frame_counts TEXT NOT NULL,       -- JSON: [micro, meso, macro]
  size_bytes INTEGER NOT NULL,      -- psi_blob + emo_vec bytes of its frames
  signature TEXT NOT NULL,          -- JSON: how it was said (filled by the recorder)
  committed_ms INTEGER NOT NULL
)"""
UTTERANCES_INDEX = "CREATE INDEX idx_utterances_hash ON utterances (uttr_hash)"
LAYOUTS_DDL = """CREATE TABLE layouts (
  id INTEGER PRIMARY KEY,
  labels TEXT NOT NULL,             -- JSON: one label per micro channel
  kinds TEXT NOT NULL,              -- JSON: one codec kind per micro channel
  UNIQUE (labels, kinds)
)"""
META_DDL = """CREATE TABLE store_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
)"""
MOOD_DDL = """CREATE TABLE persona_mood (
  persona TEXT PRIMARY KEY,
  mood TEXT NOT NULL,               -- JSON
  updated_ms INTEGER NOT NULL
)"""
SCHEMA = {("table", "psi_frames"): PSI_FRAMES_DDL, ("index", "idx_hash_ts"): PSI_FRAMES_INDEX,
          ("table", "layouts"): LAYOUTS_DDL, ("table", "utterances"): UTTERANCES_DDL,
          ("index", "idx_utterances_hash"): UTTERANCES_INDEX,
          ("table", "store_meta"): META_DDL, ("table", "persona_mood"): MOOD_DDL}

NEAREST_MIN_RATIO = 0.5
_DAMAGED = "the file may be damaged: psigraph memory verify STORE names what cannot be read"
_WS = re.compile(r"\s+")


# ------------------------------------------------------------------ text and hashes
def canonical(text: str) -> str:
    """The canonical form the hash is taken of: NFC, case-folded, whitespace runs → one space, stripped."""
    t = unicodedata.normalize("NFC", str(text)).casefold()
    return _WS.sub(" ", unicodedata.normalize("NFC", t)).strip()


def siphash24(key: bytes, data: bytes) -> bytes:
    """SipHash-2-4 of ``data`` under a 16-byte key, as 8 little-endian bytes (siphashc when installed)."""
    if len(key) != 16:
        raise ValueError("SipHash-2-4 needs a 16-byte key")
    try:
        import siphashc
    except ImportError:
        return _siphash24_py(key, data)
    return siphashc.siphash(key, data).to_bytes(8, "little")


def _siphash24_py(key: bytes, data: bytes) -> bytes:
    """Reference SipHash-2-4 (Aumasson & Bernstein), for machines without siphashc."""
    M = 0xFFFFFFFFFFFFFFFF

    def rotl(x, b):
        return ((x << b) | (x >> (64 - b))) & M

    k0, k1 = struct.unpack("<QQ", key)
    v0, v1, v2, v3 = k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D, k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573

    def rounds(v0, v1, v2, v3, n):
        for _ in range(n):
            v0 = (v0 + v1) & M; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)   # noqa: E702
            v2 = (v2 + v3) & M; v3 = rotl(v3, 16); v3 ^= v2                      # noqa: E702
            v0 = (v0 + v3) & M; v3 = rotl(v3, 21); v3 ^= v0                      # noqa: E702
            v2 = (v2 + v1) & M; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)   # noqa: E702
        return v0, v1, v2, v3

    n = len(data)
    tail = data[n - n % 8:] + b"\x00" * (7 - n % 8) + bytes([n & 0xFF])
    for i in range(0, n - n % 8, 8):
        m, = struct.unpack_from("<Q", data, i)
        v3 ^= m
        v0, v1, v2, v3 = rounds(v0, v1, v2, v3, 2)
        v0 ^= m
    m, = struct.unpack("<Q", tail)
    v3 ^= m
    v0, v1, v2, v3 = rounds(v0, v1, v2, v3, 2)
    v0 ^= m
    v2 ^= 0xFF
    v0, v1, v2, v3 = rounds(v0, v1, v2, v3, 4)
    return ((v0 ^ v1 ^ v2 ^ v3) & M).to_bytes(8, "little")


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _json(obj) -> str:
    def default(o):
        if isinstance(o, np.ndarray):
            return o.tolist()
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, (tuple, set, frozenset)):
            return list(o)
        raise TypeError(f"{type(o).__name__} is not JSON-serialisable")
    try:
        return json.dumps(obj, default=default, allow_nan=True, sort_keys=True)
    except (TypeError, ValueError) as e:
        raise PsigraphError(f"cannot store {type(obj).__name__}: {e}", where="memory.Store",
                            hint="use numbers, strings, lists and dicts") from None


def _emotion(value):
    """(v, a, d) floats, or a name: what an utterance records as its emotion."""
    if isinstance(value, str):
        parts = value.split(",")
        if len(parts) == 3:
            try:
                return tuple(float(p) for p in parts)
            except ValueError:
                pass
        return value
    try:
        vec = tuple(float(v) for v in np.asarray(value, dtype=np.float64).ravel())
    except (TypeError, ValueError):
        vec = ()
    if len(vec) != 3:
        raise PsigraphError(f"emotion must be (valence, arousal, dominance) or a name, got {value!r}",
                            where="memory.Store.begin")
    return vec


# ------------------------------------------------------------------ records
@dataclass(frozen=True)
class Utterance:
    """A committed utterance (one row of ``utterances``)."""

    id: int
    started_ms: int
    duration_ms: int
    persona: str
    emotion: tuple | str
    size_bytes: int
    text: str | None
    labels: tuple
    kinds: tuple
    control_hz: float
    uttr_hash: bytes
    frame_counts: tuple = (0, 0, 0)        # micro, meso, macro
    first_frame: int | None = None
    last_frame: int | None = None


@dataclass(frozen=True)
class Frame:
    """One decoded ``psi_frames`` row. ``data``: micro → float64 ticks × channels (dequantised);
    meso/macro → float64 rows × cols as recorded (float32 precision)."""

    id: int
    ts_ms: int                 # from the start of the utterance
    duration_ms: int
    band: int
    data: np.ndarray
    emo_vec: tuple | None
    utterance: int


@dataclass
class _Pending:
    band: int
    ts_ms: int
    duration_ms: int
    data: np.ndarray
    emo: bytes | None


class Recording:
    """An utterance being recorded: frames are buffered in RAM and written in one transaction."""

    def __init__(self, store: "Store", text: str, persona: str, emotion, keep_text: bool, started_ms: int):
        self.store, self.persona, self.emotion = store, str(persona), _emotion(emotion)
        self.text = str(text) if keep_text else None
        self.uttr_hash = store.hash_text(text)
        self.started_ms = int(started_ms)
        self._frames: list[_Pending] = []
        self._channels: int | None = None
        self._last_ts = {b: None for b in BANDS}
        self.closed = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if not self.closed:
            self.abort()

    def __len__(self) -> int:
        return len(self._frames)

    def _where(self) -> str:
        return f"{self.store.path}: recording"

    def add(self, band: int, ts_ms: int, duration_ms: int, data, emo_vec=None) -> None:
        """Buffer one frame. Micro: ``data`` = int16 ticks × channels (already quantised);
        meso/macro: a real array (rows × cols or one row), stored as float32."""
        if self.closed:
            raise PsigraphError("this recording was already committed or aborted", where=self._where())
        band = int(band)
        if band not in BANDS:
            raise PsigraphError(f"band must be 0 (micro), 1 (meso) or 2 (macro), got {band}", where=self._where())
        ts_ms, duration_ms = int(ts_ms), int(duration_ms)
        if ts_ms < 0:
            raise PsigraphError(f"ts_ms must be >= 0 (ms from the start of the utterance), got {ts_ms}",
                                where=self._where())
        if not 1 <= duration_ms <= 32767:
            raise PsigraphError(f"duration_ms must be 1..32767, got {duration_ms}", where=self._where())
        last = self._last_ts[band]
        if last is not None and ts_ms <= last:
            raise PsigraphError(f"{BAND_NAMES[band]} frames must come in time order ({ts_ms} ms after {last} ms)",
                                where=self._where())
        if band == MICRO:
            a = np.asarray(data)
            if a.dtype != np.int16 or a.ndim != 2 or a.shape[0] < 1:
                raise PsigraphError(f"a micro frame is an int16 (ticks, channels) array with ticks >= 1, got "
                                    f"{a.dtype} {a.shape}", where=self._where(),
                                    hint="quantize(x, kinds) from psigraph.memory.codec")
            if self._channels is None:
                self._channels = a.shape[1]
            elif a.shape[1] != self._channels:
                raise PsigraphError(f"micro frame has {a.shape[1]} channels, earlier ones {self._channels}",
                                    where=self._where())
            a = a.copy()
        else:
            a = np.asarray(data, dtype=np.float64)
            if a.ndim == 1:
                a = a[None, :]
            if a.ndim != 2:
                raise PsigraphError(f"a {BAND_NAMES[band]} frame is a 1-D or 2-D array, got shape {a.shape}",
                                    where=self._where())
        emo = None
        if emo_vec is not None:
            v = np.asarray(emo_vec, dtype=np.float64).ravel()
            if v.size != 3:
                raise PsigraphError(f"emo_vec must hold 3 values (valence, arousal, dominance), got {v.size}",
                                    where=self._where())
            emo = v.astype("<f4").tobytes()
        self._last_ts[band] = ts_ms
        self._frames.append(_Pending(band, ts_ms, duration_ms, a, emo))

    def commit(self, duration_ms: int, labels, kinds, control_hz: float, signature: dict | None = None) -> int:
        """Write the utterance and all its frames in one transaction; returns the utterance id."""
        if self.closed:
            raise PsigraphError("this recording was already committed or aborted", where=self._where())
        labels, kinds = [str(x) for x in labels], [str(x) for x in kinds]
        channels = self._channels if self._channels is not None else len(labels)
        if len(labels) != channels or len(kinds) != channels:
            raise PsigraphError(f"{len(labels)} labels and {len(kinds)} kinds for {channels} micro channels",
                                where=self._where(), hint="one label and one kind per channel")
        codec._check_kinds(kinds, channels)
        control_hz = float(control_hz)
        if not (control_hz > 0 and math.isfinite(control_hz)):
            raise PsigraphError(f"control_hz must be > 0, got {control_hz}", where=self._where())
        duration_ms = int(duration_ms)
        if duration_ms < 0:
            raise PsigraphError(f"duration_ms must be >= 0, got {duration_ms}", where=self._where())
        sig = _json(signature if signature is not None else {})
        micro = [f for f in self._frames if f.band == MICRO]
        blobs = iter(codec.encode_frames([f.data for f in micro]))
        rows, size, counts = [], 0, [0, 0, 0]
        for f in self._frames:
            blob = next(blobs) if f.band == MICRO else codec.pack_floats(f.data)
            ts = self.started_ms + f.ts_ms
            c = codec.crc(self.uttr_hash, ts, f.band, blob, duration_ms=f.duration_ms, emo_vec=f.emo)
            rows.append((self.uttr_hash, ts, f.band, f.duration_ms, blob, f.emo, c))
            size += len(blob) + len(f.emo or b"")
            counts[f.band] += 1
        uid = self.store._write_utterance(self, rows, dict(
            duration_ms=duration_ms, labels=_json(labels), kinds=_json(kinds), control_hz=control_hz,
            frame_counts=_json(counts), size_bytes=size, signature=sig))
        self.closed = True
        self._frames = []
        return uid

    def abort(self) -> None:
        """Drop everything buffered; nothing becomes visible."""
        self.closed = True
        self._frames = []


# ------------------------------------------------------------------ the store
class Store:
    """A ψ-trajectory store. ``key`` (bytes or text) → SQLCipher; None → plain SQLite."""

    def __init__(self, path, key: bytes | str | None = None, *, create: bool = True):
        self.path = os.fspath(path)
        key = keys.key_bytes(key)
        self.encrypted = key is not None
        self._key = key
        self._lock = threading.RLock()
        self._dberrors = keys.db_errors()
        self._poisoned = False
        self._conn, created = keys.connect(self.path, key, create=create)
        try:
            try:
                self._prepare(create)
            except self._dberrors as e:
                raise keys.StoreOpenError(f"cannot open: {e}", where=self.path, hint=_DAMAGED) from None
        except BaseException:
            self._conn.close()
            self._conn = None
            if created:
                keys.remove_files(self.path)
            raise

    # ---- opening
    def _error(self, message: str, **kw) -> PsigraphError:
        return PsigraphError(message, where=self.path, **kw)

    def _prepare(self, create: bool) -> None:
        c = self._conn
        found = {(t, n): s for t, n, s in c.execute("SELECT type, name, sql FROM sqlite_master")
                 if not n.startswith("sqlite_")}
        if not found:
            if not create:
                raise keys.StoreOpenError("empty file, not a psigraph memory store", where=self.path)
            self._create()
        elif ("table", "store_meta") not in found:
            raise keys.StoreOpenError("not a psigraph memory store (no store_meta table)", where=self.path,
                                      hint="give the file say --db wrote")
        meta = dict(c.execute("SELECT key, value FROM store_meta"))
        try:
            version = int(meta.get("schema_version", "0"))
            self._sipkey = bytes.fromhex(meta["siphash_key"])
            created_ms = int(meta.get("created_ms", "0"))
        except (KeyError, ValueError):
            raise keys.StoreOpenError("damaged store metadata (store_meta)", where=self.path) from None
        if version > SCHEMA_VERSION:
            raise keys.StoreOpenError(f"store schema version {version} is newer than this psigraph reads "
                                      f"({SCHEMA_VERSION})", where=self.path, hint="upgrade psigraph")
        if version < 1 or len(self._sipkey) != 16:
            raise keys.StoreOpenError(f"damaged store metadata (schema version {version})", where=self.path)
        self._meta = {"format": meta.get("format", ""), "schema_version": version, "created_ms": created_ms,
                      "siphash_key_id": _key_id(self._sipkey), "encrypted": self.encrypted}
        if c.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            c.execute("PRAGMA journal_mode=WAL")
        c.execute("PRAGMA synchronous=NORMAL")

    def _create(self) -> None:
        c = self._conn
        c.execute("PRAGMA journal_mode=WAL")
        c.execute("BEGIN IMMEDIATE")
        try:
            if c.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:   # nobody raced us
                for sql in SCHEMA.values():
                    c.execute(sql)
                meta = {"format": "psigraph.memory", "schema_version": str(SCHEMA_VERSION),
                        "created_ms": str(_now_ms()), "siphash_key": secrets.token_bytes(16).hex()}
                c.executemany("INSERT INTO store_meta (key, value) VALUES (?, ?)", sorted(meta.items()))
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _db(self):
        if self._conn is None:
            raise self._error("the store is closed")
        if self._poisoned:                      # after a read error SQLCipher keeps failing: reconnect
            self._conn.close()
            self._conn, _ = keys.connect(self.path, self._key, create=False)
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._poisoned = False
        return self._conn

    @contextmanager
    def _sql(self, what: str = "read the store"):
        """Hold the lock; an SQLite/SQLCipher error becomes one PsigraphError line."""
        with self._lock:
            try:
                yield self._db()
            except self._dberrors as e:
                self._poisoned = True
                raise self._error(f"cannot {what}: {e}", hint=_DAMAGED) from None

    def _rollback(self, c) -> None:
        try:
            c.execute("ROLLBACK")
        except self._dberrors:
            self._poisoned = True

    # ---- identity
    @property
    def meta(self) -> dict:
        """Format, schema version, created (epoch ms), SipHash key id (never the key), encrypted."""
        return dict(self._meta)

    def hash_text(self, text: str) -> bytes:
        """uttr_hash of a text: SipHash-2-4 of its canonical UTF-8 form under the store's key."""
        return siphash24(self._sipkey, canonical(text).encode("utf-8"))

    # ---- writing
    def begin(self, text: str, *, persona: str = "default", emotion=(0.0, 0.0, 0.0), keep_text: bool = False,
              started_ms: int | None = None) -> Recording:
        """Start recording an utterance of ``text`` (kept in the store only with ``keep_text``)."""
        self._db()
        return Recording(self, text, persona, emotion, keep_text, _now_ms() if started_ms is None else started_ms)

    def _write_utterance(self, rec: Recording, rows: list, fields: dict) -> int:
        with self._sql("write the utterance") as c:
            c.execute("BEGIN IMMEDIATE")
            try:
                uid = self._insert_utterance(
                    c, rows, fields["labels"], fields["kinds"], uttr_hash=rec.uttr_hash, started_ms=rec.started_ms,
                    duration_ms=fields["duration_ms"], persona=rec.persona, emotion=_json(rec.emotion), text=rec.text,
                    control_hz=fields["control_hz"], frame_counts=fields["frame_counts"],
                    size_bytes=fields["size_bytes"], signature=fields["signature"], committed_ms=_now_ms())
                c.execute("COMMIT")
            except BaseException:
                self._rollback(c)
                raise
        return uid

    @staticmethod
    def _insert_utterance(c, rows: list, labels, kinds, **columns) -> int:
        """Insert one utterance inside the caller's transaction: its frame ``rows``, its layout (reused
        when this store has it) and its ``utterances`` row (``columns`` by name; layout and frame range
        are filled in here). Returns the new utterance id."""
        first = last = None
        if rows:
            c.executemany("INSERT INTO psi_frames (uttr_hash, ts_epoch_ms, band, duration_ms, psi_blob, "
                          "emo_vec, integrity_crc) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            last = c.execute("SELECT last_insert_rowid()").fetchone()[0]
            first = last - len(rows) + 1
        row = c.execute("SELECT id FROM layouts WHERE labels = ? AND kinds = ?", (labels, kinds)).fetchone()
        lid = row[0] if row else c.execute("INSERT INTO layouts (labels, kinds) VALUES (?, ?)",
                                           (labels, kinds)).lastrowid
        values = dict(columns, layout=lid, first_frame=first, last_frame=last)
        return c.execute(f"INSERT INTO utterances ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                         tuple(values.values())).lastrowid

    # ---- reading
    _UTT_COLS = ("u.id, u.started_ms, u.duration_ms, u.persona, u.emotion, u.size_bytes, u.text, l.labels, l.kinds, "
                 "u.control_hz, u.uttr_hash, u.frame_counts, u.first_frame, u.last_frame")
    _UTT_FROM = "utterances u JOIN layouts l ON l.id = u.layout"

    @staticmethod
    def _utterance(row) -> Utterance:
        emo = json.loads(row[4])
        return Utterance(id=row[0], started_ms=row[1], duration_ms=row[2], persona=row[3],
                         emotion=tuple(emo) if isinstance(emo, list) else emo, size_bytes=row[5], text=row[6],
                         labels=tuple(json.loads(row[7])), kinds=tuple(json.loads(row[8])), control_hz=row[9],
                         uttr_hash=bytes(row[10]), frame_counts=tuple(json.loads(row[11])), first_frame=row[12],
                         last_frame=row[13])

    def utterances(self) -> list[Utterance]:
        """Every committed utterance, oldest first."""
        with self._sql() as c:
            rows = c.execute(f"SELECT {self._UTT_COLS} FROM {self._UTT_FROM} ORDER BY u.id").fetchall()
        return [self._utterance(r) for r in rows]

    def utterance(self, uid: int) -> Utterance:
        """One utterance; an error naming the id if there is none."""
        with self._sql() as c:
            row = c.execute(f"SELECT {self._UTT_COLS} FROM {self._UTT_FROM} WHERE u.id = ?", (int(uid),)).fetchone()
        if row is None:
            raise self._error(f"no utterance {uid} in this store", hint="psigraph memory list STORE shows the ids")
        return self._utterance(row)

    _FRAME_COLS = "id, uttr_hash, ts_epoch_ms, band, duration_ms, psi_blob, emo_vec, integrity_crc"

    def _rows(self, u: Utterance, band: int | None):
        """The psi_frames rows of an utterance (one band or all); an unreadable page raises an
        error naming the first frame that cannot be read."""
        rows, bad = self._read_rows(u, band, max_bad=1)
        if bad:
            fid, msg = bad[0]
            raise self._bad_frame(fid, u.id, f"unreadable: {msg}")
        return rows

    def _read_rows(self, u: Utterance, band: int | None, max_bad: int = 32):
        """(rows, [(frame id, error)]): one query, or frame by frame when a page cannot be read."""
        if u.first_frame is None:
            return [], []
        sql = f"SELECT {self._FRAME_COLS} FROM psi_frames WHERE id BETWEEN ? AND ?"
        args = [u.first_frame, u.last_frame]
        if band is not None:
            sql += " AND band = ?"
            args.append(int(band))
        with self._lock:
            try:
                return self._db().execute(sql + " ORDER BY id", args).fetchall(), []
            except self._dberrors:
                self._poisoned = True
            rows, bad = [], []
            for fid in range(u.first_frame, u.last_frame + 1):
                try:
                    row = self._db().execute(f"SELECT {self._FRAME_COLS} FROM psi_frames WHERE id = ?",
                                             (fid,)).fetchone()
                except self._dberrors as e:
                    self._poisoned = True
                    bad.append((fid, str(e)))
                    if len(bad) >= max_bad:
                        break
                    continue
                if row is not None and (band is None or row[3] == band):
                    rows.append(row)
            return rows, bad

    def _bad_frame(self, fid: int, uid: int, what: str) -> PsigraphError:
        return self._error(f"frame {fid} of utterance {uid}: {what}",
                           hint=f"the store is damaged; psigraph memory verify lists every bad frame, "
                                f"psigraph memory forget STORE {uid} removes the utterance")

    @staticmethod
    def _row_crc(row) -> int:
        fid, h, ts, band, dur, blob, emo, stored = row
        return codec.crc(bytes(h), ts, band, bytes(blob), duration_ms=dur,
                         emo_vec=None if emo is None else bytes(emo))

    def frames(self, uid: int, band: int = MICRO) -> Iterator[Frame]:
        """The frames of one band of an utterance, in time order; every CRC checked."""
        band = int(band)
        if band not in BANDS:
            raise self._error(f"band must be 0 (micro), 1 (meso) or 2 (macro), got {band}")
        u = self.utterance(uid)
        rows = self._rows(u, band)
        return self._decode_rows(u, rows)

    def _decode_rows(self, u: Utterance, rows) -> Iterator[Frame]:
        decoder = codec.Decoder(len(u.labels))
        kinds = list(u.kinds)
        for row in rows:
            fid, h, ts, band, dur, blob, emo, stored = row
            computed = self._row_crc(row)
            if computed != stored:
                raise self._bad_frame(fid, u.id, f"integrity CRC mismatch (stored {stored & 0xFFFFFFFF:#010x}, "
                                                 f"computed {computed:#010x})")
            if bytes(h) != u.uttr_hash:
                raise self._bad_frame(fid, u.id, "its uttr_hash is not the utterance's")
            try:
                if band == MICRO:
                    data = codec.dequantize(decoder.decode(bytes(blob)), kinds)
                else:
                    data = codec.unpack_floats(bytes(blob))
            except codec.CodecError as e:
                raise self._bad_frame(fid, u.id, f"cannot decode: {e.message}") from None
            ev = None if emo is None else tuple(float(v) for v in np.frombuffer(bytes(emo), dtype="<f4"))
            yield Frame(fid, ts - u.started_ms, dur, band, data, ev, u.id)

    def replay(self, uid: int) -> np.ndarray:
        """All micro frames of an utterance, concatenated: float64 ticks × channels (dequantised)."""
        u = self.utterance(uid)
        parts = [f.data for f in self._decode_rows(u, self._rows(u, MICRO))]
        if not parts:
            return np.zeros((0, len(u.labels)))
        return np.concatenate(parts, axis=0)

    def signature(self, uid: int) -> dict:
        """How the utterance was said (the dict the recorder gave to commit)."""
        self.utterance(uid)
        with self._sql() as c:
            row = c.execute("SELECT signature FROM utterances WHERE id = ?", (int(uid),)).fetchone()
        return json.loads(row[0])

    def find(self, text: str) -> int | None:
        """The newest utterance of ``text`` (same canonical hash), else the one whose kept text is
        nearest (difflib ratio ≥ 0.5 on canonical forms), else None."""
        h = self.hash_text(text)
        with self._sql() as c:
            row = c.execute("SELECT id FROM utterances WHERE uttr_hash = ? ORDER BY id DESC LIMIT 1", (h,)).fetchone()
            if row is not None:
                return row[0]
            kept = c.execute("SELECT id, text FROM utterances WHERE text IS NOT NULL ORDER BY id").fetchall()
        want = canonical(text)
        best, best_id = 0.0, None
        for uid, t in kept:
            r = difflib.SequenceMatcher(None, want, canonical(t), autojunk=False).ratio()
            if r >= best:
                best, best_id = r, uid
        return best_id if best >= NEAREST_MIN_RATIO else None

    # ---- mood
    def mood(self, persona: str) -> dict | None:
        """The persona's last stored macro state, or None."""
        with self._sql() as c:
            row = c.execute("SELECT mood FROM persona_mood WHERE persona = ?", (str(persona),)).fetchone()
        return None if row is None else json.loads(row[0])

    def set_mood(self, persona: str, mood: dict) -> None:
        """Store the persona's macro state (replaces the previous one)."""
        text = _json(mood)
        with self._sql("store the mood") as c:
            c.execute("INSERT OR REPLACE INTO persona_mood (persona, mood, updated_ms) VALUES (?, ?, ?)",
                      (str(persona), text, _now_ms()))

    # ---- checking and erasing
    def verify(self) -> list[str]:
        """One line per problem: schema, SQLite integrity, every frame's CRC and decoding, orphans."""
        problems: list[str] = []
        try:
            with self._sql("check the store") as c:
                found = {(t, n): s for t, n, s in c.execute("SELECT type, name, sql FROM sqlite_master")}
        except PsigraphError as e:
            return [f"sqlite: {e.message}"]
        for (kind, name), sql in SCHEMA.items():
            if (kind, name) not in found:
                problems.append(f"schema: {kind} {name} is missing")
            elif found[(kind, name)] != sql:
                problems.append(f"schema: {kind} {name} differs from the psigraph schema"
                                + (" (DESIGN §7 seed DDL)" if name in ("psi_frames", "idx_hash_ts") else ""))
        if any(p.startswith("schema: table") for p in problems):
            return problems
        checks = (["PRAGMA cipher_integrity_check"] if self.encrypted else []) + ["PRAGMA integrity_check"]
        for pragma in checks:
            try:
                with self._sql("check the store") as c:
                    lines = [str(r[0]) for r in c.execute(pragma)]
            except PsigraphError as e:
                problems.append(f"sqlite: {pragma[7:]} failed: {e.message.split(': ', 1)[-1]}")
                continue
            if pragma.endswith("cipher_integrity_check"):
                problems += [f"sqlcipher: {m} (that page of the file is damaged)" for m in lines]
            elif lines != ["ok"]:
                problems += [f"sqlite integrity_check: {m}" for m in lines]
        try:
            with self._sql("check the store") as c:
                utts = [self._utterance(r) for r in c.execute(
                    f"SELECT {self._UTT_COLS} FROM {self._UTT_FROM} ORDER BY u.id")]
                n_all = c.execute("SELECT count(*) FROM utterances").fetchone()[0]
            if n_all != len(utts):
                problems.append(f"utterances: {n_all - len(utts)} refer to a missing layout (labels, kinds)")
        except PsigraphError as e:
            return problems + [f"utterances: {e.message.split(': ', 1)[-1]}"]
        covered = 0
        for u in utts:
            rows, unreadable = self._read_rows(u, None)
            for fid, msg in unreadable:
                problems.append(f"frame {fid} of utterance {u.id}: unreadable ({msg})")
            if len(unreadable) >= 32:
                problems.append(f"utterance {u.id}: more unreadable frames not listed")
            covered += len(rows) + len(unreadable)
            problems += self._verify_rows(u, rows, complete=not unreadable)
        try:
            with self._sql("check the store") as c:
                total = c.execute("SELECT count(*) FROM psi_frames").fetchone()[0]
                orphans = []
                if total != covered:
                    ranges = [(u.first_frame, u.last_frame) for u in utts if u.first_frame is not None]
                    orphans = [fid for (fid,) in c.execute("SELECT id FROM psi_frames ORDER BY id")
                               if not any(a <= fid <= b for a, b in ranges)]
        except PsigraphError as e:
            return problems + [f"psi_frames: {e.message.split(': ', 1)[-1]}"]
        for fid in orphans[:20]:
            problems.append(f"frame {fid}: belongs to no utterance")
        if len(orphans) > 20:
            problems.append(f"... and {len(orphans) - 20} more frames that belong to no utterance")
        return problems

    def _verify_rows(self, u: Utterance, rows, complete: bool) -> list[str]:
        problems = []
        counts = [0, 0, 0]
        decoder = codec.Decoder(len(u.labels))
        chain_ok = complete
        for row in rows:
            fid, h, ts, band, dur, blob, emo, stored = row
            if band not in BANDS:
                problems.append(f"frame {fid} of utterance {u.id}: band {band} is not 0, 1 or 2")
                continue
            counts[band] += 1
            computed = self._row_crc(row)
            if computed != stored:
                problems.append(f"frame {fid} of utterance {u.id}: integrity CRC mismatch (band "
                                f"{BAND_NAMES[band]}, {ts - u.started_ms} ms; stored {stored & 0xFFFFFFFF:#010x}, "
                                f"computed {computed:#010x})")
                chain_ok = chain_ok and band != MICRO
                continue
            if bytes(h) != u.uttr_hash:
                problems.append(f"frame {fid} of utterance {u.id}: its uttr_hash is not the utterance's")
            try:
                if band == MICRO:
                    if chain_ok:
                        decoder.decode(bytes(blob))
                else:
                    codec.unpack_floats(bytes(blob))
            except codec.CodecError as e:
                problems.append(f"frame {fid} of utterance {u.id}: cannot decode: {e.message}")
                chain_ok = chain_ok and band != MICRO
        if complete and tuple(counts) != tuple(u.frame_counts):
            problems.append(f"utterance {u.id}: has {counts} frames (micro, meso, macro), "
                            f"its record says {list(u.frame_counts)}")
        return problems

    def forget(self, ids, reclaim: bool = True) -> int:
        """Delete utterances and their frames, then reclaim the space (VACUUM) unless ``reclaim`` is
        False (a caller pruning often compacts once at its end); returns how many."""
        ids = sorted({int(i) for i in ids})
        utts = [self.utterance(i) for i in ids]          # every id is checked before anything is deleted
        if not utts:
            return 0
        with self._sql("delete the utterances") as c:
            c.execute("BEGIN IMMEDIATE")
            try:
                for u in utts:
                    if u.first_frame is not None:
                        c.execute("DELETE FROM psi_frames WHERE id BETWEEN ? AND ?", (u.first_frame, u.last_frame))
                    c.execute("DELETE FROM utterances WHERE id = ?", (u.id,))
                c.execute("DELETE FROM layouts WHERE id NOT IN (SELECT layout FROM utterances)")
                c.execute("COMMIT")
            except BaseException:
                self._rollback(c)
                raise
        if reclaim:
            self.compact()
        return len(utts)

    def compact(self) -> None:
        """VACUUM and truncate the WAL: freed pages leave the file."""
        with self._sql("reclaim space (VACUUM)") as c:
            c.execute("VACUUM")
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # ---- shards: recordings made apart (batch workers), merged into one store
    def new_shard(self, path) -> Store:
        """A new, empty store at ``path`` with this store's text-hash key and encryption key, so that
        :meth:`merge` can move its utterances here unchanged. ``path`` must not exist yet."""
        path = os.fspath(path)
        if os.path.exists(path):
            raise self._error(f"cannot create shard {path!r}: the file exists", hint="remove it first")
        with Store(path, self._key) as shard, shard._sql("create the shard") as c:
            c.execute("UPDATE store_meta SET value = ? WHERE key = 'siphash_key'", (self._sipkey.hex(),))
        return Store(path, self._key, create=False)

    def merge(self, path) -> list[int]:
        """Copy every utterance of the shard at ``path`` (made by :meth:`new_shard`) into this store in
        one transaction, with its frames, layout and the shard's persona moods; returns the new ids.
        Idempotent: an utterance already here (same text hash, start, duration and persona) is skipped."""
        with Store(path, self._key, create=False) as shard:
            if shard._sipkey != self._sipkey:
                raise self._error(f"cannot merge {os.fspath(path)!r}: its text-hash key is not this store's",
                                  hint="record shards with Store.new_shard of this store")
            with shard._sql("read the shard") as s:
                utts = s.execute("SELECT u.id, u.uttr_hash, u.started_ms, u.duration_ms, u.persona, u.emotion, "
                                 "u.text, l.labels, l.kinds, u.control_hz, u.first_frame, u.last_frame, "
                                 "u.frame_counts, u.size_bytes, u.signature, u.committed_ms "
                                 f"FROM {self._UTT_FROM} ORDER BY u.id").fetchall()
                frames = {u[0]: s.execute("SELECT uttr_hash, ts_epoch_ms, band, duration_ms, psi_blob, emo_vec, "
                                          "integrity_crc FROM psi_frames WHERE id BETWEEN ? AND ? ORDER BY id",
                                          (u[10], u[11])).fetchall() if u[10] is not None else [] for u in utts}
                moods = s.execute("SELECT persona, mood, updated_ms FROM persona_mood").fetchall()
        new_ids = []
        with self._sql("merge the shard") as c:
            c.execute("BEGIN IMMEDIATE")
            try:
                for (uid, h, started, dur, persona, emotion, text, labels, kinds, hz, _, _, counts, size, sig,
                     committed) in utts:
                    if c.execute("SELECT 1 FROM utterances WHERE uttr_hash = ? AND started_ms = ? AND "
                                 "duration_ms = ? AND persona = ?", (h, started, dur, persona)).fetchone():
                        continue
                    new_ids.append(self._insert_utterance(
                        c, frames[uid], labels, kinds, uttr_hash=h, started_ms=started, duration_ms=dur,
                        persona=persona, emotion=emotion, text=text, control_hz=hz, frame_counts=counts,
                        size_bytes=size, signature=sig, committed_ms=committed))
                for persona, mood, updated in moods:
                    c.execute("INSERT INTO persona_mood (persona, mood, updated_ms) VALUES (?, ?, ?) "
                              "ON CONFLICT (persona) DO UPDATE SET mood = excluded.mood, updated_ms = "
                              "excluded.updated_ms WHERE excluded.updated_ms >= persona_mood.updated_ms",
                              (persona, mood, updated))
                c.execute("COMMIT")
            except BaseException:
                self._rollback(c)
                raise
        return new_ids

    def checkpoint(self) -> None:
        """Move the WAL into the main file (e.g. before measuring its size)."""
        with self._sql("checkpoint the WAL") as c:
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _key_id(key: bytes) -> str:
    import hashlib
    return hashlib.sha256(b"psigraph.memory.siphash-key-id\x00" + key).hexdigest()[:16]
