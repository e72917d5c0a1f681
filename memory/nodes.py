"""Memory nodes: ``recorder`` (ψ-state → store, quantised in the loop) and ``replayer`` (store → ψ-state).

**recorder** sits between psi_core's ``state`` and everything that reads it. It keeps the
recorded subset of the channels (:func:`recorded_labels`: phase/amp of the speak roles present,
then the tract channels, in that fixed order) and passes them through ``codec.roundtrip``: what
the voice and the face consume is exactly what is stored, so replay is bit-exact by construction.
Rows are buffered in RAM as int16 micro frames (20 ms), with meso (250 ms: order parameter and mean
phase per band, role phases, emotion vector) and macro (2 s: mean emotion vector, tempo) frames;
one utterance is committed per run (``say``: at commit, after every node flushed), or, in long runs,
once the speech has been idle for 2 s (the end of the last ``utterance`` event and the last voiced
tick both 2 s in the past; the idle tail is not stored). Nothing becomes visible on failure: the
store is written only in ``commit()`` (or at an idle point), ``close()`` drops what is pending.

**replayer** streams one stored utterance's micro frames with the same labels as the recorder's
output, in place of psi_core; it is FINITE and ends exactly where the recorded run ended.

Both open the store lazily (sqlite3 is not imported with the node registry).
"""
from __future__ import annotations

import math
import os
import zlib
from dataclasses import dataclass, field

import numpy as np

from psigraph import chain
from psigraph.errors import Issue, PsigraphError
from psigraph.kernels.prosody import SOURCES, prosody_stats
from psigraph.node import Node
from psigraph.outputs import path_issues
from psigraph.params import Params, param
from psigraph.ports import Events, In, Out, Signal, SignalSpec

__all__ = ["Recorder", "Replayer", "recorded_labels", "ROLE"]

#: what the recorder is in the chain (say finds it by this part; a plain string, see psigraph.chain)
ROLE = "recorder"
MICRO_MS, MESO_MS, MACRO_MS = 20, 250, 2000
MICRO, MESO, MACRO = 0, 1, 2
IDLE_S = 2.0                 # speech idle this long → the utterance is committed (long runs)
SPEAK_ROLE_NAMES = tuple(r["name"] for r in chain.SPEAK_ROLES)
ROLE_PERIOD_S = {r["name"]: r["period_ms"] / 1000.0 for r in chain.SPEAK_ROLES}
BAND_NAMES = tuple(b["name"] for b in chain.SEED_BANDS)


def recorded_labels(labels) -> list:
    """The channels the recorder keeps, in its fixed order: ``phase:<role>`` then ``amp:<role>`` of the
    speak roles present (psigraph.chain.SPEAK_ROLES order), then the tract channels present."""
    have = set(labels or ())
    out = [chain.phase_label(r) for r in SPEAK_ROLE_NAMES if chain.phase_label(r) in have]
    out += [chain.amp_label(r) for r in SPEAK_ROLE_NAMES if chain.amp_label(r) in have]
    out += [c for c in chain.TRACT_CHANNELS if c in have]
    return out


#: the recorder's output labels for a full speak-graph psi_core state
SPEAK_LABELS = tuple(recorded_labels([chain.phase_label(r) for r in SPEAK_ROLE_NAMES]
                                     + [chain.amp_label(r) for r in SPEAK_ROLE_NAMES] + list(chain.TRACT_CHANNELS)))


# ---------------------------------------------------------------- store access (lazy imports)
def _codec():
    from . import codec
    return codec


def _secure_missing() -> bool:
    import importlib.util
    return importlib.util.find_spec("sqlcipher3") is None


def open_store(path: str, key_file: str = "", *, create: bool = False, notice: bool = False):
    """A Store for ``path`` with the key from ``key_file`` / $PSIGRAPH_DB_KEY (PsigraphError on failure);
    ``notice``: one line on stderr when the store is not encrypted."""
    from . import keys
    return keys.open_store(path, key_file or None, create=create, notice=notice)


