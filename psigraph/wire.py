"""The wire format of `psigraph serve` (docs/SERVER.md): messages, binary chunks, saved streams.

Shared by the server (psigraph.server) and the Python client (psigraph.client); no networking here.

* **Text messages** are JSON objects with a ``type``. Client → server: ``say`` {text, id?, emotion?,
  persona?, like?}, ``cancel`` {id?}, ``listen``, ``bye``. Server → client: ``start`` {id, sample_rate,
  frame_rate, master_rate, blendshapes, …}, ``event`` {id, kind, index, payload?}, ``end`` {id, samples,
  frames, reason}, ``error`` {message, id?, code}.
* **Binary messages**: 1 byte kind (:data:`AUDIO` = PCM16 mono little-endian, :data:`FRAME` = one
  blendshape frame as float16 in the ``start`` order), 8 bytes little-endian master sample index of the
  first sample / the frame, then the payload.
* **Saved streams** (:func:`dump_stream` / :func:`load_stream`): the messages of a connection in order,
  each as 1 byte (0 text, 1 binary), 4 bytes little-endian length, payload — replayable in tests.
"""
from __future__ import annotations

import json
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from psigraph.errors import PsigraphError

__all__ = [
    "AUDIO",
    "FRAME",
    "HEADER",
    "Audio",
    "Bye",
    "Cancel",
    "End",
    "Error",
    "Event",
    "Frame",
    "Listen",
    "Say",
    "Start",
    "Utterance",
    "WireError",
    "assemble",
    "dump_stream",
    "load_stream",
    "message",
    "pack_audio",
    "pack_frame",
    "parse_client",
    "parse_server",
    "pcm16",
    "unpack_binary",
]

PROTOCOL = 1
AUDIO, FRAME = 1, 2
HEADER = struct.Struct("<BQ")              # kind, master sample index
MAX_MESSAGE_BYTES = 64 * 1024             # a client text message larger than this gets an error
MAX_TEXT_CHARS = 20_000                   # characters of one `say`
MAX_ID_CHARS = 64
MAX_LIKE = 2
CLIENT_TYPES = ("say", "cancel", "listen", "bye")
_SAY_KEYS = {"type", "text", "id", "emotion", "persona", "like"}
_LOG = struct.Struct("<BI")
#: where `psigraph serve` writes its token unless told otherwise (hosts read it there)
TOKEN_ENV = "PSIGRAPH_TOKEN"


def default_token_file() -> str:
    """$XDG_RUNTIME_DIR/psigraph/serve.token, else ~/.cache/psigraph/serve.token."""
    import os
    base = os.environ.get("XDG_RUNTIME_DIR") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "psigraph", "serve.token")


class WireError(PsigraphError):
    """A message that does not follow the wire contract (answered with an ``error`` message)."""

    code = "wire.invalid"


# ---------------------------------------------------------------- client → server
@dataclass(frozen=True)
class Say:
    text: str
    id: str | int | None = None
    emotion: str | None = None
    persona: str | None = None
    like: tuple = ()


@dataclass(frozen=True)
class Cancel:
    id: str | int | None = None          # None: the current stream and every queued one


@dataclass(frozen=True)
class Listen:
    id: str | int | None = None


@dataclass(frozen=True)
class Bye:
    pass


def _bad(msg: str, hint: str = "") -> WireError:
    return WireError(msg, where="message", hint=hint or "see docs/SERVER.md")


def _check_id(v, what: str = "id"):
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (str, int)):
        raise _bad(f"'{what}' must be a string or an integer (got {type(v).__name__})")
    if isinstance(v, int) and not -2 ** 53 < v < 2 ** 53:
        raise _bad(f"'{what}' is out of range (|id| < 2^53)")
    if isinstance(v, str) and not (0 < len(v) <= MAX_ID_CHARS and v.isprintable()):
        raise _bad(f"'{what}' must be 1-{MAX_ID_CHARS} printable characters")
    return v


def _opt_str(obj: dict, key: str, limit: int = 200):
    v = obj.get(key)
    if v is None:
        return None
    if not isinstance(v, str):
        raise _bad(f"'{key}' must be a string (got {type(v).__name__})")
    if len(v) > limit or not v.isprintable():
        raise _bad(f"'{key}' must be at most {limit} printable characters")
    return v


def _emotion(obj: dict):
    v = obj.get("emotion")
    if isinstance(v, list):                # [v, a, d] → "v,a,d" (the form `say --emotion` takes)
        if len(v) != 3 or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
            raise _bad("'emotion' as a list must be three numbers [valence, arousal, dominance]")
        if not all(np.isfinite(x) and -1.0 <= x <= 1.0 for x in v):
            raise _bad("'emotion' values must be in -1..1")
        return ",".join(repr(float(x)) for x in v)
    return _opt_str(obj, "emotion", 64)


