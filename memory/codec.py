"""The ψ-trajectory codec: float channels → int16 per kind → residuals → adaptive Rice bits.

Quantisation (one *kind* per channel, chosen from its label by :func:`kinds_for`):

========  ===============================================  =====================================
kind      float → int16                                    back
========  ===============================================  =====================================
phase     round(θ / 2π · 65536) mod 65536 (int16 bits)     q mod 65536 · 2π/65536, in [0, 2π)
logamp    round(ln(max(a, 1e-6)) · 2048), clipped;         exp(q / 2048); -32768 → 0.0 exactly
          a ≤ 0 → -32768 (reserved: exactly 0)
logfreq   round(log2(max(f, 1)) · 4096) - 32767, clipped   2 ** ((q + 32767) / 4096) Hz (1 Hz … 64 kHz,
          to ±32767; f ≤ 0 → -32768 (exactly 0)          0.29 cent steps); -32768 → 0.0
index     round(x), clipped to int16                       q (exact for integers: the viseme)
linear    round(x · 16384), clipped to [-2, 2)             q / 16384
========  ===============================================  =====================================

Non-finite values (decided here, tested): NaN → the kind's zero (phase 0, amplitude/frequency 0.0,
index/linear 0); +inf → the largest code; -inf → the smallest code (amplitude/frequency: 0.0); a
phase of ±inf → 0. Rounding is half-to-even (numpy's). ``dequantize(quantize(x))`` is what the
voice and face hear, so the recorder passes :func:`roundtrip` downstream and replay is bit-exact.

Encoding (the seed's "Δ along the oscillator index, Δ² along time, zstd", measured and improved):
the frames of one utterance form one *stream*. Per channel the encoder picks, over the whole
utterance, the cheapest of: constant (stored once), or a time predictor of order 0, 1 or 2
(previous sample, linear extrapolation — the seed's Δ²), optionally minus the residual of the
channel before it (the seed's Δ along the oscillator index: locked oscillators), optionally with a
one-bit "all zero" flag per frame. Residuals wrap modulo 2^16 (bit-exact, phases wrap naturally),
are zigzag-mapped and written with adaptive Golomb–Rice codes (per-channel parameter from a running
mean, as in LOCO-I/JPEG-LS; no side information). Frame 0 of a stream carries the header (channel
count, modes, constants); later frames are decoded with the state the earlier ones left (a
:class:`Decoder`). On the speech stream (benchmarks/memory_store.py) the seed's per-frame
Δ + zstd costs 260 B per 20 ms frame and the best zstd variant found (one zstd stream of Δ² residuals
across frames, zigzag byte planes, flushed per frame) 120 B, against 94 B for this coder; with the
seed DDL's row and index overhead only the latter fits the 10 KB per second of speech budget. zstd
compresses the float payloads of the meso and macro bands (:func:`pack_floats`).

Every stored blob also gets an integrity CRC-32 (:func:`crc`) over the row it belongs to.
"""
from __future__ import annotations

import math
import struct
import zlib

import numpy as np

from psigraph.errors import PsigraphError
from psigraph.kernels import njit

__all__ = ["KINDS", "kinds_for", "quantize", "dequantize", "roundtrip", "step", "encode", "decode",
           "encode_frames", "Decoder", "crc", "pack_floats", "unpack_floats", "CodecError"]

KINDS = ("phase", "logamp", "logfreq", "index", "linear")
LOGFREQ_LABELS = frozenset({"f0", "F1", "F2", "F3", "F4", "F5", "B1", "B2", "B3", "B4", "B5", "FF", "FB"})
INDEX_LABELS = frozenset({"viseme"})
TWO_PI = 2.0 * math.pi
AMP_FLOOR = 1e-6
ZERO_CODE = -32768                      # logamp / logfreq: exactly 0.0

# Rice coder constants (part of the format: changing them needs a new stream tag)
_LIM = 16                               # unary part cap; beyond it: escape + 16 raw bits
_RESET = 8                              # halve the running mean every _RESET samples
_A0 = 8                                 # initial running sum (k starts at 3)
_START = 0x80                           # first byte: bit 7 = stream header follows
_MODE_CONST = 3
_MAX_VALUES = 1 << 26                   # a frame larger than this is corrupt (never allocated)


class CodecError(PsigraphError):
    """A blob cannot be decoded (corrupt, truncated, or out of order)."""

    code = "memory.codec"