def _key_issues(key_file: str) -> list:
    issues = []
    if key_file:
        if not os.path.isfile(key_file):
            issues.append(Issue("params.key_file", f"key file {key_file!r} does not exist", code="path.missing"))
        elif not os.access(key_file, os.R_OK):
            issues.append(Issue("params.key_file", f"cannot read key file {key_file!r} (permission denied)",
                                code="path.unreadable"))
    if (key_file or os.environ.get("PSIGRAPH_DB_KEY")) and _secure_missing():
        issues.append(Issue("params.key_file", "an encrypted store needs SQLCipher (the Python package "
                                               "sqlcipher3), which is not installed; pip install 'psigraph[secure]'",
                            code="dependency.missing"))
    return issues


def _open_issues(path: str, key_file: str) -> list:
    """Issues opening an existing store (wrong key, not a store, newer schema ...)."""
    try:
        s = open_store(path, key_file, create=False)
    except PsigraphError as e:
        return [Issue("params.path", e.message + (f"; {e.hint}" if e.hint else ""), code=e.code or "memory.open")]
    except Exception as e:  # noqa: BLE001 - a check reports, never raises
        return [Issue("params.path", f"cannot open store {path!r}: {type(e).__name__}: {e}", code="memory.open")]
    s.close()
    return []


def _stat_key(path: str):
    out = []
    for p in (path, path + "-wal"):
        try:
            st = os.stat(p)
            out.append((st.st_mtime_ns, st.st_size))
        except OSError:
            out.append(None)
    return tuple(out)


_INFO_CACHE: dict = {}


@dataclass(frozen=True)
class _Info:
    """What a replayer needs to know of one stored utterance before it runs."""

    labels: tuple
    control_hz: float
    end: int | None          # master index where the recorded run ended (None: unknown)
    master_rate: int | None
    ticks: int
    issue: Issue | None = None


def _info(path: str, key_file: str, uid: int) -> _Info:
    """The stored utterance's labels and timing (cached by file state); an ``issue`` when unreadable."""
    if path == "":
        return _Info(SPEAK_LABELS, 200.0, 0, None, 0, Issue(
            "params.path", "no store given: replays nothing (psigraph replay STORE ID sets it)",
            severity="warning", code="memory.no_store"))
    if not isinstance(path, str) or not path.strip() or "\x00" in path:
        return _Info(SPEAK_LABELS, 200.0, None, None, 0, Issue("params.path", f"{path!r} is not a store file name",
                                                               code="path.invalid"))
    full = os.path.abspath(path)
    key = (full, key_file, uid, _stat_key(full))
    hit = _INFO_CACHE.get(key)
    if hit is not None:
        return hit
    info = _read_info(full, path, key_file, uid)
    if len(_INFO_CACHE) > 64:
        _INFO_CACHE.clear()
    _INFO_CACHE[key] = info
    return info


def _read_info(full: str, path: str, key_file: str, uid: int) -> _Info:
    def bad(msg, code, where="params.path"):
        return _Info(SPEAK_LABELS, 200.0, None, None, 0, Issue(where, msg, code=code))
    issues = _key_issues(key_file)
    if issues:
        return _Info(SPEAK_LABELS, 200.0, None, None, 0, issues[0])
    if not os.path.exists(full):
        return bad(f"no store at {path!r}; record one with `psigraph say TEXT -o out.wav --db {path}`",
                   "path.missing")
    if os.path.isdir(full):
        return bad(f"{path!r} is a folder, not a store", "path.is_folder")
    try:
        store = open_store(full, key_file, create=False)
    except PsigraphError as e:
        return bad(e.message + (f"; {e.hint}" if e.hint else ""), e.code or "memory.open")
    except Exception as e:  # noqa: BLE001
        return bad(f"cannot open store {path!r}: {type(e).__name__}: {e}", "memory.open")
    try:
        try:
            u = store.utterance(uid)
        except PsigraphError:
            ids = [x.id for x in store.utterances()]
            have = (f"it holds {_id_ranges(ids)}" if ids else "it is empty")
            return bad(f"no utterance {uid} in {path!r} ({have}); `psigraph memory list {path}` lists them",
                       "memory.unknown_id", "params.id")
        try:
            sig = store.signature(uid) or {}
        except PsigraphError:
            sig = {}
        rep = sig.get("replay", {}) if isinstance(sig, dict) else {}
        ticks = rep.get("ticks")
        if not isinstance(ticks, int):
            ticks = int(round(float(u.duration_ms) * float(u.control_hz) / 1000.0))
        end = rep.get("end") if isinstance(rep.get("end"), int) else None
        if end is not None and isinstance(rep.get("start"), int):
            end -= rep["start"]                    # replay starts at 0
        return _Info(tuple(u.labels), float(u.control_hz), end, rep.get("master_rate"), ticks)
    except PsigraphError as e:
        return bad(e.message, e.code or "memory.open")
    finally:
        store.close()