def _like(obj: dict) -> tuple:
    v = obj.get("like")
    if v is None:
        return ()
    items = v if isinstance(v, list) else [v]
    if len(items) > MAX_LIKE:
        raise _bad(f"'like' holds at most {MAX_LIKE} stored utterances (got {len(items)})")
    out = []
    for x in items:
        if isinstance(x, bool) or not isinstance(x, (int, str)):
            raise _bad("'like' items are utterance ids (integers) or texts said before (strings)")
        if isinstance(x, int) and not 1 <= x < 2 ** 63:
            raise _bad(f"'like': an utterance id is >= 1 (got {x})")
        if isinstance(x, str) and not (x.strip() and len(x) <= MAX_TEXT_CHARS):
            raise _bad("'like': a text must be non-empty and at most "
                       f"{MAX_TEXT_CHARS} characters")
        out.append(x)
    return tuple(out)


def parse_client(data: str | bytes) -> Say | Cancel | Listen | Bye:
    """A client text message → its typed form; :class:`WireError` (one line) for anything else."""
    if isinstance(data, (bytes, bytearray)):
        raise _bad("a binary message from a client is microphone audio, taken only while a 'listen' stream "
                   "is the current one", hint="send {\"type\": \"listen\"} first, or JSON text messages")
    if len(data) > MAX_MESSAGE_BYTES:
        raise _bad(f"message too large ({len(data)} characters; at most {MAX_MESSAGE_BYTES})",
                   hint="split long texts into several 'say' messages")
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError) as e:
        raise _bad(f"not JSON ({str(e)[:80]})") from None
    if not isinstance(obj, dict):
        raise _bad(f"a message is a JSON object with a 'type' (got {type(obj).__name__})")
    kind = obj.get("type")
    if kind not in CLIENT_TYPES:
        shown = repr(kind)[:40] if isinstance(kind, (str, int, float)) or kind is None else type(kind).__name__
        raise _bad(f"unknown message type {shown}", hint=f"use one of {', '.join(CLIENT_TYPES)}")
    if kind == "say":
        extra = sorted(set(obj) - _SAY_KEYS)
        if extra:
            raise _bad(f"'say' has no field {str(extra[0])[:40]!r}", hint=f"fields: {', '.join(sorted(_SAY_KEYS))}")
        text = obj.get("text")
        if not isinstance(text, str):
            raise _bad(f"'say' needs 'text', a string (got {type(text).__name__})")
        if not text.strip():
            raise _bad("'text' is empty", hint="give at least one word, number or letter")
        if len(text) > MAX_TEXT_CHARS:
            raise _bad(f"'text' is too long ({len(text)} characters; at most {MAX_TEXT_CHARS})",
                       hint="split it into several 'say' messages")
        if "\x00" in text:
            raise _bad("'text' contains a NUL character")
        return Say(text=text, id=_check_id(obj.get("id")), emotion=_emotion(obj),
                   persona=_opt_str(obj, "persona", 64), like=_like(obj))
    allowed = {"type", "id"} if kind in ("cancel", "listen") else {"type"}
    extra = sorted(set(obj) - allowed)
    if extra:
        raise _bad(f"'{kind}' has no field {str(extra[0])[:40]!r}")
    if kind == "cancel":
        return Cancel(_check_id(obj.get("id")))
    return Listen(_check_id(obj.get("id"))) if kind == "listen" else Bye()


# ---------------------------------------------------------------- server → client
@dataclass(frozen=True)
class Start:
    id: Any
    sample_rate: int
    frame_rate: float
    master_rate: int
    blendshapes: tuple
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Audio:
    index: int                 # master sample index of the first sample
    pcm: np.ndarray            # int16 samples


@dataclass(frozen=True)
class Frame:
    index: int                 # master sample index of the frame
    values: np.ndarray         # float16, in the start message's blendshape order


@dataclass(frozen=True)
class Event:
    id: Any
    kind: str
    index: int
    payload: Any = None


@dataclass(frozen=True)
class End:
    id: Any
    samples: int
    frames: int
    reason: str = "done"


@dataclass(frozen=True)
class Error:
    message: str
    id: Any = None
    code: str = ""


def message(type_: str, **fields) -> str:
    """A server text message (compact JSON)."""
    return json.dumps({"type": type_, **fields}, separators=(",", ":"), allow_nan=False)


