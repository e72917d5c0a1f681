"""The speaker model's departures within a phrase: the speed-up (syllables much faster than the
speaker's pace: the interval ratio of two syllables and the nucleus ratio of one) and the pitch
step measured across a voiceless gap."""
import numpy as np

from psigraph.nodes.listen.features import ANALYSIS_HZ, FEATURE_LABELS, FeatureExtractor
from psigraph.nodes.listen.rhythm import RhythmTracker
from psigraph.nodes.listen.speaker import F0, NUC, PER, SpeakerModel
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


def pitch_steps(gap_ticks: int, boundary: bool = False) -> list:
    """Pitch steps heard when a voice at 100 Hz goes silent for ``gap_ticks`` (a voiceless consonant
    or a closure) and comes back 6 semitones higher."""
    model, row, k = SpeakerModel(HZ), np.zeros(len(FEATURE_LABELS)), 0
    for f0, n, voiced in ((100.0, 150, True), (0.0, gap_ticks, False), (100.0 * 2 ** 0.5, 10, True)):
        if boundary and not voiced:
            model.phrase_boundary()
        row[F0] = f0
        out = [model.step(row, voiced, k + i)[1] for i in range(n)]
        k += n
    return out


def test_a_pitch_step_across_a_voiceless_gap_is_measured_against_the_voice_before_it():
    assert abs(max(pitch_steps(50)) - 6.0) < 0.01          # 250 ms gap: the step is seen
    assert max(pitch_steps(10)) > 5.9                       # 50 ms: inside the usual 60-200 ms context
    assert max(pitch_steps(70)) == 0.0                      # 350 ms: too long ago to be the reference
    assert max(pitch_steps(50, boundary=True)) == 0.0       # a new phrase may start anywhere