def _id_ranges(ids) -> str:
    ids = sorted(ids)
    parts, start, prev = [], ids[0], ids[0]
    for i in ids[1:] + [None]:
        if i is not None and i == prev + 1:
            prev = i
            continue
        parts.append(f"{start}" if start == prev else f"{start}–{prev}")
        if i is not None:
            start = prev = i
    text = ", ".join(parts[:6]) + (", …" if len(parts) > 6 else "")
    return f"utterance{'s' if len(ids) > 1 else ''} {text}"


def graph_seed_of(node_seed: int, node_id: str) -> int:
    """The graph seed (mod 2^31) behind a node's seed (inverse of runtime.session.node_seed)."""
    inv = pow(1_000_003, -1, 1 << 31)
    return ((int(node_seed) - zlib.crc32(node_id.encode())) * inv) & 0x7FFFFFFF


class _LayoutCodec:
    """The codec bound to one channel layout (the recorder quantises every span through it)."""

    def __init__(self, kinds):
        self.kinds = list(kinds)

    def quantize(self, x):
        return _codec().quantize(x, self.kinds)

    def dequantize(self, q):
        return _codec().dequantize(q, self.kinds)


def _frame_ticks(ms: float, control_hz: float) -> int:
    return max(1, int(round(ms * control_hz / 1000.0)))


# ---------------------------------------------------------------- recorder
class RecorderParams(Params):
    path: str = param("memory.db", doc="the store (SQLite file; created at the first commit)")
    key_file: str = param("", doc="file holding the store key (SQLCipher, psigraph[secure]); "
                                  "empty: $PSIGRAPH_DB_KEY, else an unencrypted store")
    keep_text: bool = param(False, doc="store the text itself (else only its keyed hash)")
    persona: str = param("default", doc="persona recorded with each utterance (the voice's)")


@dataclass
class _Take:
    """One utterance being recorded (picklable)."""

    k_start: int                                   # control tick of the first row
    rows: list = field(default_factory=list)       # int16 (n, ch) chunks, quantised
    n: int = 0
    bands: list = field(default_factory=list)      # float (n, 2·bands) chunks: r and mean phase per band
    texts: list = field(default_factory=list)      # raw text events
    chunks: list = field(default_factory=list)     # planner utterance texts
    emotion: list | None = None
    end: int = -1                                  # master index where the planned speech ends
    voiced_end: int = -1                           # control tick after the last voiced one
    syllables: int = 0
    surprises: int = 0


@dataclass
class _RecState:
    take: _Take | None = None
    first: bool = True                             # the run's first take starts at tick 0
    tick: int = 0                                  # next control tick
    t_now: int = 0                                 # master index processed so far
    committed: list = field(default_factory=list)  # utterance ids written by this node
    pending_texts: list = field(default_factory=list)


