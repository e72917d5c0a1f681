"""Basic nodes: sources, arithmetic, rate conversion, loop delay and file sinks."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np

from psigraph.errors import Issue, PsigraphError
from psigraph import chain
from psigraph.node import DelayNode, Node
from psigraph.outputs import PendingFile, path_issues
from psigraph.params import Params, param
from psigraph.ports import Event, Events, In, Out, Signal
from psigraph.timebase import ticks_in

from . import kernels

RATE_DOC = "a rate name (audio, control, video, ...) or Hz"


# ---------------------------------------------------------------- sources / maths
class SineParams(Params):
    freq: float = param(440.0, ge=0, unit="Hz", doc="frequency")
    amp: float = param(1.0, doc="amplitude")
    phase: float = param(0.0, unit="rad", doc="phase at t = 0")
    rate: str | float = param("audio", doc=RATE_DOC)


@dataclass
class SineState:
    k_ref: int = 0          # tick where the current frequency took over
    cycles_ref: float = 0.0  # phase (in cycles) at k_ref


class Sine(Node[SineParams]):
    """Sine source: y = amp·sin(2π·freq·t + phase); freq and amp change glitch-free."""

    type_id = "sine"
    category = "source"
    HOT_PARAMS = frozenset({"freq", "amp"})
    y = Out(Signal, rate="param:rate", channels=1, doc="the sine")

    def reset(self):
        self.state = SineState(0, self.params.phase / (2 * math.pi))

    def _cycles(self, k):
        hz = self.out_specs["y"].rate_hz
        return self.state.cycles_ref + np.mod(self.params.freq * (k - self.state.k_ref), hz) / hz

    def set_params(self, params):
        if params.freq != self.params.freq:            # keep phase continuous at the change
            k, _ = self.ticks("y")
            self.state = SineState(k, float(np.mod(self._cycles(np.array([k]))[0], 1.0)))
        self.params = params

    def process(self):
        k0, n = self.ticks("y")
        k = np.arange(k0, k0 + n, dtype=np.float64)
        return (self.params.amp * np.sin(2 * np.pi * self._cycles(k)))[:, None]


class EventSourceParams(Params):
    events: list = param([{"t": 0.0, "kind": "tick"}],
                         doc="events to emit: [{t: seconds, kind: name, payload: anything}], any order")


class EventSource(Node[EventSourceParams]):
    """Emits the listed events at their times (a generic events source for tests and demos)."""

    type_id = "event_source"
    category = "source"
    FINITE = True
    y = Out(Events, doc="the listed events")

    @classmethod
    def check(cls, params, inputs) -> list:
        issues = []
        for i, e in enumerate(params.events):
            where = f"params.events[{i}]"
            if not isinstance(e, dict) or not isinstance(e.get("kind"), str) or not e.get("kind"):
                issues.append(Issue(where, "must be a mapping with a 'kind' name, e.g. {t: 0.5, kind: tick}",
                                    code="param.type"))
                continue
            t = e.get("t", 0.0)
            if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or t < 0:
                issues.append(Issue(where + ".t", f"must be a time >= 0 in seconds (got {t!r})", code="param.range"))
        return issues

    def reset(self):
        evs = sorted(((self.index(e.get("t", 0.0)), i) for i, e in enumerate(self.params.events)))
        self.state = [(t, self.params.events[i]) for t, i in evs]
        self.next = 0

    def done(self) -> bool:
        return self.next >= len(self.state)

    def end(self) -> int | None:
        return self.state[-1][0] + 1 if self.state else 0

    def process(self):
        out = []
        while self.next < len(self.state) and self.state[self.next][0] < self.t1:
            t, e = self.state[self.next]
            out.append(Event(max(t, self.t0), e["kind"], e.get("payload")))
            self.next += 1
        return out


class GainParams(Params):
    gain: float = param(1.0, doc="linear gain")


class Gain(Node[GainParams]):
    """Multiply by a gain (hot: changes at the exact scheduled sample)."""

    type_id = "gain"
    aliases = ("amp",)
    HOT_PARAMS = frozenset({"gain"})
    x = In(Signal)
    y = Out(Signal, like="x")

    def process(self, x):
        return x * self.params.gain


class Add(Node):
    """Sum of two signals of the same rate and channels."""

    type_id = "add"
    a = In(Signal)
    b = In(Signal, like="a")
    y = Out(Signal, like="a")

    def process(self, a, b):
        return a + b


# ---------------------------------------------------------------- delay
class DelayParams(Params):
    ticks: int = param(1, ge=1, doc="delay in ticks of the signal's rate")


@dataclass
class DelayState:
    buf: np.ndarray = field(default_factory=lambda: np.zeros((0, 1)))


class Delay(DelayNode[DelayParams]):
    """Delay by a whole number of ticks; the only way to close a feedback loop."""

    type_id = "delay"
    x = In(Signal)
    y = Out(Signal, like="x")

    def reset(self):
        spec = self.in_specs["x"]
        self.state = DelayState(np.zeros((self.params.ticks, spec.channels)))

    def max_span(self) -> int:
        """Largest span (master samples) that emit() can serve before its input is known."""
        return self.params.ticks * self.in_specs["x"].period

    def process(self, x):
        z = np.concatenate([self.state.buf, x])
        self.state.buf = z[len(x):]
        return z[: len(x)]

    def emit(self):
        _, n = self.ticks("y")
        return self.state.buf[:n].copy()

    def absorb(self, x):
        self.state.buf = np.concatenate([self.state.buf[len(x):], x])


# ---------------------------------------------------------------- rate conversion
class RateParams(Params):
    rate: str | float = param("audio", doc="output " + RATE_DOC)


@dataclass
class HoldState:
    last: np.ndarray


class Hold(Node[RateParams]):
    """Zero-order hold: each output sample repeats the latest input sample at or before it."""

    type_id = "hold"
    category = "rate"
    x = In(Signal)
    y = Out(Signal, rate="param:rate", like="x")

    def reset(self):
        self.state = HoldState(np.zeros(self.in_specs["x"].channels))

    def process(self, x):
        pi, po = self.in_specs["x"].period, self.out_specs["y"].period
        ki, ni = ticks_in(self.t0, self.t1, pi)
        ko, no = ticks_in(self.t0, self.t1, po)
        if no == 0:
            if ni:
                self.state.last = x[-1].copy()
            return np.zeros((0, x.shape[1]))
        idx = np.searchsorted((ki + np.arange(ni)) * pi, (ko + np.arange(no)) * po, side="right") - 1
        src = np.vstack([self.state.last[None, :], x])
        if ni:
            self.state.last = x[-1].copy()
        return src[idx + 1]


@dataclass
class FirState:
    hist: np.ndarray


class DecimateParams(Params):
    rate: str | float = param("control", doc="output " + RATE_DOC + "; must divide the input rate")


class Decimate(Node[DecimateParams]):
    """Anti-aliased integer down-sampling (causal windowed-sinc FIR, then keep every M-th sample)."""

    type_id = "decimate"
    category = "rate"
    x = In(Signal, doc="input at a rate that is an integer multiple of the output rate")
    y = Out(Signal, rate="param:rate", like="x")

    @classmethod
    def example_input_specs(cls, params, timebase):
        from psigraph.ports import SignalSpec
        return {"x": SignalSpec(1, 1, rate_hz=float(timebase.master_rate))}

    def reset(self):
        pi, po = self.in_specs["x"].period, self.out_specs["y"].period
        if po % pi:
            raise PsigraphError(f"decimate: output rate must divide the input rate (ratio {pi}/{po} is not an integer)",
                                where=self.node_id, hint="use a resample node instead")
        m = po // pi
        taps = 8 * m + 1 if m > 1 else 1
        self.h = kernels.lowpass_fir(0.45 / m, taps) if m > 1 else np.ones(1)
        self.state = FirState(np.zeros((taps - 1, self.in_specs["x"].channels)))
        kernels._fir_at(np.zeros((1, 1)), np.zeros(0, np.int64), self.h, np.zeros((0, 1)))   # compile now

    def process(self, x):
        pi, po = self.in_specs["x"].period, self.out_specs["y"].period
        ki, ni = ticks_in(self.t0, self.t1, pi)
        ko, no = ticks_in(self.t0, self.t1, po)
        z = np.ascontiguousarray(np.vstack([self.state.hist, x]))
        hl = len(self.state.hist)
        out = np.empty((no, x.shape[1]))
        if no:
            idx = ((ko + np.arange(no)) * (po // pi) - ki + hl).astype(np.int64)
            kernels._fir_at(z, idx, self.h, out)
        if ni:
            self.state.hist = z[len(z) - hl:].copy() if hl else z[:0]
        return out


@dataclass
class ResampleState:
    hist: np.ndarray
    first: int        # absolute tick index of hist[0]


class Resample(Node[RateParams]):
    """Polyphase windowed-sinc resampling to any rate (causal: delayed by half the kernel)."""

    type_id = "resample"
    category = "rate"
    x = In(Signal)
    y = Out(Signal, rate="param:rate", like="x")
    ZERO_CROSSINGS = 8

    def reset(self):
        spec_i, spec_o = self.in_specs["x"], self.out_specs["y"]
        pi = spec_i.period
        fin, fout = spec_i.rate_hz, spec_o.rate_hz
        fc = 0.45 * min(fin, fout)
        self.lh = int(math.ceil(self.ZERO_CROSSINGS * fin / (2 * fc)))
        self.delay = self.lh * pi                      # master samples
        m = np.arange(2 * self.lh)
        phase = np.arange(pi)[:, None]
        tau = (phase + (self.lh - 1 - m)[None, :] * pi) / self.master_rate   # centre minus input time (s)
        win = np.cos(np.pi * tau * self.master_rate / (2 * self.lh * pi)) ** 2  # Hann-like, zero at edges
        self.table = np.ascontiguousarray((2 * fc / fin) * np.sinc(2 * fc * tau) * win)
        self.state = ResampleState(np.zeros((0, spec_i.channels)), 0)
        kernels._polyphase(np.zeros((1, 1)), 0, np.zeros(0, np.int64), pi, self.table, self.lh,
                           np.zeros((0, 1)))                                          # compile now

    def process(self, x):
        pi, po = self.in_specs["x"].period, self.out_specs["y"].period
        ki, ni = ticks_in(self.t0, self.t1, pi)
        ko, no = ticks_in(self.t0, self.t1, po)
        if not len(self.state.hist):
            self.state.first = ki
        z = np.ascontiguousarray(np.vstack([self.state.hist, x]))
        out = np.empty((no, x.shape[1]))
        if no:
            centers = ((ko + np.arange(no)) * po - self.delay).astype(np.int64)
            kernels._polyphase(z, self.state.first, centers, pi, self.table, self.lh, out)
        keep = 2 * self.lh + 1
        if len(z) > keep:
            self.state.first += len(z) - keep
            z = z[len(z) - keep:]
        self.state.hist = z.copy()
        return out


# ---------------------------------------------------------------- sinks
class PathParams(Params):
    path: str = param("out", doc="output file path")


@dataclass
class SinkState:
    chunks: list = field(default_factory=list)


class _FileSink(Node[PathParams]):
    """A sink that writes one file through a PendingFile: committed on success, discarded otherwise."""

    category = "sink"
    EXTENSIONS: tuple = ()

    @classmethod
    def check(cls, params, inputs) -> list:
        return path_issues(params.path, extensions=cls.EXTENSIONS)

    def reset(self):
        if getattr(self, "out", None) is not None:
            self.out.discard()
        self.out = PendingFile(self.params.path)

    def commit(self):
        self.out.commit()

    def close(self):
        self.out.discard()


class NpySink(_FileSink):
    """Write every received sample as a float64 .npy array of shape (n, channels)."""

    type_id = "npy_sink"
    x = In(Signal)

    def reset(self):
        super().reset()
        self.state = SinkState()

    def process(self, x):
        if len(x):
            self.state.chunks.append(np.asarray(x, dtype=np.float64))

    def data(self) -> np.ndarray:
        ch = self.in_specs["x"].channels
        return np.concatenate(self.state.chunks) if self.state.chunks else np.zeros((0, ch))

    def flush(self):
        f = self.out.handle
        f.seek(0)
        f.truncate()
        np.save(f, self.data())
        f.flush()


class WavSink(_FileSink):
    """Write 16-bit PCM WAV at the input's rate (clipped to [-1, 1]), streamed to disk block by block."""

    type_id = "wav_sink"
    ROLE = chain.AUDIO_FILE
    EXTENSIONS = (".wav",)
    x = In(Signal)

    @classmethod
    def check(cls, params, inputs) -> list:
        issues = super().check(params, inputs)
        spec = inputs.get("x")
        if spec is not None and spec.rate_hz != int(spec.rate_hz):
            issues.append(Issue("inputs.x", f"a WAV file needs an integer sample rate (got {spec.rate_hz} Hz); "
                                "resample the signal first", code="input.rate"))
        return issues

    def reset(self):
        super().reset()
        self.frames = 0

    def process(self, x):
        if len(x):
            f = self.out.handle
            if f.tell() == 0:
                f.write(_wav_header(0, x.shape[1], int(self.in_specs["x"].rate_hz)))
            f.write((np.clip(x, -1.0, 1.0) * 32767.0).round().astype("<i2").tobytes())
            self.frames += len(x)

    def flush(self):
        f = self.out.handle
        ch = self.in_specs["x"].channels
        if f.tell() == 0:
            f.write(_wav_header(0, ch, int(self.in_specs["x"].rate_hz)))
        end = f.tell()
        f.seek(0)
        f.write(_wav_header(self.frames, ch, int(self.in_specs["x"].rate_hz)))
        f.seek(end)
        f.flush()


