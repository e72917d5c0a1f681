"""Syllable onsets, phrase boundaries and the speaker model on signals with known timing."""
import numpy as np
import pytest

from psigraph.nodes.listen.features import ANALYSIS_HZ, FeatureExtractor
from psigraph.nodes.listen.rhythm import RhythmTracker
from psigraph.nodes.listen.speaker import NUC, PER, SpeakerModel
from psigraph.nodes.listen.synth import syllable_train

HZ = 200.0


def feature_rows(x, rate=24000):
    fe = FeatureExtractor(rate)
    fe.push(x)
    k = np.arange(-(-len(x) // 120))
    return fe.rows(-(-(k * 120) // (rate // ANALYSIS_HZ)))


@pytest.mark.parametrize("rate", [3.0, 5.0, 7.0])
def test_onsets_count_and_timing_and_rate(rate):
    train = syllable_train(rate, phrases=2, per_phrase=12, seed=int(rate))
    rows = feature_rows(train.audio)
    tr = RhythmTracker(HZ)
    ticks = [k for k, r in enumerate(rows) if tr.step(k, r[NUC], r[PER]).onset]
    assert len(ticks) == len(train.onsets)
    lag = np.array(ticks) / HZ - np.array(train.onsets)
    assert lag.min() >= 0.0 and lag.max() < 0.08              # causal, within 80 ms of the true onset
    assert 1.0 / tr.ioi_s == pytest.approx(rate, rel=0.1)


def test_phrase_boundaries_after_pauses_only():
    train = syllable_train(5.0, phrases=3, per_phrase=8, pause_s=0.5)
    rows = feature_rows(train.audio)
    tr = RhythmTracker(HZ, pause_s=0.15)
    out = [(k, tr.step(k, r[NUC], r[PER])) for k, r in enumerate(rows)]
    bounds = [(k / HZ, t) for k, t in out if t.boundary]
    assert len(bounds) == 3
    for (time, tick), (start, end) in zip(bounds, train.phrases):
        # the last syllable falls silent in its final fifth (~40 ms): 150 ms of silence from there
        assert 0.08 <= time - end < 0.2 and tick.pause_s == pytest.approx(0.15, abs=0.01)
        assert tick.phrase_s == pytest.approx(end - start, abs=0.1)


def _speaker_run(semis):
    model = SpeakerModel(HZ)
    out = []
    for k, s in enumerate(semis):
        row = np.zeros(20)
        row[0] = 100.0 * 2 ** (s / 12)
        out.append(model.step(row, True, k))
    return np.array(out)


def test_a_pitch_step_is_novel_a_glide_is_not():
    base = 3.0 * np.sin(np.arange(800) / HZ * 2 * np.pi * 0.7)     # ±3 st intonation, 0.7 Hz
    step = base.copy()
    step[600:] += 6.0
    calm, jumped = _speaker_run(base), _speaker_run(step)
    assert calm[200:, 1].max() < 3.0
    assert jumped[600:620, 1].max() > 5.0
    assert jumped[600:620, 0].max() > calm[200:, 0].max()