# ------------------------------------------------------------------ kinds and quantisation
def kinds_for(labels) -> list[str]:
    """The quantisation kind of each channel label (see the module table)."""
    out = []
    for label in labels:
        label = str(label)
        if label.startswith("phase:"):
            out.append("phase")
        elif label.startswith("amp:"):
            out.append("logamp")
        elif label in LOGFREQ_LABELS:
            out.append("logfreq")
        elif label in INDEX_LABELS:
            out.append("index")
        else:
            out.append("linear")
    return out


def _check_kinds(kinds, channels: int) -> list[str]:
    kinds = [str(k) for k in kinds]
    if len(kinds) != channels:
        raise PsigraphError(f"{len(kinds)} kinds for {channels} channels", where="memory.codec",
                            hint="give one kind per channel (kinds_for(labels))")
    bad = sorted({k for k in kinds if k not in KINDS})
    if bad:
        raise PsigraphError(f"unknown channel kind {bad[0]!r}", where="memory.codec",
                            expected=", ".join(KINDS), got=bad[0])
    return kinds


def step(kind: str) -> float:
    """The quantisation step of a kind, in its own unit (radians; natural-log, octave units; x)."""
    return {"phase": TWO_PI / 65536, "logamp": 1 / 2048, "logfreq": 1 / 4096, "index": 1.0,
            "linear": 1 / 16384}[kind]


def _clip_round(v: np.ndarray, lo: int, hi: int) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.clip(np.round(v), lo, hi)


def _groups(kinds) -> dict:
    """{kind: column indices}: the formulas below run once per kind, vectorised over its columns."""
    out: dict = {}
    for j, k in enumerate(kinds):
        out.setdefault(k, []).append(j)
    return {k: np.array(v, dtype=np.int64) for k, v in out.items()}