def pcm16(x) -> bytes:
    """Float audio in [-1, 1] → PCM16 little-endian bytes, rounded as the WAV sink rounds."""
    return (np.clip(np.asarray(x, dtype=np.float64), -1.0, 1.0) * 32767.0).round().astype("<i2").tobytes()


def pack_audio(index: int, pcm: bytes) -> bytes:
    return HEADER.pack(AUDIO, int(index)) + pcm


def pack_frame(index: int, values) -> bytes:
    return HEADER.pack(FRAME, int(index)) + np.asarray(values).astype("<f2").tobytes()


def unpack_binary(data: bytes) -> Audio | Frame:
    """A binary server message → :class:`Audio` or :class:`Frame`."""
    if len(data) < HEADER.size:
        raise _bad(f"binary message of {len(data)} bytes is shorter than its {HEADER.size}-byte header")
    kind, index = HEADER.unpack_from(data)
    body = bytes(data[HEADER.size:])
    if len(body) % 2:
        raise _bad("binary payload has an odd number of bytes")
    if kind == AUDIO:
        return Audio(index, np.frombuffer(body, "<i2"))
    if kind == FRAME:
        return Frame(index, np.frombuffer(body, "<f2"))
    raise _bad(f"unknown binary kind {kind}")


def parse_server(data: str | bytes):
    """A server message (text or binary) → Start, Audio, Frame, Event, End or Error."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return unpack_binary(bytes(data))
    obj = json.loads(data)
    t = obj.get("type")
    if t == "start":
        known = {"type", "id", "sample_rate", "frame_rate", "master_rate", "blendshapes"}
        return Start(obj["id"], int(obj["sample_rate"]), float(obj["frame_rate"]), int(obj["master_rate"]),
                     tuple(obj["blendshapes"]), {k: v for k, v in obj.items() if k not in known})
    if t == "event":
        return Event(obj.get("id"), obj["kind"], int(obj["index"]), obj.get("payload"))
    if t == "end":
        return End(obj.get("id"), int(obj["samples"]), int(obj["frames"]), obj.get("reason", "done"))
    if t == "error":
        return Error(str(obj["message"]), obj.get("id"), obj.get("code", ""))
    raise _bad(f"unknown server message type {t!r}")


# ---------------------------------------------------------------- streams as files
def dump_stream(messages: Iterable[str | bytes]) -> bytes:
    """Messages (text or binary, in order) → one blob (see the module doc)."""
    out = bytearray()
    for m in messages:
        binary = isinstance(m, (bytes, bytearray, memoryview))
        body = bytes(m) if binary else m.encode("utf-8")
        out += _LOG.pack(int(binary), len(body)) + body
    return bytes(out)


def load_stream(blob: bytes) -> Iterator[str | bytes]:
    """The messages of a :func:`dump_stream` blob, in order."""
    pos = 0
    while pos < len(blob):
        if pos + _LOG.size > len(blob):
            raise _bad("saved stream is truncated (partial record header)")
        binary, n = _LOG.unpack_from(blob, pos)
        pos += _LOG.size
        body = blob[pos:pos + n]
        if len(body) != n:
            raise _bad("saved stream is truncated (partial record)")
        pos += n
        yield bytes(body) if binary else body.decode("utf-8")


@dataclass
class Utterance:
    """One `say` stream put together: its header, PCM16 audio, float16 frames, events and end."""

    start: Start | None = None
    audio: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    frames: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float16))
    frame_index: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    events: list = field(default_factory=list)
    end: End | None = None


def assemble(items: Iterable) -> Utterance:
    """Parsed items of one stream → an :class:`Utterance`; checks that chunks are contiguous."""
    u = Utterance()
    pcm, rows, idx = [], [], []
    next_audio = 0
    for it in items:
        if isinstance(it, (str, bytes, bytearray)):
            it = parse_server(it)
        if isinstance(it, Start):
            u.start = it
        elif isinstance(it, Audio):
            if it.index != next_audio:
                raise _bad(f"audio chunk at {it.index}, expected {next_audio} (a gap or overlap)")
            next_audio += len(it.pcm)
            pcm.append(it.pcm)
        elif isinstance(it, Frame):
            rows.append(it.values)
            idx.append(it.index)
        elif isinstance(it, Event):
            u.events.append(it)
        elif isinstance(it, End):
            u.end = it
        elif isinstance(it, Error):
            raise PsigraphError(it.message, code=it.code or "server.error")
    if pcm:
        u.audio = np.concatenate(pcm)
    if rows:
        u.frames = np.vstack(rows)
        u.frame_index = np.asarray(idx, np.int64)
    return u
