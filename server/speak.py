"""One `say` as a stream of wire messages: the say graph, run block by block through ``Session.advance``.

:func:`build_graph` configures the speak graph exactly as `psigraph say` does (through the say API,
``SayOptions`` + ``build_say_graph``), keeps the voice and the face but no file sinks, so the audio is
the PCM `say` writes. :class:`Synth` owns the Session; :meth:`Synth.step` advances it by one block (on
a worker thread) and returns the block's messages: events, then frames, then audio — every frame
reaches the client with or ahead of the audio it belongs to.
"""
from __future__ import annotations

import functools
import threading
from dataclasses import dataclass

from psigraph import chain, wire
from psigraph.errors import PsigraphError

#: first blocks are small so the first audio leaves quickly; then the steady block (master samples)
FIRST_BLOCKS = (480, 960, 1920)
#: the recorder and the mood are written to one SQLite store: one writer at a time
_STORE_LOCK = threading.Lock()


@dataclass(frozen=True)
class Request:
    """What one `say` asks for, checked (names only: no path reaches the graph)."""

    text: str
    emotion: str = "auto"
    persona: str = "default"
    like: tuple = ()
    db: str | None = None
    key_file: str | None = None


def check_persona(name: str) -> str:
    """A shipped persona name (a path or YAML file from a client is refused)."""
    from psigraph.nodes.speech.frontend import list_personas
    names = list_personas()
    if name not in names:
        raise PsigraphError(f"unknown persona {name[:64]!r}", where="say.persona",
                            hint=f"use one of {', '.join(names)}")
    return name


def request_from(msg: wire.Say, *, db: str | None = None, key_file: str | None = None) -> Request:
    """The :class:`Request` of a parsed ``say`` message (the store comes from the server, never the client)."""
    if msg.like and not db:
        raise PsigraphError("'like' needs a server started with --db STORE", where="say.like")
    if msg.like and msg.emotion not in (None, "auto"):
        raise PsigraphError("'emotion' and 'like' both set how it is said; give one of them", where="say")
    return Request(text=msg.text, emotion=msg.emotion or "auto", persona=check_persona(msg.persona or "default"),
                   like=tuple(msg.like), db=db, key_file=key_file)


def build_graph(req: Request):
    """The say graph for ``req`` with voice and face and no file sinks (validated).

    The graph is built once per way of speaking (persona, store, tone) exactly as `psigraph say`
    builds it, and copied for each text: the text and emotion are set on the copy by ROLE."""
    from psigraph.runtime import say
    template = _template(req.persona, req.db, req.key_file, req.like, req.emotion if req.db else None)
    g = template.copy()
    found = say.parts(g)
    g.set_param(found[chain.TEXT_INPUT][0], "text", req.text)
    g.set_param(found[chain.PROSODY][0], "emotion", req.emotion)
    say.validate(g)
    return g


@functools.lru_cache(maxsize=16)
def _template(persona: str, db, key_file, like: tuple, emotion):
    """The say graph of one way of speaking, with a placeholder text (not validated)."""
    from psigraph.runtime import say
    mood = bool(db) and (emotion or "auto") == "auto" and not like     # as `say --db` does by default
    text, emotion = "template", emotion or "auto"
    if hasattr(say, "SayOptions") and hasattr(say, "build_say_graph"):
        opts = say.SayOptions(text=text, output=None, emotion=emotion, persona=persona, frames="frames.jsonl",
                              db=db, key_file=key_file, like=like, mood=mood)
        say.check_options(opts)
        g = say.build_say_graph(opts)
    else:                                          # older say.py: arguments as a namespace
        import argparse
        args = argparse.Namespace(text=text, text_file=None, output="out.wav", emotion=emotion, persona=persona,
                                  rate=1.0, frames="frames.jsonl", video=None, size=640, graph=None, seed=None,
                                  db=db, key_file=key_file, keep_text=False, like_refs=list(like), mix=None,
                                  mood=mood)
        g = say.build_graph(args, text)
    found = say.parts(g)
    for part in (chain.AUDIO_FILE, chain.FRAMES_FILE):
        for nid in found.get(part, []):
            g.remove_node(nid)
    return g