def quantize(x, kinds) -> np.ndarray:
    """float (ticks × channels) → int16 codes, per kind (module table; NaN/inf as documented)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        raise PsigraphError(f"expected a (ticks, channels) array, got shape {x.shape}", where="memory.codec")
    kinds = _check_kinds(kinds, x.shape[1])
    q = np.zeros(x.shape, dtype=np.int64)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        for kind, cols in _groups(kinds).items():
            v = x[:, cols]
            nan = np.isnan(v)
            if kind == "phase":
                k = np.round(np.where(np.isfinite(v), v, 0.0) / TWO_PI * 65536)
                k = np.mod(k, 65536.0)                       # exact on floats, in [0, 65536]
                k = np.where(np.isfinite(k) & (k < 65536.0), k, 0.0).astype(np.int64)
                q[:, cols] = np.where(k >= 32768, k - 65536, k)
            elif kind == "logamp":
                c = _clip_round(np.log(np.maximum(v, AMP_FLOOR)) * 2048, -32767, 32767)
                q[:, cols] = np.where((v > 0) & ~nan, c, ZERO_CODE)
            elif kind == "logfreq":
                c = _clip_round(np.log2(np.maximum(v, 1.0)) * 4096 - 32767, -32767, 32767)
                q[:, cols] = np.where((v > 0) & ~nan, c, ZERO_CODE)
            elif kind == "index":
                q[:, cols] = np.where(nan, 0, _clip_round(v, -32768, 32767))
            else:
                q[:, cols] = np.where(nan, 0, _clip_round(v * 16384, -32768, 32767))
    return q.astype(np.int16)


def dequantize(q, kinds) -> np.ndarray:
    """int16 codes → float64 (ticks × channels); the values the voice and face are fed."""
    q = np.asarray(q)
    if q.ndim == 1:
        q = q[None, :]
    if q.dtype != np.int16 or q.ndim != 2:
        raise PsigraphError(f"expected an int16 (ticks, channels) array, got {q.dtype} {q.shape}",
                            where="memory.codec")
    kinds = _check_kinds(kinds, q.shape[1])
    out = np.empty(q.shape, dtype=np.float64)
    for kind, cols in _groups(kinds).items():
        out[:, cols] = _table(kind)[q[:, cols].astype(np.int64) + 32768]
    return out


_TABLES: dict = {}


def _table(kind: str) -> np.ndarray:
    """The float64 value of each of the 65536 codes of a kind (built once): dequantising is a lookup."""
    t = _TABLES.get(kind)
    if t is None:
        c = np.arange(-32768, 32768, dtype=np.int64)
        with np.errstate(over="ignore"):
            if kind == "phase":
                t = np.mod(c, 65536) * (TWO_PI / 65536)
            elif kind == "logamp":
                t = np.where(c == ZERO_CODE, 0.0, np.exp(c / 2048.0))
            elif kind == "logfreq":
                t = np.where(c == ZERO_CODE, 0.0, np.exp2((c + 32767) / 4096.0))
            elif kind == "index":
                t = c.astype(np.float64)
            else:
                t = c / 16384.0
        _TABLES[kind] = t
    return t


def roundtrip(x, kinds) -> np.ndarray:
    """``dequantize(quantize(x, kinds), kinds)``: what the recorder passes downstream."""
    return dequantize(quantize(x, kinds), kinds)


# ------------------------------------------------------------------ residuals (numpy, exact)
def _wrap(v: np.ndarray) -> np.ndarray:
    """int64 → the int16 value congruent modulo 2^16."""
    return ((v + 32768) & 0xFFFF) - 32768


def _time_residual(col: np.ndarray, order: int, t0: int = 0) -> np.ndarray:
    """Residual of an int64 column under the order-``order`` predictor (warm-up: lower orders)."""
    r = col.copy()
    if order >= 1 and len(col) > 1:
        r[1:] = col[1:] - col[:-1]
    if order == 2 and len(col) > 2:
        r[2:] = col[2:] - 2 * col[1:-1] + col[:-2]
    return _wrap(r)


def _zigzag(e: np.ndarray) -> np.ndarray:
    e = _wrap(e)
    return ((e << 1) ^ (e >> 15)) & 0xFFFF


# ------------------------------------------------------------------ Rice kernels
@njit
def _rice_k(a, n):
    k = 0
    while (n << k) < a and k < 15:
        k += 1
    return k


@njit
def _rice_cost(u, bounds, use_flag, a0, reset, lim):
    """Bits the adaptive Rice coder spends on one channel (zigzagged residuals ``u``)."""
    a = a0
    n = 1
    bits = 0
    for f in range(len(bounds) - 1):
        s = bounds[f]
        e = bounds[f + 1]
        if use_flag:
            bits += 1
            nz = False
            for t in range(s, e):
                if u[t] != 0:
                    nz = True
                    break
            if not nz:
                continue
        for t in range(s, e):
            v = u[t]
            k = _rice_k(a, n)
            q = v >> k
            if q < lim:
                bits += q + 1 + k
            else:
                bits += lim + 16
            a += v
            n += 1
            if n >= reset:
                a >>= 1
                n >>= 1
    return bits


@njit
def _put(out, pos, value, nbits):
    for i in range(nbits - 1, -1, -1):
        if (value >> i) & 1:
            out[pos >> 3] |= np.uint8(1 << (7 - (pos & 7)))
        pos += 1
    return pos


@njit
def _rice_encode(U, bounds, use_flag, skip, a0, reset, lim, out, offs):
    """Write every frame's payload (byte-aligned) into ``out``; ``offs[f]`` = byte start of frame f."""
    C = U.shape[1]
    a = np.full(C, a0, dtype=np.int64)
    n = np.ones(C, dtype=np.int64)
    pos = 0
    for f in range(len(bounds) - 1):
        offs[f] = pos >> 3
        s = bounds[f]
        e = bounds[f + 1]
        for c in range(C):
            if skip[c]:
                continue
            if use_flag[c]:
                nz = False
                for t in range(s, e):
                    if U[t, c] != 0:
                        nz = True
                        break
                pos = _put(out, pos, 1 if nz else 0, 1)
                if not nz:
                    continue
            for t in range(s, e):
                v = np.int64(U[t, c])
                k = _rice_k(a[c], n[c])
                q = v >> k
                if q < lim:
                    for _ in range(q):
                        pos = _put(out, pos, 1, 1)
                    pos = _put(out, pos, 0, 1)
                    pos = _put(out, pos, v & ((1 << k) - 1), k)
                else:
                    for _ in range(lim):
                        pos = _put(out, pos, 1, 1)
                    pos = _put(out, pos, v, 16)
                a[c] += v
                n[c] += 1
                if n[c] >= reset:
                    a[c] >>= 1
                    n[c] >>= 1
        pos = (pos + 7) & ~7
    offs[len(bounds) - 1] = pos >> 3


