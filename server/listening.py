"""A `listen` stream: the client's microphone PCM drives the listening graph (graphs/listen.yaml).

The graph is configured as `psigraph listen` configures it, with its audio source live (``path: ''``)
and fed from a ring buffer that the client's audio chunks fill. Each chunk advances the Session by
exactly its length, so the graph never runs ahead of what was heard (no under-runs) and the results
do not depend on how the client cuts its audio. What comes back: the listening face (frames) and the
listening events (``syllable_onset``, ``phrase_boundary``, ``turn_end_predicted``, ``surprise``, the
face's ``reaction``s), stamped with master sample indices of the client's audio.
"""
from __future__ import annotations

import functools

import numpy as np

from psigraph import chain, wire
from psigraph.errors import PsigraphError

from .speak import FaceStream

#: audio a client may send ahead of the graph (master samples at 24 kHz: 4 s)
RING_SECONDS = 4.0


@functools.lru_cache(maxsize=1)
def _template():
    """The listening graph with a live source and no sinks (validated once)."""
    from psigraph.runtime import listen, say

    import psigraph
    g = psigraph.load(listen.default_graph_path())
    found = say.parts(g)
    for nid in found.get(chain.AUDIO_SOURCE, []):
        g.set_param(nid, "path", "")
    say.validate(g)
    return g


class Listening(FaceStream):
    """``start_fields()``, then ``feed(pcm16 bytes)`` per client chunk, then ``close()``."""

    def __init__(self):
        from psigraph.runtime import Session, listen, say
        from psigraph.runtime.realtime import RingBuffer
        g = _template().copy()
        found = say.parts(g)
        source = found[chain.AUDIO_SOURCE][0]
        s = Session(g, block=480)
        aspec = s.node(source).out_specs["audio"]
        super().__init__(s, found[chain.FACE][0], listen.event_outputs(g, found), aspec)
        self.ring = RingBuffer(int(RING_SECONDS * aspec.rate_hz))
        s.node(source).attach(self.ring)

    def start_fields(self) -> dict:
        return {**super().start_fields(), "mode": "listen"}

    def feed(self, index: int, pcm: bytes, sid) -> list:
        """One client audio chunk (PCM16 at ``sample_rate``, first sample at master ``index``) → the
        frames and events of the span it covers."""
        expected = self.samples * self.audio_period
        if index != expected:
            raise PsigraphError(f"audio chunk at master index {index}, expected {expected} (chunks are "
                                "contiguous from 0)", where="listen", code="listen.gap")
        x = np.frombuffer(pcm, "<i2").astype(np.float32)[:, None] / 32768.0
        if len(x) > self.ring.capacity:
            raise PsigraphError(f"audio chunk of {len(x)} samples is longer than {RING_SECONDS:g} s",
                                where="listen", hint="send shorter chunks (10-100 ms)", code="listen.chunk")
        self.ring.write(x)
        got = self.session.advance(len(x) * self.audio_period)
        self.samples += len(x)
        return self._messages(got, sid)


def check_chunk(data: bytes) -> wire.Audio:
    """A client binary message for `listen`: an audio chunk (kind 1)."""
    item = wire.unpack_binary(data)
    if not isinstance(item, wire.Audio):
        raise wire.WireError("a client sends only audio chunks (kind 1) while listening", where="listen")
    return item
