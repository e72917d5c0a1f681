"""Real-time running: a worker thread computes the graph ahead into a ring buffer;
the sound-card callback only copies from that buffer (and counts under-runs).

Heavy slow-rate nodes therefore never block the audio path: if the worker falls
behind, the callback plays silence and ``underruns`` goes up — visible, not hidden.
``SimulatedClock`` paces the callback without a sound card (tests, CI).

Graphs that listen (an ``audio_source`` without a file: the microphone) get an input ring the
input callback writes into. :class:`InputRunner` runs such graphs when they play nothing: the
worker advances the graph by whole blocks of input as they arrive, so the graph never reads ahead
of the microphone; a full ring drops frames and counts them (``overruns``). ``SimulatedInput``
feeds the input callback at the device's pace without a sound card.
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
        self.overruns = 0    # writes that found the ring full
        self.dropped = 0     # frames those writes dropped

    def space(self) -> int:
        return self.capacity - (self._w - self._r)

    def available(self) -> int:
        return self._w - self._r

    def write(self, x: np.ndarray) -> int:
        """Write as many frames as fit (the rest is dropped and counted); returns the count written."""
        n = min(len(x), self.space())
        if n < len(x):
            self.overruns += 1
            self.dropped += len(x) - n
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
        self.inputs = attach_inputs(session, self.block)
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
        _stop_worker(self)

    def play(self, duration: float, device=None, *, until_done: bool = False, stream=None) -> dict:
        """Play ``duration`` seconds (or, with ``until_done``, until the graph's finite nodes are done)
        on the sound card; returns stats (under-runs, frames). ``stream`` is :func:`open_output_stream`."""
        sd = stream or open_output_stream()
        self.start()
        try:
            with sd.OutputStream(samplerate=self.rate, channels=self.ring.buf.shape[1], dtype="float32",
                                 blocksize=self.block, device=device, callback=self.callback), \
                    _InputStreams(sd, self.inputs, self.block):
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
        out = {"underruns": self.ring.underruns, "missing_frames": self.ring.missing,
               "graph_time_s": self.session.now / self.session.master_rate}
        out.update(input_stats(self.inputs))
        return out


# ---------------------------------------------------------------- listening: input devices
class _LiveInput:
    """An audio_source reading the input device, its ring and the device it names."""

    def __init__(self, node, block: int, seconds: float):
        self.node = node
        self.rate = int(node.out_specs["audio"].rate_hz)
        self.ring = RingBuffer(max(4 * block, int(seconds * self.rate)), 1)
        self.device = node.params.device or None
        node.attach(self.ring)

    def callback(self, indata, frames, *_):
        """The input-device callback: copy only (channels averaged to mono)."""
        x = np.asarray(indata, dtype=np.float32)
        self.ring.write(x.mean(axis=1, keepdims=True) if x.ndim == 2 and x.shape[1] > 1 else x.reshape(-1, 1))


def attach_inputs(session, block: int, seconds: float = 2.0) -> list:
    """Give every audio_source of ``session`` that reads the input device (no file) a ring."""
    from psigraph import chain
    return [_LiveInput(s.node, block, seconds) for s in session.slots.values()
            if type(s.node).ROLE == chain.AUDIO_SOURCE and getattr(s.node, "live", False)]


def input_stats(inputs: list) -> dict:
    """Input-side counters: graph reads that found too little (under-runs), device writes that found
    the ring full (overruns), summed over the inputs."""
    if not inputs:
        return {}
    return {"input_underruns": sum(i.ring.underruns for i in inputs),
            "input_missing_frames": sum(i.ring.missing for i in inputs),
            "input_overruns": sum(i.ring.overruns for i in inputs),
            "input_dropped_frames": sum(i.ring.dropped for i in inputs)}


class _InputStreams:
    """Context manager opening one sounddevice InputStream per live input (none: does nothing)."""

    def __init__(self, sd, inputs: list, block: int):
        self.sd, self.inputs, self.block, self.streams = sd, inputs, block, []

    def __enter__(self):
        for i in self.inputs:
            st = self.sd.InputStream(samplerate=i.rate, channels=1, dtype="float32", blocksize=self.block,
                                     device=i.device, callback=i.callback)
            st.start()
            self.streams.append(st)
        return self

    def __exit__(self, *exc):
        for st in self.streams:
            st.stop()
            st.close()


class InputRunner:
    """Drive a Session from the sound-card input: the device callback fills the ring of the graph's
    live audio_source; a worker thread advances the graph one block whenever a block has arrived.
    The graph therefore never reads ahead of the microphone (no under-runs by construction; they
    are still counted), and a worker that falls behind shows up as overruns (dropped frames)."""

    CATCH_UP = 25                      # most blocks advanced in one call when the worker is behind

    def __init__(self, session, block: int | None = None, buffer_s: float = 2.0):
        self.session = session
        self.block = int(block or session.block)
        self.inputs = attach_inputs(session, self.block, buffer_s)
        if not self.inputs:
            raise PsigraphError("the graph has no audio_source reading the input device",
                                hint="give its audio_source path: '' (graphs/listen.yaml does)")
        self.input = self.inputs[0]
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self.error: BaseException | None = None

    @property
    def callback(self):
        """The input-device callback (``callback(indata, frames, ...)``)."""
        return self.input.callback

    def _work(self) -> None:
        try:
            while not self._stop.is_set():
                # behind: catch up in one call (results do not depend on the split; the session's
                # block bounds the chunks, so build the session with a larger block than this one)
                whole = self.input.ring.available() // self.block
                if whole:
                    self.session.advance(min(whole, self.CATCH_UP) * self.block)
                else:
                    time.sleep(self.block / self.input.rate / 4)
        except BaseException as exc:   # surfaced by stop()
            self.error = exc

    def start(self) -> None:
        self._worker = threading.Thread(target=self._work, name="psigraph-listener", daemon=True)
        self._worker.start()

    def stop(self, drain: bool = True) -> None:
        """Stop the worker (after it has processed every whole block already received)."""
        if drain:
            deadline = time.perf_counter() + 5.0
            while (self.input.ring.available() >= self.block and self.error is None
                   and time.perf_counter() < deadline):
                time.sleep(0.005)
        _stop_worker(self)

    def listen(self, duration: float, *, stream=None) -> dict:
        """Listen to the input device for ``duration`` seconds; returns :meth:`stats`.
        ``stream`` is :func:`open_input_stream`."""
        sd = stream or open_input_stream()
        self.start()
        try:
            with _InputStreams(sd, self.inputs, self.block):
                time.sleep(duration)
        except PsigraphError:
            raise
        except Exception as exc:
            self._stop.set()
            raise PsigraphError(f"cannot open the sound input device: {exc}",
                                hint="check `python -m sounddevice`, or listen to a file: "
                                     "psigraph listen IN.wav") from None
        finally:
            self.stop()
        return self.stats()

    def stats(self) -> dict:
        out = {"graph_time_s": self.session.now / self.session.master_rate}
        out.update(input_stats(self.inputs))
        return out


def open_output_stream():
    """The sounddevice module once a sound output is known to exist; else one clear error naming
    exactly what is missing (the Python package, the PortAudio library, or a device)."""
    return _sounddevice_with("max_output_channels", "live playback", "no sound output device found on this machine",
                             "write a file instead: psigraph say TEXT -o out.wav")


def open_input_stream():
    """The sounddevice module once a sound input is known to exist; else one clear error naming
    exactly what is missing (the Python package, the PortAudio library, or an input device)."""
    return _sounddevice_with("max_input_channels", "live listening",
                             "no sound input device (microphone) found on this machine",
                             "listen to a recording instead: psigraph listen IN.wav")


def _sounddevice_with(channels_key: str, what: str, missing: str, hint: str):
    sd = _sounddevice(what)
    try:
        found = [d for d in sd.query_devices() if d.get(channels_key, 0) > 0]
    except Exception:   # noqa: BLE001 - PortAudio errors vary by host
        found = []
    if not found:
        raise PsigraphError(missing, hint=hint)
    return sd


def _sounddevice(what: str):
    try:
        import sounddevice as sd
    except ImportError:
        raise PsigraphError(f"{what} needs the Python package sounddevice, which is not installed",
                            hint="pip install 'psigraph[audio]' (scripts/install.sh installs it)") from None
    except OSError:
        raise PsigraphError(f"{what} needs the PortAudio library, which is not installed",
                            hint="apt-get install libportaudio2") from None
    return sd


class SimulatedInput:
    """Calls an input-device callback with ``signal`` in blocks at the device's pace, in this thread
    (a microphone without hardware)."""

    def __init__(self, callback, signal: np.ndarray, rate: int, blocksize: int):
        self.callback, self.rate, self.blocksize = callback, rate, blocksize
        self.signal = np.asarray(signal, dtype=np.float32).reshape(-1, 1)

    def run(self, duration: float | None = None) -> int:
        """Deliver ``duration`` seconds (default: the whole signal, then silence); returns frames sent."""
        total = len(self.signal) if duration is None else int(duration * self.rate)
        period = self.blocksize / self.rate
        start = time.perf_counter()
        sent = 0
        for i in range(total // self.blocksize):
            delay = start + i * period - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            block = np.zeros((self.blocksize, 1), dtype=np.float32)
            part = self.signal[sent:sent + self.blocksize]
            block[:len(part)] = part
            self.callback(block, self.blocksize)
            sent += self.blocksize
        return sent


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


def _stop_worker(runner) -> None:
    """Stop a runner's worker thread, re-raise what failed in it, and finish its session."""
    runner._stop.set()
    if runner._worker:
        runner._worker.join(timeout=5)
    if runner.error:
        raise runner.error
    runner.session.finish()