@njit
def _get(buf, pos, nbits, total):
    """(value, new pos) reading ``nbits`` MSB-first; pos = -1 when past the end."""
    if pos + nbits > total:
        return 0, -1
    v = 0
    for _ in range(nbits):
        v = (v << 1) | ((np.int64(buf[pos >> 3]) >> (7 - (pos & 7))) & 1)
        pos += 1
    return v, pos


@njit
def _wrap16(v):
    return ((v + 32768) & 0xFFFF) - 32768


@njit
def _rice_decode_frame(buf, ticks, order, xc, use_flag, const, cval, q1, q2, a, n, t_global, a0, reset, lim,
                       out):
    """Decode one frame into ``out`` (ticks × C, int16), updating the per-channel state in place.
    Returns the bits consumed, or -1 when the payload is too short."""
    C = out.shape[1]
    total = buf.shape[0] * 8
    pos = 0
    rprev = np.zeros(ticks, dtype=np.int64)
    rcur = np.zeros(ticks, dtype=np.int64)
    for c in range(C):
        coded = not const[c]
        if coded and use_flag[c]:
            bit, pos = _get(buf, pos, 1, total)
            if pos < 0:
                return -1
            coded = bit == 1
        for t in range(ticks):
            tg = t_global + t
            o = 1 if const[c] else order[c]
            if o == 0 or tg == 0:
                pred = 0
            elif o == 1 or tg == 1:
                pred = q1[c]
            else:
                pred = 2 * q1[c] - q2[c]
            if const[c]:
                q = np.int64(cval[c])
                r = _wrap16(q - pred)
            else:
                e = 0
                if coded:
                    k = _rice_k(a[c], n[c])
                    qq = 0
                    while qq < lim:
                        bit, pos = _get(buf, pos, 1, total)
                        if pos < 0:
                            return -1
                        if bit == 0:
                            break
                        qq += 1
                    if qq < lim:
                        low, pos = _get(buf, pos, k, total)
                        if pos < 0:
                            return -1
                        v = (qq << k) | low
                    else:
                        v, pos = _get(buf, pos, 16, total)
                        if pos < 0:
                            return -1
                    a[c] += v
                    n[c] += 1
                    if n[c] >= reset:
                        a[c] >>= 1
                        n[c] >>= 1
                    e = (v >> 1) ^ -(v & 1)
                r = _wrap16(e + rprev[t]) if (xc[c] and c > 0) else e
                q = _wrap16(pred + r)
            rcur[t] = r
            out[t, c] = q
            q2[c] = q1[c]
            q1[c] = q
        for t in range(ticks):
            rprev[t] = rcur[t]
    return pos


# ------------------------------------------------------------------ streams
def _varint(v: int) -> bytes:
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def _read_varint(blob: bytes, pos: int) -> tuple[int, int]:
    v, shift = 0, 0
    while True:
        if pos >= len(blob) or shift > 35:
            raise CodecError("truncated header")
        b = blob[pos]
        pos += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return v, pos


def _as_frames(frames) -> list[np.ndarray]:
    out = []
    for f in frames:
        a = np.asarray(f)
        if a.dtype != np.int16 or a.ndim != 2:
            raise PsigraphError(f"a frame must be an int16 (ticks, channels) array, got {a.dtype} {a.shape}",
                                where="memory.codec", hint="quantize(x, kinds) first")
        out.append(a)
    if out and len({a.shape[1] for a in out}) != 1:
        raise PsigraphError("frames of one stream must have the same number of channels",
                            where="memory.codec", got=str(sorted({a.shape[1] for a in out})))
    return out


def _choose_modes(Q: np.ndarray, bounds: np.ndarray):
    """Per channel: (mode byte fields) and the coded residuals U, by exact bit cost."""
    T, C = Q.shape
    order = np.zeros(C, dtype=np.int64)
    xc = np.zeros(C, dtype=np.bool_)
    flag = np.zeros(C, dtype=np.bool_)
    const = np.zeros(C, dtype=np.bool_)
    U = np.zeros((T, C), dtype=np.int64)
    prev_r = None
    for c in range(C):
        col = Q[:, c].astype(np.int64)
        if T == 0 or np.all(col == col[0]):
            const[c] = True
            r = _time_residual(col, 1)
        else:
            best = None
            for o in (2, 1, 0):
                r_o = _time_residual(col, o)
                for x in ((False, True) if prev_r is not None else (False,)):
                    u = _zigzag(r_o - prev_r if x else r_o)
                    for fl in (False, True):
                        cost = _rice_cost(u, bounds, fl, _A0, _RESET, _LIM)
                        if best is None or cost < best[0]:
                            best = (cost, o, x, fl, r_o, u)
            _, order[c], xc[c], flag[c], r, U[:, c] = best
        prev_r = r
    return order, xc, flag, const, U


