"""The muxer's numpy resampler (nodes/face/video.resample): length, timing, passband, stopband."""
import numpy as np
import pytest
from psigraph.nodes.face import video
from psigraph.nodes.face.video import resample


def _tone(f, sr, n):
    return np.sin(2 * np.pi * f * np.arange(n) / sr)


def _level_db(y, sr, f):
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    freqs = np.fft.rfftfreq(len(y), 1 / sr)
    return 20 * np.log10(spec[np.abs(freqs - f) < 30].max() + 1e-300)


@pytest.mark.parametrize("up,down,n", [(2, 1, 24001), (160, 147, 4411), (1, 2, 999), (3, 2, 10)])
def test_length_is_ceil_of_ratio(up, down, n):
    assert len(resample(np.ones(n), up, down)) == -(-n * up // down)


def test_zero_phase_and_unit_gain_in_the_passband():
    sr = 24000
    x = _tone(1000, sr, sr)
    y = resample(x, 2, 1)
    mid = slice(2000, -2000)                 # away from the edges
    assert np.allclose(y[::2][mid], x[mid], atol=1e-3)          # every other sample is the input itself
    assert np.allclose(y[1::2][mid], _tone(1000, 2 * sr, 2 * sr)[1::2][mid], atol=1e-3)


@pytest.mark.parametrize("f0", [1000, 6000, 10000])
def test_images_are_60_db_down(f0):
    sr = 24000
    y = resample(0.5 * _tone(f0, sr, sr), 2, 1)
    assert _level_db(y, 2 * sr, sr - f0) - _level_db(y, 2 * sr, f0) <= -60


def test_aliases_are_60_db_down_when_decimating():
    sr = 48000
    y = resample(0.5 * _tone(20000, sr, sr), 1, 2)          # above the new Nyquist (12 kHz): removed
    ref = resample(0.5 * _tone(4000, sr, sr), 1, 2)
    assert _level_db(y, sr // 2, 4000) - _level_db(ref, sr // 2, 4000) <= -60


@pytest.mark.parametrize("up,down", [(2, 1), (3, 2), (1, 2)])
def test_convolved_and_gathered_phases_agree(monkeypatch, up, down):
    x = np.random.default_rng(3).standard_normal(5000)
    convolved = video.resample(x, up, down)
    monkeypatch.setattr(video, "MAX_CONVOLVED_PHASES", 0)
    gathered = video.resample(x, up, down)
    assert np.allclose(convolved, gathered, rtol=0, atol=1e-12)
