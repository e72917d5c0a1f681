"""Listening node types (entry-point module): audio_source, listener, entrainment."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from psigraph import chain
from psigraph.errors import Issue, PsigraphError
from psigraph.node import Node
from psigraph.params import Params, param
from psigraph.ports import Out, Signal

from . import audio_io

__all__ = ["AudioSource", "AudioSourceParams"]


# ---------------------------------------------------------------- audio_source
class AudioSourceParams(Params):
    path: str = param("", doc="WAV/FLAC/OGG file to play into the graph (any rate: resampled to the audio "
                              "rate); '' = the live input device")
    device: str = param("", doc="input device name or index for live runs ('' = the default input)")
    gain: float = param(1.0, ge=0.0, le=100.0, doc="linear gain applied to the input")


@dataclass
class AudioSourceState:
    pos: int = 0                  # next audio tick to emit


class AudioSource(Node[AudioSourceParams]):
    """Audio from a sound file (resampled) or a live input device (through a ring buffer).

    A file source is finite: it is done once the file's last sample has been emitted, and emits
    silence after that. A device source reads the ring a live runner fills from the sound card
    (:meth:`attach`); missing frames become silence and are counted as under-runs (``ring.stats()``);
    without a ring (an offline run) it emits silence.
    """

    type_id = "audio_source"
    category = "source"
    ROLE = chain.AUDIO_SOURCE
    FINITE = True
    audio = Out(Signal, rate=chain.AUDIO, channels=1, labels=["audio"], doc="mono samples in [-1, 1]")

    def __init__(self, params=None, **kw):
        super().__init__(params, **kw)
        self.ring = None
        self.samples = None

    @classmethod
    def check(cls, params, inputs) -> list:
        if params.path:
            problem = audio_io.file_issue(params.path)
            if problem:
                return [Issue("params.path", problem, code="path.unreadable")]
        return []

    @property
    def live(self) -> bool:
        """True when the source is the input device (no file)."""
        return not self.params.path

    def attach(self, ring) -> None:
        """Read from ``ring`` (an :class:`~.audio_io.InputRing` a live runner fills; None = silence)."""
        self.ring = ring

    def reset(self):
        self.state = AudioSourceState()
        if not self.live and self.samples is None:
            try:
                self.samples = audio_io.read_mono(self.params.path, self.out_specs["audio"].rate_hz) * self.params.gain
            except Exception as e:  # noqa: BLE001 - the file changed after validation
                raise PsigraphError(f"cannot read {self.params.path!r}: {e}", where=f"{self.node_id}.path") from None

    def done(self) -> bool:
        return not self.live and self.state.pos >= len(self.samples)

    def end(self) -> int | None:
        if self.live:
            return None
        return len(self.samples) * self.out_specs["audio"].period

    def process(self):
        k0, n = self.ticks("audio")
        out = np.zeros((n, 1))
        if not n:
            return out
        if self.live:
            if self.ring is not None:
                out[:, 0] = self.ring.take(n) * self.params.gain
        else:
            a, b = min(k0, len(self.samples)), min(k0 + n, len(self.samples))
            out[:b - a, 0] = self.samples[a:b]
        self.state.pos = k0 + n
        return out