def encode_frames(frames) -> list[bytes]:
    """Encode the int16 frames of one stream (an utterance's micro band); one blob per frame.

    Blob 0 carries the header; blob k decodes only after blobs 0..k-1 (a :class:`Decoder`)."""
    frames = _as_frames(frames)
    if not frames:
        return []
    C = frames[0].shape[1]
    Q = np.concatenate(frames, axis=0) if len(frames) > 1 else frames[0]
    bounds = np.zeros(len(frames) + 1, dtype=np.int64)
    bounds[1:] = np.cumsum([f.shape[0] for f in frames])
    order, xc, flag, const, U = _choose_modes(Q, bounds)
    out = np.zeros(Q.shape[0] * Q.shape[1] * 5 + 8 * len(frames) + 8, dtype=np.uint8)
    offs = np.zeros(len(frames) + 1, dtype=np.int64)
    _rice_encode(U, bounds, flag, const, _A0, _RESET, _LIM, out, offs)
    head = bytearray()
    head += _varint(C)
    for c in range(C):
        head.append(_MODE_CONST if const[c] else int(order[c]) | (4 if xc[c] else 0) | (8 if flag[c] else 0))
    for c in range(C):
        if const[c]:
            head += struct.pack("<h", int(Q[0, c]) if Q.shape[0] else 0)
    blobs = []
    for f, fr in enumerate(frames):
        ticks = fr.shape[0]
        first = (_START if f == 0 else 0) | (ticks if 0 < ticks < 0x80 else 0)
        tag = bytes([first]) + (b"" if 0 < ticks < 0x80 else _varint(ticks))
        blobs.append(tag + (bytes(head) if f == 0 else b"") + out[offs[f]:offs[f + 1]].tobytes())
    return blobs


class Decoder:
    """Decodes the blobs of one stream in order (blob 0 first); bit-exact inverse of encode_frames."""

    def __init__(self, channels: int | None = None):
        self.channels = channels
        self.header = False
        self.ticks_done = 0

    def decode(self, blob: bytes, ticks: int | None = None) -> np.ndarray:
        """The int16 (ticks × channels) frame of ``blob``; raises :class:`CodecError` if corrupt."""
        blob = bytes(blob)
        if not blob:
            raise CodecError("empty blob")
        first, pos = blob[0], 1
        n = first & 0x7F
        if n == 0:
            n, pos = _read_varint(blob, pos)
        if ticks is not None and n != ticks:
            raise CodecError(f"blob holds {n} ticks, expected {ticks}")
        if first & _START:
            if self.header:
                raise CodecError("a second stream header (frames out of order?)")
            pos = self._read_header(blob, pos)
        elif not self.header:
            raise CodecError("this frame continues a stream whose first frame was not decoded")
        if n * max(self.channels, 1) > _MAX_VALUES:
            raise CodecError(f"implausible frame size ({n} ticks x {self.channels} channels)")
        out = np.zeros((n, self.channels), dtype=np.int16)
        payload = np.frombuffer(blob, dtype=np.uint8, offset=pos)
        used = _rice_decode_frame(payload, n, self._order, self._xc, self._flag, self._const, self._cval,
                                  self._q1, self._q2, self._a, self._n, self.ticks_done, _A0, _RESET, _LIM, out)
        if used < 0:
            raise CodecError("truncated payload")
        if (used + 7) // 8 != len(payload):
            raise CodecError(f"{len(payload) - (used + 7) // 8} stray bytes after the payload")
        self.ticks_done += n
        return out

    def _read_header(self, blob: bytes, pos: int) -> int:
        C, pos = _read_varint(blob, pos)
        if self.channels is not None and C != self.channels:
            raise CodecError(f"blob holds {C} channels, expected {self.channels}")
        if pos + C > len(blob):
            raise CodecError("truncated header")
        modes = np.frombuffer(blob, dtype=np.uint8, count=C, offset=pos).astype(np.int64)
        pos += C
        if np.any(modes > 15) or np.any(((modes & 3) == _MODE_CONST) & (modes != _MODE_CONST)):
            raise CodecError("bad channel modes")
        self.channels = C
        self._const = (modes & 3) == _MODE_CONST
        self._order = np.where(self._const, 1, modes & 3)
        self._xc = (modes & 4) != 0
        self._flag = (modes & 8) != 0
        nconst = int(self._const.sum())
        if pos + 2 * nconst > len(blob):
            raise CodecError("truncated header")
        self._cval = np.zeros(C, dtype=np.int64)
        self._cval[self._const] = np.frombuffer(blob, dtype="<i2", count=nconst, offset=pos)
        pos += 2 * nconst
        self._q1 = np.zeros(C, dtype=np.int64)
        self._q2 = np.zeros(C, dtype=np.int64)
        self._a = np.full(C, _A0, dtype=np.int64)
        self._n = np.ones(C, dtype=np.int64)
        self.header = True
        return pos


