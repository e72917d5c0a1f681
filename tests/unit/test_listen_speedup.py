"""The speaker model's speed-up: syllables much faster than the speaker's pace, within a phrase (the
interval ratio of two syllables and the nucleus ratio of one)."""
import numpy as np

from psigraph.nodes.listen.features import ANALYSIS_HZ, FeatureExtractor
from psigraph.nodes.listen.rhythm import RhythmTracker
from psigraph.nodes.listen.speaker import NUC, PER, SpeakerModel
from psigraph.nodes.listen.synth import syllable_train

RATE = 24000
HZ = 200.0


def phrase(rate, n, seed):
    t = syllable_train(rate, phrases=1, per_phrase=n, seed=seed, jitter=0.1)
    a, b = (int(round(s * RATE)) for s in t.phrases[0])
    return t.audio[a:b], [o - t.phrases[0][0] for o in t.onsets]


def speedups(x):
    fe = FeatureExtractor(RATE)
    fe.push(x)
    k = np.arange(1, len(x) // 120)
    rows = fe.rows(-(-(k * 120) // (RATE // ANALYSIS_HZ)))
    tracker, model = RhythmTracker(HZ), SpeakerModel(HZ)
    out = []
    for i, r in enumerate(rows):
        period = tracker.ioi_s
        tick = tracker.step(i, r[NUC], r[PER])
        out.append(model.speedup(i, tick.onset, tick.boundary, period, tracker.state.counted > 5, tick.nucleus_s))
    return np.array(out)


def test_a_tempo_jump_shows_within_the_first_syllable_and_steady_speech_stays_below():
    pause = np.zeros(int(0.6 * RATE))
    steady, _ = phrase(4.0, 10, 1)
    slow, slow_onsets = phrase(4.0, 4, 2)
    fast, fast_onsets = phrase(9.0, 8, 3)
    x = np.concatenate([pause, steady, pause, steady, pause, slow, fast, pause])
    s = speedups(x)
    jump_at = len(pause) * 3 + 2 * len(steady) + len(slow)               # sample where the fast part starts
    k_jump = jump_at // 120
    assert s[:k_jump].max() < 1.3                                          # steady 4 syll/s: pace ≈ 1
    after = np.flatnonzero(s[k_jump:] > 2.0)                               # the listener's speedup0
    assert len(after), s[k_jump:].max()
    # the first nucleus of the 9 syll/s part ends short: within one syllable (111 ms) and the
    # detectors' lags, before a second interval of the new tempo is complete (2 × 111 ms)
    assert after[0] / HZ < 1 / 9.0 + 0.03
    assert np.median(s[k_jump + 40:k_jump + len(fast) // 120]) > 1.8    # it holds while the fast part goes on


def test_the_nucleus_ratio_is_neutral_until_the_speaker_is_known():
    model = SpeakerModel(HZ)
    for k in range(4):                                                     # four nuclei: not yet a norm
        assert model.speedup(10 * k, False, False, 0.25, False, 0.12) == 1.0
    assert model.speedup(50, False, False, 0.25, False, 0.12) == 1.0      # the 5th is learnt, then judged
    assert abs(model.speedup(60, False, False, 0.25, False, 0.03) - 2.0) < 1e-9   # 4x shorter: sqrt(1 * 4)
    assert model.speedup(60 + 30, False, False, 0.25, False, 0.0) == 1.0  # held 150 ms, then neutral again
