"""Frame features of heard speech, one row per control tick, computed causally from the audio.

:class:`FeatureExtractor` is the pure synchronous processor behind the ``listener`` node: feed it
the audio of a span, ask for the ticks in that span, get a row per tick computed only from the
samples strictly before the tick's time. Results do not depend on how the audio is split into
spans (the anti-alias filter carries its state sample by sample; frames are cut from a history).

The audio is low-passed and decimated to :data:`ANALYSIS_HZ` (8 kHz: speech pitch, the first
formants and the syllable envelope all live below 4 kHz). Per tick:

* **pitch** — YIN (de Cheveigné & Kawahara 2002): the cumulative-mean-normalised difference
  function over a 30 ms window, first dip below ``yin_threshold`` (else the global minimum),
  refined by parabolic interpolation; ``f0`` in Hz and ``periodicity`` = 1 − the dip;
* **envelope** — ``env_db``: level of the last 32 ms (dBFS); ``nucleus_db``: level of the
  300–2500 Hz band of the same frame (vowel nuclei dominate it: the syllable envelope);
* **64 ms STFT** — a Hann-windowed 512-point spectrum: ``centroid`` (Hz), ``flux`` (positive
  log-spectral change against the frame 20 ms earlier, dB per band) and :data:`N_BANDS`
  log band energies on a mel-like scale (``band0``…), the spectral shape the speaker model reads;
* **glottal phase** — ``biphase2`` = arg(X₂·X₁*²) and ``biphase3`` = arg(X₃·X₂*·X₁*), with X_h the
  Hann-windowed DFT of the last 32 ms at h·f0 (0 when unvoiced). They are invariant to the frame's
  position in time (a delay adds h·φ to each X_h and cancels) and mostly set by the shape of the
  glottal pulse (below F1 the vocal tract adds little phase), so they are a stable trait of a voice;
  time reversal conjugates every X_h and so negates both (the speaker model reads that).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ANALYSIS_HZ = 8000
N_BANDS = 8
YIN_WINDOW = 240                # 30 ms at 8 kHz
ENV_FRAME = 256                 # 32 ms
STFT_FRAME = 512                # 64 ms
FLUX_LAG = 160                  # 20 ms
HISTORY = STFT_FRAME + FLUX_LAG
FEATURE_LABELS = ("f0", "periodicity", "env_db", "nucleus_db", "centroid", "flux") + tuple(
    f"band{i}" for i in range(N_BANDS)) + ("biphase2", "biphase3")
BIPHASE = FEATURE_LABELS.index("biphase2")
_FINE = np.arange(16.0)
_COARSE = np.arange(ENV_FRAME // 16) * 16.0
_FLOOR_DB = -100.0
BATCH = 8                       # rows per FFT batch unit (see FeatureExtractor.rows)


def _band_edges(n_bands: int, lo: float = 100.0, hi: float = 3800.0) -> np.ndarray:
    """Band edges (Hz) equally spaced on the mel scale."""
    mel = lambda f: 2595.0 * np.log10(1.0 + f / 700.0)          # noqa: E731
    inv = lambda m: 700.0 * (10.0 ** (m / 2595.0) - 1.0)        # noqa: E731
    return inv(np.linspace(mel(lo), mel(hi), n_bands + 1))


def _db(p):
    return 10.0 * np.log10(np.maximum(p, 10.0 ** (_FLOOR_DB / 10.0)))


@dataclass
class ExtractorState:
    """Anti-alias filter state, the decimation phase and the recent 8 kHz history (picklable)."""

    zi: np.ndarray
    phase: int                  # input samples to skip before the next kept one
    hist: np.ndarray            # the last HISTORY analysis samples
    count: int                  # analysis samples produced so far


class FeatureExtractor:
    """Audio blocks in, one feature row per control tick out (see the module docstring)."""

    def __init__(self, audio_hz: float, f0_min: float = 60.0, f0_max: float = 500.0,
                 yin_threshold: float = 0.2):
        from scipy.signal import butter
        ratio = audio_hz / ANALYSIS_HZ
        if ratio != int(ratio) or ratio < 1:
            raise ValueError(f"the audio rate must be a multiple of {ANALYSIS_HZ} Hz (got {audio_hz:g})")
        self.decim = int(ratio)
        self.sos = butter(8, 3600.0 / (audio_hz / 2), output="sos") if self.decim > 1 else None
        self.tau_min = max(2, int(ANALYSIS_HZ / f0_max))
        self.tau_max = int(np.ceil(ANALYSIS_HZ / f0_min))
        self.yin_threshold = yin_threshold
        self.win_env = np.hanning(ENV_FRAME)
        self.win_stft = np.hanning(STFT_FRAME)
        f_env = np.fft.rfftfreq(ENV_FRAME, 1.0 / ANALYSIS_HZ)
        self.nucleus_lo, self.nucleus_hi = int(np.searchsorted(f_env, 300.0)), int(np.searchsorted(f_env, 2500.0))
        self.env_norm = 1.0 / (self.win_env ** 2).sum()
        self.stft_norm = 1.0 / (self.win_stft ** 2).sum()
        edges = _band_edges(N_BANDS)
        f_stft = np.fft.rfftfreq(STFT_FRAME, 1.0 / ANALYSIS_HZ)
        first_bin = np.searchsorted(f_stft, edges)               # band b: bins first_bin[b] .. first_bin[b+1]-1
        self.band_lo, self.band_hi = int(first_bin[0]), int(first_bin[-1])
        self.band_starts = (first_bin[:-1] - first_bin[0]).astype(np.intp)
        self.taus = np.arange(self.tau_max + 1)
        self.freqs = np.fft.rfftfreq(STFT_FRAME, 1.0 / ANALYSIS_HZ)
        self.yin_fft = 1 << int(np.ceil(np.log2(YIN_WINDOW + self.tau_max + YIN_WINDOW)))
        self.reset()

    def reset(self) -> None:
        zi = np.zeros((self.sos.shape[0], 2)) if self.sos is not None else np.zeros((0, 2))
        self.keep = max(HISTORY, YIN_WINDOW + self.tau_max)
        self.state = ExtractorState(zi, 0, np.zeros(self.keep), 0)

    # ---- audio in -----------------------------------------------------------------
    def push(self, audio: np.ndarray) -> None:
        """Append the next audio samples (1-D, at the audio rate)."""
        st = self.state
        if not len(audio):
            return
        x = np.asarray(audio, dtype=np.float64)
        if self.sos is not None:
            from scipy.signal import sosfilt
            x, st.zi = sosfilt(self.sos, x, zi=st.zi)
        kept = x[st.phase::self.decim]
        st.phase = (st.phase - len(x)) % self.decim
        if len(kept):            # keep the history before this push plus everything pushed
            st.hist = np.concatenate([st.hist[-self.keep:], kept])
            st.count += len(kept)

    # ---- features out ---------------------------------------------------------------
    def rows(self, ends: np.ndarray) -> np.ndarray:
        """Feature rows for frames ending (exclusive) at the analysis-sample counts ``ends``
        (each ≤ the samples pushed so far and ≥ the count before the last push).

        Frames are transformed in batches padded to a multiple of :data:`BATCH` rows: a batched
        FFT rounds a row differently when it falls into the vectorised part of the batch or the
        remainder, so unpadded batches of varying size would break block-size invariance. Sums
        run along rows only (no BLAS, whose blocking depends on the batch)."""
        st = self.state
        n = len(ends)
        out = np.zeros((n, len(FEATURE_LABELS)))
        if not n:
            return out
        h = st.hist
        pos = np.asarray(ends, dtype=np.int64) - st.count + len(h)
        m = -(-n // BATCH) * BATCH
        frames = np.zeros((m, HISTORY))
        frames[:n] = np.lib.stride_tricks.sliding_window_view(h, HISTORY)[pos - HISTORY]
        env = frames[:, -ENV_FRAME:]
        spec_env = np.abs(np.fft.rfft(env * self.win_env, axis=1)) ** 2
        out[:, 2] = _db((env * env).sum(axis=1)[:n] / ENV_FRAME)
        out[:, 3] = _db(spec_env[:n, self.nucleus_lo:self.nucleus_hi].sum(axis=1) * self.env_norm * 2.0 / ENV_FRAME)
        cur = np.abs(np.fft.rfft(frames[:, -STFT_FRAME:] * self.win_stft, axis=1))[:n] ** 2 * self.stft_norm
        prev = np.abs(np.fft.rfft(frames[:, :STFT_FRAME] * self.win_stft, axis=1))[:n] ** 2 * self.stft_norm
        out[:, 4] = (cur * self.freqs).sum(axis=1) / np.maximum(cur.sum(axis=1), 1e-20)
        b_cur = _db(np.add.reduceat(cur[:, self.band_lo:self.band_hi], self.band_starts, axis=1))
        b_prev = _db(np.add.reduceat(prev[:, self.band_lo:self.band_hi], self.band_starts, axis=1))
        out[:, 5] = np.maximum(b_cur - b_prev, 0.0).mean(axis=1)
        out[:, 6:6 + N_BANDS] = b_cur
        f0, per = self._yin(frames[:, -(YIN_WINDOW + self.tau_max):], n)
        out[:, 0], out[:, 1] = f0, per
        out[:, BIPHASE:BIPHASE + 2] = self._biphases(env[:n], f0)
        return out

    def _biphases(self, frames: np.ndarray, f0: np.ndarray) -> np.ndarray:
        """(biphase2, biphase3) of each row (see the module docstring); zeros where f0 is 0."""
        step = -2j * np.pi * f0[:, None] / ANALYSIS_HZ       # e^{step·t}, t = 16·i + j: 32 exponentials a row
        rot = (np.exp(step * _COARSE)[:, :, None] * np.exp(step * _FINE)[:, None, :]).reshape(len(f0), -1)
        w = frames * self.win_env
        x1 = (w * rot).sum(axis=1)
        rot2 = rot * rot
        x2 = (w * rot2).sum(axis=1)
        x3 = (w * rot2 * rot).sum(axis=1)
        out = np.stack([np.angle(x2 * np.conj(x1) ** 2), np.angle(x3 * np.conj(x2) * np.conj(x1))], axis=1)
        out[f0 <= 0.0] = 0.0
        return out

    def _yin(self, x: np.ndarray, n: int):
        """(f0 Hz, periodicity) of the first ``n`` rows of ``x`` (rows of YIN_WINDOW + tau_max
        samples; (0, 0) for silent rows)."""
        W, tmax, tmin = YIN_WINDOW, self.tau_max, self.tau_min
        nfft = self.yin_fft
        a = np.fft.rfft(x[:, :W], nfft, axis=1)
        b = np.fft.rfft(x, nfft, axis=1)
        r = np.fft.irfft(np.conj(a) * b, nfft, axis=1)[:n, :tmax + 1]
        x = x[:n]
        cs = np.concatenate([np.zeros((n, 1)), np.cumsum(x * x, axis=1)], axis=1)
        e0 = cs[:, W:W + 1]
        tau = self.taus
        d = np.maximum(e0 + cs[:, tau + W] - cs[:, tau] - 2.0 * r, 0.0)
        d[:, 0] = 0.0
        cm = np.ones_like(d)
        cm[:, 1:] = d[:, 1:] * tau[1:] / np.maximum(np.cumsum(d[:, 1:], axis=1), 1e-20)
        seg = cm[:, tmin:tmax]
        rows = np.arange(n)
        below = seg < self.yin_threshold
        j = np.where(below.any(axis=1), below.argmax(axis=1), seg.argmin(axis=1))
        # walk down to the bottom of the dip: the first index ≥ j where the curve stops falling
        cols = np.arange(seg.shape[1] - 1)
        rising = (seg[:, 1:] >= seg[:, :-1]) & (cols[None, :] >= j[:, None])
        j = np.where(rising.any(axis=1), rising.argmax(axis=1), seg.shape[1] - 1)
        t = j + tmin
        # a dip at a half or a third of the period as deep (within 0.1) is the true period
        # (sub-harmonic errors); of the two, the deeper
        best, best_cm = t, cm[rows, t] + 0.1
        for div in (2, 3):
            h = t // div
            hc = np.clip(h, tmin + 1, tmax - 1)
            near = np.stack([cm[rows, hc - 1], cm[rows, hc], cm[rows, hc + 1]], axis=1)
            hmin = np.maximum(hc - 1 + near.argmin(axis=1), tmin)
            hcm = cm[rows, hmin]
            take = (h >= tmin) & (hcm < best_cm) & (hcm < 2 * self.yin_threshold)
            best, best_cm = np.where(take, hmin, best), np.where(take, hcm, best_cm)
        t = best
        y0, y1, y2 = cm[rows, t - 1], cm[rows, t], cm[rows, np.minimum(t + 1, tmax)]
        den = y0 - 2.0 * y1 + y2
        shift = np.where(den > 1e-12, 0.5 * (y0 - y2) / np.where(den > 1e-12, den, 1.0), 0.0)
        f0 = ANALYSIS_HZ / (t + np.clip(shift, -0.5, 0.5))
        per = np.maximum(0.0, 1.0 - y1)
        silent = e0[:, 0] <= 1e-10
        f0[silent], per[silent] = 0.0, 0.0
        return f0, per