def encode(q) -> bytes:
    """One self-contained blob for an int16 (ticks × channels) array (a stream of one frame)."""
    q = np.asarray(q)
    if q.dtype != np.int16 or q.ndim != 2:
        raise PsigraphError(f"encode needs an int16 (ticks, channels) array, got {q.dtype} {q.shape}",
                            where="memory.codec", hint="quantize(x, kinds) first")
    return encode_frames([q])[0]


def decode(blob: bytes, ticks: int, channels: int) -> np.ndarray:
    """Bit-exact inverse of :func:`encode` (or of blob 0 of a stream)."""
    blob = bytes(blob)
    if not blob or not blob[0] & _START:
        raise CodecError("not a self-contained blob (a continuation frame needs a Decoder)")
    return Decoder(channels).decode(blob, ticks)


# ------------------------------------------------------------------ meso / macro payloads
_F32, _F32_ZSTD = 0x10, 0x11


def pack_floats(data) -> bytes:
    """A real (rows × cols) array as float32, zstd-compressed when that is smaller."""
    import zstandard
    a = np.asarray(data, dtype=np.float64)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2:
        raise PsigraphError(f"expected a 1-D or 2-D array, got shape {a.shape}", where="memory.codec")
    raw = a.astype("<f4").tobytes()
    head = _varint(a.shape[0]) + _varint(a.shape[1])
    packed = zstandard.ZstdCompressor(level=19).compress(raw) if raw else b""
    if raw and len(packed) < len(raw):
        return bytes([_F32_ZSTD]) + head + packed
    return bytes([_F32]) + head + raw


def unpack_floats(blob: bytes) -> np.ndarray:
    """Inverse of :func:`pack_floats` (float64 rows × cols)."""
    import zstandard
    blob = bytes(blob)
    if not blob or blob[0] not in (_F32, _F32_ZSTD):
        raise CodecError("not a float payload")
    rows, pos = _read_varint(blob, 1)
    cols, pos = _read_varint(blob, pos)
    body = blob[pos:]
    if blob[0] == _F32_ZSTD:
        try:
            body = zstandard.ZstdDecompressor().decompress(body, max_output_size=rows * cols * 4)
        except zstandard.ZstdError as e:
            raise CodecError(f"zstd: {e}") from None
    if len(body) != rows * cols * 4:
        raise CodecError(f"payload holds {len(body)} bytes, expected {rows * cols * 4}")
    return np.frombuffer(body, dtype="<f4").astype(np.float64).reshape(rows, cols)


# ------------------------------------------------------------------ integrity
def crc(uttr_hash: bytes, ts_ms: int, band: int, blob: bytes, *, duration_ms: int | None = None,
        emo_vec: bytes | None = None) -> int:
    """CRC-32 (unsigned) of a psi_frames row: hash, start (int64 LE), band, blob [, duration, emo_vec]."""
    c = zlib.crc32(bytes(uttr_hash))
    c = zlib.crc32(struct.pack("<qB", int(ts_ms), int(band)), c)
    c = zlib.crc32(bytes(blob), c)
    if duration_ms is not None:
        c = zlib.crc32(struct.pack("<i", int(duration_ms)), c)
    if emo_vec is not None:
        c = zlib.crc32(bytes(emo_vec), c)
    return c & 0xFFFFFFFF