def _wav_header(frames: int, channels: int, rate: int) -> bytes:
    """RIFF/WAVE header of 16-bit PCM with ``frames`` frames."""
    import struct
    data = frames * channels * 2
    return (b"RIFF" + struct.pack("<I", 36 + data) + b"WAVE" + b"fmt " +
            struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * 2, channels * 2, 16) +
            b"data" + struct.pack("<I", data))


def _jsonable(v):
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    return str(v)


class EventsSink(_FileSink):
    """Write received events as JSON Lines: {"t": master index, "time": s, "kind": ..., "payload": ...}."""

    type_id = "events_sink"
    x = In(Events)

    def process(self, x):
        if x:
            self.out.handle.write("".join(
                json.dumps({"t": int(e.t), "time": e.t / self.master_rate, "kind": e.kind, "payload": e.payload},
                           default=_jsonable, sort_keys=True) + "\n" for e in x).encode())

    def flush(self):
        self.out.handle.flush()


class AudioSinkParams(Params):
    device: str = param("", doc="sound device name or index ('' = default)")


class AudioSink(Node[AudioSinkParams]):
    """Sound-card output: in live runs its ring buffer feeds the device callback; offline it discards."""

    type_id = "audio_sink"
    category = "sink"
    x = In(Signal, rate="audio", doc="samples in [-1, 1]")

    ROLE = chain.AUDIO_DEVICE

    def __init__(self, params=None, **kw):
        super().__init__(params, **kw)
        self.ring = None
        self.written = 0

    def attach(self, ring) -> None:
        """Write every block into ``ring`` (a real-time runner's ring buffer; None = discard)."""
        self.ring = ring

    def reset(self):
        self.written = 0

    def process(self, x):
        if self.ring is not None and len(x):
            self.written += self.ring.write(x)
