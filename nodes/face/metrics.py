"""Face measurements: lip-sync lag, bilabial closures, blink statistics (pure numpy).

**Lip-sync lag.** Frame j of a video stream stands for the instant t_j = j / fps (its
``t`` in the frames file), and is compared with the audio *around* that instant: the
RMS of the samples in the one-frame window [t_j − ½·hop, t_j + ½·hop), hop = sr / fps,
**centred on the frame time** (edges rounded to the nearest sample, windows cut at the
ends of the audio). A window starting at t_j instead would compare each frame with
audio half a frame later and hide half a frame of face delay. The lag is the shift
(in whole frames) that maximises the normalised cross-correlation of jawOpen and
that envelope; :func:`lipsync_lag_subframe` refines the peak by a parabola through
its neighbours, to show a bias smaller than a frame.
"""
from __future__ import annotations

import numpy as np

from psigraph.timebase import DEFAULT_MASTER_RATE, DEFAULT_RATES

FPS = DEFAULT_RATES["video"]
SR = DEFAULT_MASTER_RATE


def rms_envelope(audio: np.ndarray, n_frames: int, fps: float = FPS, sr: float = SR) -> np.ndarray:
    """RMS of the audio in a one-frame window centred on each video frame time t_j = j / fps."""
    a = np.asarray(audio, dtype=np.float64).reshape(-1)
    hop = sr / fps
    c = np.arange(n_frames) * hop
    lo = np.clip(np.rint(c - hop / 2), 0, len(a)).astype(np.int64)
    hi = np.clip(np.rint(c + hop / 2), 0, len(a)).astype(np.int64)
    e = np.concatenate([[0.0], np.cumsum(a * a)])
    n = hi - lo
    out = np.zeros(n_frames)
    ok = n > 0
    out[ok] = np.sqrt(np.maximum(e[hi[ok]] - e[lo[ok]], 0.0) / n[ok])
    return out


def _xcorr(x: np.ndarray, y: np.ndarray, max_lag: int) -> dict:
    """{lag: normalised cross-correlation}; > 0 means y lags x."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    x = (x - x.mean()) / (x.std() + 1e-12)
    y = (y - y.mean()) / (y.std() + 1e-12)
    n = len(x)
    out = {}
    for lag in range(-max_lag, max_lag + 1):
        if abs(lag) >= n:
            continue
        if lag >= 0:
            out[lag] = float(np.dot(x[:n - lag], y[lag:]) / (n - lag))
        else:
            out[lag] = float(np.dot(x[-lag:], y[:n + lag]) / (n + lag))
    return out


def xcorr_lag(x: np.ndarray, y: np.ndarray, max_lag: int) -> int:
    """Lag (in samples) maximising the normalised cross-correlation; > 0 means y lags x."""
    c = _xcorr(x, y, max_lag)
    return max(c, key=lambda k: (c[k], -abs(k))) if c else 0


def lipsync_lag_frames(jaw_open: np.ndarray, audio: np.ndarray, fps: float = FPS, sr: float = SR,
                       max_ms: float = 200.0) -> int:
    """Frames by which the audio RMS envelope (centred windows) lags jawOpen: 0 = in sync,
    > 0: sound after mouth, < 0: the face is late."""
    env = rms_envelope(audio, len(jaw_open), fps, sr)
    return xcorr_lag(np.asarray(jaw_open, float), env, int(round(max_ms * fps / 1000)))


def lipsync_lag_subframe(jaw_open: np.ndarray, audio: np.ndarray, fps: float = FPS, sr: float = SR,
                         max_ms: float = 200.0) -> float:
    """:func:`lipsync_lag_frames` refined between frames (parabola through the peak and its neighbours)."""
    env = rms_envelope(audio, len(jaw_open), fps, sr)
    c = _xcorr(np.asarray(jaw_open, float), env, int(round(max_ms * fps / 1000)))
    if not c:
        return 0.0
    k = max(c, key=lambda j: (c[j], -abs(j)))
    if k - 1 not in c or k + 1 not in c:
        return float(k)
    a, b, d = c[k - 1], c[k], c[k + 1]
    den = a - 2 * b + d
    return float(k + (0.5 * (a - d) / den if den < 0 else 0.0))


def lag_histogram(lags) -> dict:
    """{lag: count}, sorted by lag."""
    vals, counts = np.unique(np.asarray(list(lags), dtype=int), return_counts=True)
    return {int(v): int(c) for v, c in zip(vals, counts)}


def closure_hits(mouth_close: np.ndarray, phones, fps: float = FPS, threshold: float = 0.5,
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


def blinks(eye_blink: np.ndarray, fps: float = FPS, threshold: float = 0.5) -> list[tuple[float, float]]:
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
