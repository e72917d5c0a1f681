"""The heard syllable rate (RhythmTracker): what counts as a syllable nucleus and how the period
estimate follows the time actually spent speaking."""
import numpy as np
import pytest

from psigraph.nodes.listen.features import ANALYSIS_HZ, FeatureExtractor
from psigraph.nodes.listen.rhythm import RhythmTracker
from psigraph.nodes.listen.speaker import NUC, PER
from psigraph.nodes.listen.synth import syllable_train

HZ = 200.0


def run(levels, tracker=None, periodicity=0.9):
    """Step a tracker through nucleus levels (dB, one per 5 ms tick); returns (tracker, onset ticks, periods)."""
    tr = tracker or RhythmTracker(HZ)
    onsets, periods = [], []
    for k, db in enumerate(levels):
        if tr.step(k, db, periodicity if db > -90 else 0.0).onset:
            onsets.append(k)
        periods.append(tr.ioi_s)
    return tr, onsets, np.array(periods)


def ticks(seconds, db):
    return [db] * int(round(seconds * HZ))


def vowel(seconds, peak=0.0):
    n = int(round(seconds * HZ))
    return list(peak - 30.0 * (1 - np.sin(np.pi * np.arange(n) / n)))     # rises 30 dB and falls back


def test_a_weak_voiced_murmur_before_a_vowel_is_not_a_nucleus():
    # a syllable at 0 dB, a stop closure, a voice bar 27 dB down (a voiced stop), then the next vowel
    levels = vowel(0.2) + ticks(0.06, -100) + ticks(0.04, -27) + ticks(0.03, -36) + vowel(0.25)
    _, onsets, _ = run(levels)
    assert len(onsets) == 2
    assert onsets[1] / HZ > 0.2 + 0.06 + 0.04 + 0.03                    # on the vowel, not on the voice bar
    _, loose, _ = run(levels, RhythmTracker(HZ, vowel_db=100.0))        # without the vowel criterion
    assert len(loose) == 3


def test_the_period_lengthens_while_a_syllable_outlasts_it_and_not_during_a_pause():
    regular = [db for _ in range(12) for db in vowel(0.2)]              # 5 syllables per second
    held = ticks(0.5, -3.0)                                             # then one long sustained vowel
    _, onsets, period = run(regular + held)
    k_long = onsets[-1]
    assert period[k_long] == pytest.approx(0.2, rel=0.05)
    # 400 ms into it (200 ms beyond the period) the estimate has taken a tenth of the excess (10 syllables' memory)
    assert period[k_long + 80] == pytest.approx(period[k_long] + 0.1 * (0.4 - period[k_long]), abs=0.005)
    assert period[-1] > period[k_long + 80]
    _, onsets2, period2 = run(regular + ticks(1.0, -100))             # a pause is not speaking time
    assert period2[-1] == pytest.approx(period2[onsets2[-1]], abs=0.002)


@pytest.mark.parametrize("rate", [3.0, 5.0, 7.0])
def test_the_rate_averaged_over_speaking_time_is_the_syllables_per_second(rate):
    train = syllable_train(rate, phrases=3, per_phrase=12, jitter=0.3, pause_s=1.2, seed=int(rate) + 3)
    fe = FeatureExtractor(train.rate)
    fe.push(train.audio)
    k = np.arange(len(train.audio) // 120)
    rows = fe.rows(-(-(k * 120) // (train.rate // ANALYSIS_HZ)))
    tr = RhythmTracker(HZ)
    heard = np.array([1.0 / (tr.step(i, r[NUC], r[PER]), tr.ioi_s)[1] for i, r in enumerate(rows)])
    t = k / HZ
    speaking = np.zeros(len(t), bool)
    for a, b in train.phrases[1:]:                                      # once the first phrase was heard
        speaking |= (t >= a) & (t < b)
    assert heard[speaking].mean() == pytest.approx(len(train.onsets) / train.speaking_s, rel=0.05)