class Recorder(Node[RecorderParams]):
    """Records the ψ-state into a store, quantised in the loop (what is heard is what is stored)."""

    type_id = "recorder"
    category = "memory"
    ROLE = ROLE
    x = In(Signal, rate=chain.CONTROL, doc="psi_core.state (labelled: phase:/amp: roles, tract channels)")
    events = In(Events, optional=True, doc="the planner's score and text events (utterance, emotion, "
                                           "syllable, text; surprise) for the bands and the signature")
    y = Out(Signal, like="x", channels=lambda p, i: len(recorded_labels(_labels_of(i))),
            labels=lambda p, i: recorded_labels(_labels_of(i)),
            doc="the recorded channels, quantised exactly as stored")

    def __init__(self, params=None, **kw):
        super().__init__(params, **kw)
        self._store = None
        self._pending = None           # (take, end) prepared by flush(), written by commit()

    @classmethod
    def example_input_specs(cls, params, timebase):
        labels = tuple(SPEAK_LABELS) + ("phase:micro0", "phase:micro1", "amp:micro0", "amp:micro1")
        p = timebase.period(chain.CONTROL)
        return {"x": SignalSpec(p, len(labels), "float64", labels, float(timebase.master_rate / p))}

    @classmethod
    def check(cls, params, inputs) -> list:
        issues = path_issues(params.path)
        issues += _key_issues(params.key_file)
        if not issues and os.path.exists(params.path):
            issues += _open_issues(params.path, params.key_file)
        spec = inputs.get("x")
        if spec is not None and not recorded_labels(spec.labels):
            got = (f"its channels are {', '.join(map(str, spec.labels[:4]))}{'…' if len(spec.labels) > 4 else ''}"
                   if spec.labels else f"its {spec.channels} channel(s) have no labels")
            issues.append(Issue("inputs.x", f"nothing to record ({got}): the recorder keeps the tract channels "
                                            "and the phase:/amp: channels of the speak roles; connect psi_core.state",
                                code="input.missing_channel"))
        if not issues and not params.key_file and not os.environ.get("PSIGRAPH_DB_KEY"):
            from .keys import ENV_VAR
            issues.append(Issue("params.path", f"{params.path} is not encrypted; give --key-file or {ENV_VAR}",
                                severity="notice", code="store.plain"))
        return issues

    # ---- lifecycle ---------------------------------------------------------------
    def reset(self):
        spec = self.in_specs["x"]
        labels = list(spec.labels)
        self.labels = recorded_labels(labels)
        self.take_idx = np.array([labels.index(l) for l in self.labels], dtype=np.int64)
        pos = {l: i for i, l in enumerate(self.labels)}
        self.col = pos
        self.period = spec.period
        self.control_hz = float(self.master_rate / spec.period)
        self.kinds = _codec().kinds_for(self.labels) if self.labels else []
        self.loop_codec = _LayoutCodec(self.kinds) if self.labels else None
        # per-band oscillator columns of the full input (for the meso band)
        self.band_cols = []
        for b in BAND_NAMES:
            cols = [i for i, l in enumerate(labels) if l.startswith(chain.PHASE + b)
                    and l[len(chain.PHASE + b):].isdigit()]
            self.band_cols.append(np.array(cols, dtype=np.int64))
        self.av = pos.get("AV")
        self.idle_ticks = int(round(IDLE_S * self.control_hz))
        self.state = _RecState()
        self._pending = None

    def warmup(self):
        if self.labels:
            _codec().roundtrip(np.zeros((2, len(self.labels))), self.kinds)

    # ---- processing -----------------------------------------------------------------
    def process(self, x, events=None):
        st = self.state
        n = len(x)
        for ev in events or ():
            self._event(ev)
        if not self.labels:
            return np.zeros((n, 0))
        if n == 0:
            return np.zeros((0, len(self.labels)))
        c = self.loop_codec
        q = c.quantize(x[:, self.take_idx])
        y = c.dequantize(q)
        k0 = st.tick
        st.tick += n
        st.t_now = self.t1
        voiced = y[:, self.av] > 0 if self.av is not None else None
        self._append(k0, q, x, voiced)
        return y

    def _event(self, ev):
        st = self.state
        kind, pl = ev.kind, ev.payload if isinstance(ev.payload, dict) else {}
        if kind == "text":
            txt = pl.get("text") if pl else (ev.payload if isinstance(ev.payload, str) else None)
            if txt:
                (st.take.texts if st.take is not None else st.pending_texts).append(str(txt))
            return
        if kind == chain.UTTERANCE:
            take = self._open(-(-int(ev.t) // self.period))
            if pl.get("text"):
                take.chunks.append(str(pl["text"]))
            if take.emotion is None and pl.get("emotion") is not None:
                try:
                    take.emotion = [float(v) for v in list(pl["emotion"])[:3]]
                except (TypeError, ValueError):
                    pass
            dur = pl.get("duration")
            if isinstance(dur, (int, float)) and not isinstance(dur, bool) and dur >= 0:
                take.end = max(take.end, int(ev.t) + int(dur))
        elif kind == chain.END and st.take is not None:
            st.take.end = max(st.take.end, int(ev.t))
        elif kind == chain.SYLLABLE_EVENT and st.take is not None:
            st.take.syllables += 1
        elif kind == chain.SURPRISE and st.take is not None:
            st.take.surprises += 1
        elif kind == chain.EMOTION and st.take is not None and st.take.emotion is None:
            vad = pl.get("vad")
            if vad is not None:
                try:
                    st.take.emotion = [float(v) for v in list(vad)[:3]]
                except (TypeError, ValueError):
                    pass

    def _open(self, k: int) -> _Take:
        """The open take, or a new one starting at control tick ``k`` (the run's first at tick 0)."""
        st = self.state
        if st.take is None:
            k = 0 if st.first else max(k, st.tick)
            st.take = _Take(k_start=k, texts=st.pending_texts)
            st.pending_texts = []
            st.first = False
        return st.take

    def _active_end(self, take) -> int:
        """Control tick after the take's speech (last voiced tick, end of the planned utterance); -1: none."""
        planned = -(-take.end // self.period) if take.end >= 0 else -1
        return max(take.voiced_end, planned)

    def _append(self, k0: int, q, x, voiced):
        """Add the rows of ticks k0.. to the open take; takes open at speech onsets (the run's first at
        tick 0) and are committed once idle for IDLE_S (the idle tail is not stored)."""
        st = self.state
        n, i = len(q), 0
        while i < n:
            take = st.take
            if take is None:
                if st.first:
                    take = self._open(0)
                elif voiced is None:
                    return
                else:
                    on = np.flatnonzero(voiced[i:])
                    if not on.size:
                        return
                    i += int(on[0])
                    take = self._open(k0 + i)
            cut = n
            if voiced is not None:
                v = k0 + i + np.flatnonzero(voiced[i:])
                a = self._active_end(take)
                a = take.k_start if a < 0 else a
                planned = -(-take.end // self.period) if take.end >= 0 else -1
                prev = np.maximum(np.concatenate([[a], v[:-1] + 1]), planned) if v.size else v
                gaps = v - prev
                hit = np.flatnonzero(gaps >= self.idle_ticks)
                if hit.size:
                    cut = int(v[hit[0]]) - k0
                before = v[v < k0 + cut]
                if before.size:
                    take.voiced_end = max(take.voiced_end, int(before[-1]) + 1)
            if cut > i:
                self._rows(take, k0 + i, q[i:cut], x[i:cut])
            a = self._active_end(take)
            idle = voiced is not None and (k0 + cut) - (a if a >= 0 else take.k_start) >= self.idle_ticks
            if cut < n or idle:
                self._end_take(take)
                i = cut
                continue
            return

    def _end_take(self, take):
        """A take that went idle (long runs): committed up to the end of its speech, or dropped if silent."""
        st = self.state
        st.take, st.first = None, False
        k_end = self._active_end(take)
        keep = min(take.n, k_end - take.k_start) if k_end >= 0 else 0
        if keep > 0:
            self._write(take, keep, max(take.end, take.voiced_end * self.period))

    def _rows(self, take, k, q, x):
        if take.n == 0 and k > take.k_start:      # a take opened at tick k_start sees rows from k on
            take.k_start = k
        take.rows.append(np.ascontiguousarray(q))
        take.n += len(q)
        take.bands.append(self._band_stats(x))

    def _band_stats(self, x) -> np.ndarray:
        """Per tick: Kuramoto order parameter r and mean phase ψ of each band (0 for bands not present)."""
        nb = len(self.band_cols)
        out = np.zeros((len(x), 2 * nb), dtype=np.float32)
        present = [b for b, cols in enumerate(self.band_cols) if cols.size]
        if present and len(x):
            cols = np.concatenate([self.band_cols[b] for b in present])
            starts = np.cumsum([0] + [self.band_cols[b].size for b in present[:-1]])
            counts = np.array([self.band_cols[b].size for b in present], dtype=np.float64)
            th = x[:, cols]
            c = np.add.reduceat(np.cos(th), starts, axis=1) / counts
            s_ = np.add.reduceat(np.sin(th), starts, axis=1) / counts
            out[:, present] = np.hypot(c, s_)
            out[:, [nb + b for b in present]] = np.arctan2(s_, c) % (2 * np.pi)
        return out

    # ---- flush / commit / close ------------------------------------------------------
    def flush(self):
        """Prepare the open take (the whole run when it ends while speaking); written by commit()."""
        st = self.state
        take = st.take
        self._pending = None
        if take is None or take.n == 0:
            return
        if self._active_end(take) < 0 and self.av is not None:
            return                                   # nothing was said
        self._pending = (take, take.n, st.t_now)

    def commit(self):
        pend, self._pending = self._pending, None
        if pend is None:
            return
        take, keep, end = pend
        self.state.take = None
        if keep:
            self._write(take, keep, end)

    def close(self):
        self._pending = None
        if self._store is not None:
            try:
                self._store.close()
            finally:
                self._store = None

    # ---- writing -------------------------------------------------------------------
    def _open_store(self):
        if self._store is None:
            self._store = open_store(self.params.path, self.params.key_file, create=True)
        return self._store

    def _write(self, take: _Take, keep: int, end: int) -> int:
        """One utterance in one transaction: micro, meso and macro frames, then the signature."""
        q = np.concatenate(take.rows)[:keep]
        bands = np.concatenate(take.bands)[:keep]
        y = self.loop_codec.dequantize(q)
        text = " ".join(take.texts) if take.texts else " ".join(take.chunks)
        emotion = take.emotion if take.emotion is not None else self._mean_emotion(y)
        store = self._open_store()
        rec = store.begin(text, persona=self.params.persona, emotion=tuple(emotion),
                          keep_text=bool(self.params.keep_text))
        try:
            tick_ms = 1000.0 / self.control_hz
            for band, ms in ((MICRO, MICRO_MS), (MESO, MESO_MS), (MACRO, MACRO_MS)):
                step = _frame_ticks(ms, self.control_hz)
                for a in range(0, keep, step):
                    b = min(keep, a + step)
                    ts, dur = int(round(a * tick_ms)), int(round((b - a) * tick_ms))
                    if band == MICRO:
                        rec.add(MICRO, ts, dur, q[a:b])
                    else:
                        data, emo = self._reduced(band, y[a:b], bands[a:b], take, a, b)
                        rec.add(band, ts, dur, data, emo_vec=emo)
            sig = self.signature(y, take, end, keep)
            uid = rec.commit(int(round(keep * tick_ms)), list(self.labels), list(self.kinds), self.control_hz, sig)
        except BaseException:
            rec.abort()
            raise
        self.state.committed.append(uid)
        self._save_mood(store, y, bands, take, keep, sig, uid)
        return uid

    def _mean_emotion(self, y) -> list:
        out = []
        for name in chain.EMOTION_CHANNELS:
            i = self.col.get(name)
            out.append(float(np.mean(y[:, i])) if i is not None and len(y) else 0.0)
        return out

    def _reduced(self, band, y, bands, take, a, b):
        """Meso: r and mean phase per band, role phases (at the frame start); macro: tempo. + emotion vector."""
        emo = np.array(self._mean_emotion(y) if any(n in self.col for n in chain.EMOTION_CHANNELS)
                       else (take.emotion or [0.0, 0.0, 0.0]), dtype=np.float32)
        nb = len(self.band_cols)
        if band == MESO:
            r = bands[:, :nb].mean(axis=0)
            ph = np.angle(np.exp(1j * bands[:, nb:].astype(np.float64)).mean(axis=0)) % (2 * np.pi)
            roles = [y[0, self.col[chain.phase_label(r_)]] for r_ in SPEAK_ROLE_NAMES
                     if chain.phase_label(r_) in self.col]
            data = np.concatenate([r, ph, np.asarray(roles, dtype=np.float64)])[None, :]
        else:
            data = np.array([[*emo.tolist(), self._tempo(y)]], dtype=np.float64)
        return data.astype(np.float64), emo

    def _tempo(self, y) -> float:
        """Syllables per second in a stretch: wraps of phase:syllable while voiced."""
        i = self.col.get(chain.phase_label(chain.SYLLABLE))
        if i is None or len(y) < 2:
            return 0.0
        th = y[:, i]
        wraps = (np.diff(th) < -math.pi)
        if self.av is not None:
            wraps &= (y[1:, self.av] > 0)
        return float(wraps.sum() * self.control_hz / len(y))

    # ---- signature -----------------------------------------------------------------
    def _save_mood(self, store, y, bands, take: _Take, keep: int, sig: dict, uid: int) -> None:
        """The persona's mood after this utterance: its last macro frame (as stored, float32) and its tone;
        psi_memory restores it when the next session with this store and persona starts (memory/tone.py)."""
        from .tone import mood_of
        step = _frame_ticks(MACRO_MS, self.control_hz)
        a = ((keep - 1) // step) * step
        data, _ = self._reduced(MACRO, y[a:keep], bands[a:keep], take, a, keep)
        store.set_mood(self.params.persona, mood_of(np.asarray(data, dtype=np.float32)[0], sig, uid))

    def signature(self, y, take: _Take, end: int, keep: int) -> dict:
        """How the utterance was said (memory/API.md, Signature), from the rows as heard."""
        hz = self.control_hz
        col = self.col
        sig: dict = {"version": 1}
        emo = take.emotion if take.emotion is not None else self._mean_emotion(y)
        sig["emotion"] = [float(v) for v in emo]
        syl = take.syllables
        if syl == 0:
            syl = int(round(self._tempo(y) * len(y) / hz))
        f0i = col.get("f0")
        f0 = y[:, f0i] if f0i is not None else np.zeros(len(y))
        av = y[:, self.av] if self.av is not None else np.ones(len(y))
        src = [col[c] for c in SOURCES if c in col]
        sources = y[:, src].max(axis=1) if src and len(y) else av
        # f0 level/range, rate, pauses, voiced time: psigraph.kernels.prosody, which the planner also
        # uses to predict them when it says new words in this tone
        sig.update(prosody_stats(f0, av, sources, syl, hz))
        t = (take.k_start + np.arange(len(y))) / hz
        offs, expr = {}, {}
        for role in chain.EXPRESSION_ROLES:
            pi, ai = col.get(chain.phase_label(role)), col.get(chain.amp_label(role))
            if pi is not None and len(y):
                rel = y[:, pi] - 2 * math.pi * t / ROLE_PERIOD_S[role]
                offs[role] = float(np.angle(np.exp(1j * rel).mean()) % (2 * math.pi))
            if ai is not None and len(y):
                expr[role] = float(np.mean(y[:, ai]))
        sig["phase_offsets"] = offs
        sig["expression"] = expr
        sig["duration_s"] = float(keep / hz)
        sig["surprises"] = int(take.surprises)
        sig["replay"] = {"master_rate": int(self.master_rate), "end": int(end),
                         "seed": graph_seed_of(self.seed, self.node_id), "start": int(take.k_start * self.period),
                         "ticks": int(keep)}
        return sig


def _labels_of(inputs) -> tuple:
    spec = (inputs or {}).get("x")
    return tuple(spec.labels) if spec is not None else ()


# ---------------------------------------------------------------- replayer
class ReplayerParams(Params):
    path: str = param("", doc="the store to read ('': none, replays nothing)")
    key_file: str = param("", doc="file holding the store key (empty: $PSIGRAPH_DB_KEY, else unencrypted)")
    id: int = param(1, ge=1, doc="utterance id (psigraph memory list STORE)")
    ids: list = param([], doc="several utterance ids played back to back (overrides id)")


def _ids(p) -> list:
    ok = (isinstance(p.ids, list) and p.ids
          and all(isinstance(i, int) and not isinstance(i, bool) and 1 <= i < 2 ** 63 for i in p.ids))
    return list(p.ids) if ok else [int(p.id)]


def _rinfos(p) -> list:
    return [_info(p.path, p.key_file, i) for i in _ids(p)]


def _rinfo(p) -> _Info:
    return _rinfos(p)[0]


@dataclass
class _ReplayState:
    tick: int = 0            # next control tick to emit
    part: int = 0            # which of the ids is playing
    left: int = 0            # rows of it still to emit


class Replayer(Node[ReplayerParams]):
    """Streams a stored utterance's ψ-state (the recorder's channels) in place of psi_core."""

    type_id = "replayer"
    category = "memory"
    FINITE = True
    y = Out(Signal, rate=lambda p: _rinfo(p).control_hz, channels=lambda p: len(_rinfo(p).labels),
            labels=lambda p: list(_rinfo(p).labels), doc="the stored channels, exactly as the recorder gave them")

    def __init__(self, params=None, **kw):
        super().__init__(params, **kw)
        self._store = None
        self._frames = None
        self._buf = np.zeros((0, 0))

    @classmethod
    def check(cls, params, inputs) -> list:
        if params.ids and _ids(params) == [int(params.id)] and params.ids != [params.id]:
            return [Issue("params.ids", f"must be a list of utterance ids >= 1 (got {params.ids!r})",
                          code="param.type")]
        infos = _rinfos(params)
        issues = [i.issue for i in infos if i.issue is not None]
        if issues:
            return issues[:1]
        first = infos[0]
        for uid, i in zip(_ids(params), infos):
            if i.labels != first.labels or i.control_hz != first.control_hz:
                return [Issue("params.ids", f"utterance {uid} was recorded with other channels than "
                                            f"utterance {_ids(params)[0]}; replay them one at a time",
                              code="memory.mismatch")]
        return []

    def reset(self):
        spec = self.out_specs["y"]
        self.period = spec.period
        self.channels = spec.channels
        infos = _rinfos(self.params) if self.params.path else []
        # rows of each id, and where the whole replay ends (the last one's recorded end, exactly)
        self._parts = [max(0, i.ticks) for i in infos]
        end = 0
        if infos:
            end = sum(self._parts[:-1]) * self.period
            last = infos[-1]
            exact = last.end is not None and last.master_rate == self.master_rate
            end += int(last.end) if exact else self._parts[-1] * self.period
        self._end = end
        self.state = _ReplayState(0, 0, self._parts[0] if self._parts else 0)
        self._close_source()
        self._buf = np.zeros((0, self.channels))
        self._last = np.array([chain.TRACT_REST.get(l, 0.0) for l in spec.labels], dtype=np.float64)

    def done(self) -> bool:
        return self.t1 >= self._end

    def end(self) -> int | None:
        return self._end

    def _close_source(self):
        self._frames = None
        if self._store is not None:
            try:
                self._store.close()
            finally:
                self._store = None

    def _rows_of_part(self, n: int) -> np.ndarray:
        """Up to ``n`` rows of the current part from the store."""
        st = self.state
        if self._frames is None:
            if self._store is None:
                self._store = open_store(self.params.path, self.params.key_file, create=False)
            self._frames = iter(self._store.frames(_ids(self.params)[st.part], MICRO))
        parts, have = [self._buf], len(self._buf)
        while have < n:
            fr = next(self._frames, None)
            if fr is None:
                break
            d = np.asarray(fr.data, dtype=np.float64)
            if d.ndim != 2 or d.shape[1] != self.channels:
                raise PsigraphError(f"stored frame {fr.id} of utterance {_ids(self.params)[st.part]} has shape "
                                    f"{d.shape}, not (ticks, {self.channels})", code="memory.corrupt")
            parts.append(d)
            have += len(d)
        rows = np.concatenate(parts) if len(parts) > 1 else parts[0]
        out, self._buf = rows[:n], rows[n:]
        return out

    def _pull(self, n: int) -> np.ndarray:
        """The next ``n`` rows: each id's stored rows in turn, then the last row held."""
        st = self.state
        out = []
        got = 0
        while got < n and self.params.path and st.part < len(self._parts):
            want = min(n - got, st.left)
            rows = self._rows_of_part(want) if want else np.zeros((0, self.channels))
            if len(rows) < want:                   # fewer rows stored than recorded: hold the last one
                last = rows[-1] if len(rows) else (out[-1][-1] if out else self._last)
                rows = np.vstack([rows, np.tile(last, (want - len(rows), 1))])
            out.append(rows)
            got += want
            st.left -= want
            if st.left == 0:
                st.part += 1
                self._frames, self._buf = None, np.zeros((0, self.channels))
                st.left = self._parts[st.part] if st.part < len(self._parts) else 0
        if got < n:
            last = out[-1][-1] if out and len(out[-1]) else self._last
            out.append(np.tile(last, (n - got, 1)))
        rows = np.concatenate(out) if len(out) > 1 else out[0]
        if len(rows):
            self._last = rows[-1].copy()
        return rows

    def process(self):
        k0, n = self.ticks("y")
        if n == 0:
            return np.zeros((0, self.channels))
        st = self.state
        if k0 != st.tick:
            raise PsigraphError(f"replayer expected tick {st.tick}, got {k0}: spans must be gapless")
        st.tick += n
        return self._pull(n)

    def close(self):
        self._close_source()
