"""Audio input for listening: read a sound file at any rate, and the input ring a live device fills.

Pure helpers (no psigraph node code): :func:`file_issue` checks a file before a run,
:func:`read_mono` loads it as mono float64 resampled to the graph's audio rate, and
:class:`InputRing` is the single-producer/single-consumer buffer between a sound-card input
callback and the graph. The ring counts what goes wrong instead of hiding it: ``underruns`` (the
graph asked for samples that had not arrived: silence was used) and ``overruns`` (the device
delivered while the ring was full: frames were dropped).
"""
from __future__ import annotations

import math
import os
from fractions import Fraction

import numpy as np

MAX_FILE_SECONDS = 4 * 3600          # longer inputs are refused at validation (memory: ~2.8 GB at 24 kHz)
EXTENSIONS = (".wav", ".flac", ".ogg", ".aiff", ".aif")


def file_issue(path: str) -> str | None:
    """Why ``path`` cannot be listened to (one sentence), or None when it can."""
    if not os.path.exists(path):
        return f"no such file: {path!r}"
    if os.path.isdir(path):
        return f"{path!r} is a folder; give a WAV or FLAC file"
    try:
        import soundfile as sf
        info = sf.info(path)
    except ImportError:
        return "reading sound files needs the Python package soundfile (pip install soundfile)"
    except Exception as e:  # noqa: BLE001 - libsndfile reports many kinds of failures
        return f"cannot read {path!r} as sound: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
    if info.frames <= 0 or info.samplerate <= 0:
        return f"{path!r} holds no audio"
    if info.frames / info.samplerate > MAX_FILE_SECONDS:
        return f"{path!r} is longer than {MAX_FILE_SECONDS // 3600} hours; split it"
    return None


def resample(x: np.ndarray, rate_in: float, rate_out: float) -> np.ndarray:
    """Polyphase resampling of a mono signal from ``rate_in`` to ``rate_out`` Hz (identity when equal)."""
    if rate_in == rate_out:
        return x
    from scipy.signal import resample_poly
    ratio = Fraction(rate_out / rate_in).limit_denominator(10000)
    return resample_poly(x, ratio.numerator, ratio.denominator)


def read_mono(path: str, rate: float) -> np.ndarray:
    """The file's channels averaged to mono, as float64 in [-1, 1], resampled to ``rate`` Hz."""
    import soundfile as sf
    data, sr = sf.read(path, dtype="float64", always_2d=True)
    x = data.mean(axis=1)
    return np.ascontiguousarray(resample(x, float(sr), float(rate)))


class InputRing:
    """Frames from a sound-card input callback to the graph (float32, mono)."""

    def __init__(self, capacity: int):
        self.buf = np.zeros(capacity, dtype=np.float32)
        self.capacity = int(capacity)
        self.written = 0          # frames accepted from the device
        self.read = 0             # frames handed to the graph
        self.underruns = 0        # reads that found fewer frames than asked (silence used)
        self.missing = 0          # frames of silence those reads used
        self.overruns = 0         # writes that found the ring full
        self.dropped = 0          # frames dropped by them

    def available(self) -> int:
        return self.written - self.read

    def write(self, x) -> int:
        """Device side: store as much of ``x`` (frames, or frames × channels: averaged) as fits."""
        x = np.asarray(x, dtype=np.float32)
        if x.ndim == 2:
            x = x.mean(axis=1) if x.shape[1] > 1 else x[:, 0]
        n = min(len(x), self.capacity - self.available())
        if n < len(x):
            self.overruns += 1
            self.dropped += len(x) - n
        i = self.written % self.capacity
        first = min(n, self.capacity - i)
        self.buf[i:i + first] = x[:first]
        self.buf[:n - first] = x[first:n]
        self.written += n
        return n

    def take(self, n: int) -> np.ndarray:
        """Graph side: the next ``n`` frames as float64 (silence for what has not arrived: an under-run)."""
        out = np.zeros(n)
        k = min(n, self.available())
        i = self.read % self.capacity
        first = min(k, self.capacity - i)
        out[:first] = self.buf[i:i + first]
        out[first:k] = self.buf[:k - first]
        self.read += k
        if k < n:
            self.underruns += 1
            self.missing += n - k
        return out

    def stats(self) -> dict:
        return {"underruns": self.underruns, "missing_frames": self.missing, "overruns": self.overruns,
                "dropped_frames": self.dropped}


def ring_capacity(rate: float, seconds: float) -> int:
    """Frames of a ring holding ``seconds`` of audio at ``rate`` Hz (at least one 20 ms block)."""
    return max(int(math.ceil(rate * seconds)), int(rate * 0.02))
