"""Audio files for listening: check one before a run, read it as mono at the graph's audio rate.

Pure helpers (no psigraph node code): :func:`file_issue` checks a file before a run and
:func:`read_mono` loads it as mono float64 resampled to the graph's audio rate.
"""
from __future__ import annotations

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