class FaceStream:
    """What `say` and `listen` streams share: a Session whose face frames (and events) become wire
    messages; ``close()`` publishes what the session recorded (--db), ``abort()`` drops it. Not
    thread-safe: one call at a time (from any thread)."""

    def __init__(self, session, face: str, event_refs=(), audio_spec=None):
        self.session = s = session
        self._frames = s.watch(f"{face}.blendshapes")
        self._events = [s.watch(r) for r in event_refs]
        fspec = s.node(face).out_specs["blendshapes"]
        self.audio_period, self.sample_rate = audio_spec.period, audio_spec.rate_hz
        self.frame_period, self.frame_rate = fspec.period, fspec.rate_hz
        self.labels = tuple(fspec.labels)
        self._viseme_col = self.labels.index("viseme") if "viseme" in self.labels else None
        self._last_viseme = None
        self.samples = self.frames = 0
        self.done = False

    @property
    def now(self) -> int:
        """Master samples processed so far."""
        return self.session.now

    def start_fields(self) -> dict:
        sr = self.sample_rate
        return {"sample_rate": int(sr) if float(sr).is_integer() else sr, "frame_rate": self.frame_rate,
                "master_rate": int(self.session.master_rate), "blendshapes": list(self.labels),
                "audio_period": self.audio_period, "frame_period": self.frame_period,
                "time_base": "master samples from the start of this stream", "protocol": wire.PROTOCOL}

    def _messages(self, got: dict, sid) -> list:
        """One block's events (sorted by time) and frames (with viseme changes) as wire messages."""
        out = []
        evs = sorted((e for ref in self._events for e in got[ref]), key=lambda e: e.t)
        for e in evs:
            out.append(wire.message("event", id=sid, kind=e.kind, index=int(e.t), payload=_jsonable(e.payload)))
        for row in got[self._frames]:
            index = self.frames * self.frame_period
            if self._viseme_col is not None:
                vis = _viseme(row[self._viseme_col])
                if vis != self._last_viseme:
                    self._last_viseme = vis
                    out.append(wire.message("event", id=sid, kind=chain.VISEME, index=index,
                                            payload={"viseme": vis}))
            out.append(wire.pack_frame(index, row))
            self.frames += 1
        return out

    def close(self) -> None:
        """Finish the session: a --db recording is committed (one store writer at a time)."""
        with _STORE_LOCK:
            self.session.close()

    def abort(self) -> None:
        self.session.abort()


class Synth(FaceStream):
    """A running `say`: ``start_fields()``, then ``step()`` until ``done``, then ``close()``."""

    def __init__(self, req: Request, block: int = 2400):
        from psigraph.runtime import Session
        from psigraph.runtime.graph_parts import parts
        g = build_graph(req)
        found = parts(g)
        s = Session(g, block=FIRST_BLOCKS[0])
        voice = found[chain.VOICE][0]
        events = [f"{e}.events" for e in found.get(chain.EVENTS, [])[:1]]
        super().__init__(s, found[chain.FACE][0], events, s.node(voice).out_specs["audio"])
        self.block = int(block)
        self._audio = s.watch(f"{voice}.audio")
        self._steps = 0
        self._blocks = s.until_done(max_duration=None)

    def step(self, sid) -> list:
        """Advance one block; its messages (event texts, frame and audio binaries) in sending order."""
        s = self.session
        s.block = FIRST_BLOCKS[self._steps] if self._steps < len(FIRST_BLOCKS) else self.block
        self._steps += 1
        try:
            got = next(self._blocks)
        except StopIteration:
            self.done = True
            return []
        out = self._messages(got, sid)
        audio = got[self._audio]
        if len(audio):
            out.append(wire.pack_audio(self.samples * self.audio_period, wire.pcm16(audio[:, 0])))
            self.samples += len(audio)
        if s.done:
            self.done = True
        return out


def _viseme(value) -> str:
    from psigraph.nodes.face.arkit import viseme_name
    return viseme_name(value)


def _jsonable(v):
    """Event payloads as JSON values (numpy scalars and arrays become numbers and lists)."""
    import numpy as np
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return _jsonable(v.tolist())
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return str(v)


def warm_up() -> None:
    """Compile / load every kernel of the say graph once (a short sentence, run to the end)."""
    syn = Synth(Request(text="Hello."))
    try:
        while not syn.done:
            syn.step("warmup")
    finally:
        syn.abort()


def offline_reference(text: str, folder: str, *, emotion: str = "auto", persona: str = "default"):
    """What `psigraph say TEXT -o X.wav --frames X.jsonl` writes, for checking streams against it:
    (PCM int16 of the WAV, the frames records, and the blendshape rows of the same graph run in say's
    fixed blocks — the float64 values whose float16 the stream must carry bit for bit)."""
    import hashlib
    import os
    import wave

    import numpy as np
    from psigraph.nodes.face.jsonl import read_frames_jsonl
    from psigraph.runtime import Session
    from psigraph.runtime.cli import main
    base = os.path.join(folder, "ref-" + hashlib.sha1(f"{text}|{emotion}|{persona}".encode()).hexdigest()[:12])
    if main(["say", text, "-o", base + ".wav", "--frames", base + ".jsonl", "--emotion", emotion,
             "--persona", persona, "-q"]) != 0:
        raise PsigraphError(f"say failed for {text[:40]!r}")
    with wave.open(base + ".wav") as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2").copy()
    g = build_graph(Request(text=text, emotion=emotion, persona=persona))
    face = next(n for n, spec in g.nodes.items() if spec.type == "face_animator")
    with Session(g, block=4800) as s:
        tap = s.tap(f"{face}.blendshapes")
        s.run_until_done(max_duration=None)
        rows = np.asarray(tap.data)
    return pcm, read_frames_jsonl(base + ".jsonl"), rows
