"""The entrained syllable oscillator's frequency (entrainment.syllable_hz) against the heard rate,
through the listening graph: phases corrected at onsets are not frequency, and the free-running
oscillator between turns does not leak into the next turn."""
import numpy as np
import pytest
from psigraph.nodes.listen.synth import syllable_train

RATE = 24000


def entrained_hz(listen_blocks, tmp_path, audio):
    rows, _ = listen_blocks(audio, RATE, tmp_path / "s.wav", "entrain.entrainment")
    return np.vstack(rows)[:, 0]


@pytest.mark.parametrize("rate", [3.0, 7.0])
def test_frequency_tracks_the_rate_from_the_start_of_each_turn(listen_blocks, tmp_path, rate):
    # turns 1.5 s apart: the oscillator runs free at its own 4 Hz in between
    train = syllable_train(rate, phrases=3, per_phrase=10, jitter=0.3, pause_s=1.5, seed=int(rate) + 20)
    hz = entrained_hz(listen_blocks, tmp_path, train.audio)
    t = np.arange(len(hz)) / 200.0
    true = len(train.onsets) / train.speaking_s
    speaking = np.zeros(len(hz), bool)
    for a, b in train.phrases[1:]:
        speaking |= (t >= a) & (t < b)
        start = (t >= a + 0.05) & (t < a + 0.3)            # the first syllables of a turn
        assert hz[start].mean() == pytest.approx(true, rel=0.08)
    assert hz[speaking].mean() == pytest.approx(true, rel=0.05)
