"""Face measurements: lip-sync lag, bilabial closures, blink statistics (pure numpy)."""
from __future__ import annotations

import numpy as np


def rms_envelope(audio: np.ndarray, n_frames: int, fps: float = 60.0, sr: int = 24000) -> np.ndarray:
    """RMS of the audio in a one-frame window centred on each video frame time."""
    a = np.asarray(audio, dtype=np.float64).reshape(-1)
    hop = sr / fps
    out = np.zeros(n_frames)
    for j in range(n_frames):
        c = j * hop
        lo, hi = int(max(0, round(c - hop / 2))), int(min(len(a), round(c + hop / 2)))
        if hi > lo:
            out[j] = np.sqrt(np.mean(a[lo:hi] ** 2))
    return out


def xcorr_lag(x: np.ndarray, y: np.ndarray, max_lag: int) -> int:
    """Lag (in samples) maximising the normalised cross-correlation; > 0 means y lags x."""
    x = (x - x.mean()) / (x.std() + 1e-12)
    y = (y - y.mean()) / (y.std() + 1e-12)
    n = len(x)
    best, best_c = 0, -np.inf
    for lag in range(-max_lag, max_lag + 1):
        if lag >= 0:
            c = np.dot(x[:n - lag], y[lag:]) / (n - lag)
        else:
            c = np.dot(x[-lag:], y[:n + lag]) / (n + lag)
        if c > best_c:
            best, best_c = lag, c
    return best


def lipsync_lag_frames(jaw_open: np.ndarray, audio: np.ndarray, fps: float = 60.0, sr: int = 24000,
                       max_ms: float = 200.0) -> int:
    """Frames by which the audio RMS envelope lags jawOpen (0 = in sync; > 0: sound after mouth)."""
    env = rms_envelope(audio, len(jaw_open), fps, sr)
    return xcorr_lag(np.asarray(jaw_open, float), env, int(round(max_ms * fps / 1000)))


def closure_hits(mouth_close: np.ndarray, phones, fps: float = 60.0, threshold: float = 0.5,
                 labels=("p", "b", "m", "P", "B", "M")) -> tuple[int, int]:
    """(hits, total): bilabial phones whose midpoint frame has mouthClose ≥ threshold.

    ``phones`` is [(start_s, end_s, phone)]; ARPAbet stress digits are ignored.
    """
    hits = total = 0
    for a, b, ph in phones:
        if str(ph).rstrip("012").upper() not in {s.upper() for s in labels}:
            continue
        j = int(round((a + b) / 2 * fps))
        if j >= len(mouth_close):
            continue
        total += 1
        hits += bool(mouth_close[j] >= threshold)
    return hits, total


def blinks(eye_blink: np.ndarray, fps: float = 60.0, threshold: float = 0.5) -> list[tuple[float, float]]:
    """[(onset_s, duration_s)] of blinks: runs of eyeBlink > 0 reaching ``threshold`` (runs cut by the clip edges are skipped)."""
    x = np.asarray(eye_blink, float)
    on = x > 1e-3
    out, j = [], 0
    while j < len(x):
        if on[j]:
            k = j
            while k < len(x) and on[k]:
                k += 1
            if x[j:k].max() >= threshold and j > 0 and k < len(x):      # skip blinks cut by the clip edges
                out.append((j / fps, (k - j) / fps))
            j = k
        else:
            j += 1
    return out
