"""Real-time running: a worker thread computes the graph ahead into a ring buffer;
the sound-card callback only copies from that buffer (and counts under-runs).

Heavy slow-rate nodes therefore never block the audio path: if the worker falls
behind, the callback plays silence and ``underruns`` goes up — visible, not hidden.
``SimulatedClock`` paces the callback without a sound card (tests, CI).
"""
from __future__ import annotations

import threading
import time

import numpy as np

from psigraph.errors import PsigraphError


class RingBuffer:
    """Single-producer / single-consumer ring of float32 frames (channels fixed)."""

    def __init__(self, capacity: int, channels: int = 1):
        self.buf = np.zeros((capacity, channels), dtype=np.float32)
        self.capacity = capacity
        self._w = 0          # total frames written
        self._r = 0          # total frames read
        self.underruns = 0   # callbacks that found fewer frames than asked
        self.missing = 0     # frames replaced by silence

    def space(self) -> int:
        return self.capacity - (self._w - self._r)

    def available(self) -> int:
        return self._w - self._r

    def write(self, x: np.ndarray) -> int:
        """Write as many frames as fit; returns the count written."""
        n = min(len(x), self.space())
        i = self._w % self.capacity
        first = min(n, self.capacity - i)
        self.buf[i:i + first] = x[:first]
        self.buf[: n - first] = x[first:n]
        self._w += n
        return n

    def read_into(self, out: np.ndarray) -> None:
        """Fill ``out`` (frames, channels); silence for whatever is missing (an under-run)."""
        want = len(out)
        n = min(want, self.available())
        i = self._r % self.capacity
        first = min(n, self.capacity - i)
        out[:first] = self.buf[i:i + first]
        out[first:n] = self.buf[: n - first]
        if n < want:
            out[n:] = 0
            self.underruns += 1
            self.missing += want - n
        self._r += n


class RealtimeRunner:
    """Drive a Session in real time, feeding the ring of every ``audio_sink`` node."""

    def __init__(self, session, ahead_s: float = 0.1, block: int | None = None):
        self.session = session
        self.block = int(block or session.block)
        sinks = [s.node for s in session.slots.values() if type(s.node).type_id == "audio_sink"]
        if not sinks:
            raise PsigraphError("the graph has no audio_sink node to play", hint="connect your audio to an audio_sink")
        self.sink = sinks[0]
        self.rate = int(self.sink.in_specs["x"].rate_hz)
        self.ring = RingBuffer(max(2 * self.block, int(ahead_s * self.rate) + self.block),
                               self.sink.in_specs["x"].channels)
        self.sink.ring = self.ring
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self.error: BaseException | None = None

    def _work(self) -> None:
        try:
            while not self._stop.is_set():
                if self.ring.space() >= self.block:
                    self.session.advance_to(self.session.now + self.block)
                else:
                    time.sleep(self.block / self.session.master_rate / 4)
        except BaseException as exc:   # surfaced by stop()
            self.error = exc

    def callback(self, outdata, frames, *_):
        """The audio-device callback: copy only."""
        self.ring.read_into(outdata)

    def start(self) -> None:
        """Pre-fill the ring (so the device starts with audio), then keep it full in a thread."""
        while self.ring.space() >= self.block:
            self.session.advance_to(self.session.now + self.block)
        self._worker = threading.Thread(target=self._work, name="psigraph-worker", daemon=True)
        self._worker.start()

    def stop(self) -> None:
        self._stop.set()
        if self._worker:
            self._worker.join(timeout=5)
        self.session.flush()
        if self.error:
            raise self.error

    def play(self, duration: float, device=None) -> dict:
        """Play ``duration`` seconds on the sound card; returns stats (under-runs, frames)."""
        try:
            import sounddevice as sd
        except (ImportError, OSError) as exc:
            raise PsigraphError(f"no sound output available ({exc})",
                                hint="install PortAudio (apt libportaudio2) or use `psigraph run` with a wav_sink") from None
        self.start()
        try:
            with sd.OutputStream(samplerate=self.rate, channels=self.ring.buf.shape[1], dtype="float32",
                                 blocksize=self.block, device=device, callback=self.callback):
                time.sleep(duration)
        except Exception as exc:
            self._stop.set()
            raise PsigraphError(f"cannot open the sound device: {exc}",
                                hint="check `python -m sounddevice`, or use `psigraph run` with a wav_sink") from None
        finally:
            self.stop()
        return self.stats()

    def stats(self) -> dict:
        return {"underruns": self.ring.underruns, "missing_frames": self.ring.missing,
                "graph_time_s": self.session.now / self.session.master_rate}


class SimulatedClock:
    """Calls a device callback at the device's pace in a thread (a sound card without hardware)."""

    def __init__(self, callback, rate: int, blocksize: int, channels: int = 1):
        self.callback, self.rate, self.blocksize, self.channels = callback, rate, blocksize, channels
        self.blocks: list[np.ndarray] = []

    def run(self, duration: float) -> np.ndarray:
        period = self.blocksize / self.rate
        start = time.perf_counter()
        for i in range(int(duration * self.rate / self.blocksize)):
            delay = start + i * period - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            out = np.zeros((self.blocksize, self.channels), dtype=np.float32)
            self.callback(out, self.blocksize)
            self.blocks.append(out)
        return np.concatenate(self.blocks) if self.blocks else np.zeros((0, self.channels), np.float32)
