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
        from psigraph import chain
        self.session = session
        self.block = int(block or session.block)
        sinks = [s.node for s in session.slots.values() if type(s.node).ROLE == chain.AUDIO_DEVICE]
        if not sinks:
            raise PsigraphError("the graph has no audio_sink node to play", hint="connect your audio to an audio_sink")
        self.sink = sinks[0]
        spec = next(iter(self.sink.in_specs.values()))
        self.rate = int(spec.rate_hz)
        self.ring = RingBuffer(max(2 * self.block, int(ahead_s * self.rate) + self.block), spec.channels)
        self.sink.attach(self.ring)
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self.error: BaseException | None = None

    def _work(self) -> None:
        try:
            while not self._stop.is_set():
                if self.ring.space() >= self.block:
                    self.session.advance(self.block)
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
            self.session.advance(self.block)
        self._worker = threading.Thread(target=self._work, name="psigraph-worker", daemon=True)
        self._worker.start()

    def stop(self) -> None:
        self._stop.set()
        if self._worker:
            self._worker.join(timeout=5)
        if self.error:
            raise self.error
        self.session.finish()

    def play(self, duration: float, device=None, *, until_done: bool = False, stream=None) -> dict:
        """Play ``duration`` seconds (or, with ``until_done``, until the graph's finite nodes are done)
        on the sound card; returns stats (under-runs, frames). ``stream`` is :func:`open_output_stream`."""
        sd = stream or open_output_stream()
        self.start()
        try:
            with sd.OutputStream(samplerate=self.rate, channels=self.ring.buf.shape[1], dtype="float32",
                                 blocksize=self.block, device=device, callback=self.callback):
                if until_done:
                    while not self.session.done and self.error is None:
                        time.sleep(0.05)
                    time.sleep(self.ring.capacity / self.rate)       # let the ring drain
                else:
                    time.sleep(duration)
        except PsigraphError:
            raise
        except Exception as exc:
            self._stop.set()
            raise PsigraphError(f"cannot open the sound device: {exc}",
                                hint="check `python -m sounddevice`, or use `psigraph say -o out.wav`") from None
        finally:
            self.stop()
        return self.stats()

    def stats(self) -> dict:
        return {"underruns": self.ring.underruns, "missing_frames": self.ring.missing,
                "graph_time_s": self.session.now / self.session.master_rate}


def open_output_stream():
    """The sounddevice module once a sound output is known to exist; else one clear error naming
    exactly what is missing (the Python package, the PortAudio library, or a device)."""
    try:
        import sounddevice as sd
    except ImportError:
        raise PsigraphError("live playback needs the Python package sounddevice, which is not installed",
                            hint="pip install 'psigraph[audio]' (scripts/install.sh installs it)") from None
    except OSError:
        raise PsigraphError("live playback needs the PortAudio library, which is not installed",
                            hint="apt-get install libportaudio2") from None
    try:
        outputs = [d for d in sd.query_devices() if d.get("max_output_channels", 0) > 0]
    except Exception:   # noqa: BLE001 - PortAudio errors vary by host
        outputs = []
    if not outputs:
        raise PsigraphError("no sound output device found on this machine",
                            hint="write a file instead: psigraph say TEXT -o out.wav")
    return sd


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
