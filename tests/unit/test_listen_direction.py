"""Which way time runs in a heard voice: glottal biphases (features) and the speaker model's direction."""
import numpy as np
import pytest

from psigraph.nodes.listen.features import ANALYSIS_HZ, BIPHASE, FeatureExtractor
from psigraph.nodes.listen.speaker import DIRECTION_MIN, F0, PER, SpeakerModel
from psigraph.nodes.listen.synth import syllable_train

RATE = 24000
HZ = 200.0


def rows(x):
    fe = FeatureExtractor(RATE)
    fe.push(x)
    k = np.arange(1, len(x) // 120)
    return fe.rows(-(-(k * 120) // (RATE // ANALYSIS_HZ)))


def harmonics(f0, phases, seconds=0.6):
    t = np.arange(int(seconds * RATE)) / RATE
    return 0.1 * sum(np.cos(2 * np.pi * f0 * (h + 1) * t + p) / (h + 1) for h, p in enumerate(phases))


def circular_mean(a):
    return float(np.angle(np.exp(1j * np.asarray(a)).mean()))


@pytest.mark.parametrize("f0,phases", [(120.0, (0.3, -1.0, 2.0, 0.5, 0.0)), (200.0, (1.2, 0.4, -2.2, 1.0, 0.3))])
def test_biphases_match_the_harmonic_phases_and_reversal_negates_them(f0, phases):
    want2 = np.angle(np.exp(1j * (phases[1] - 2 * phases[0])))
    want3 = np.angle(np.exp(1j * (phases[2] - phases[1] - phases[0])))
    x = harmonics(f0, phases)
    fwd, back = rows(x)[20:-5], rows(x[::-1].copy())[20:-5]
    for r in (fwd, back):
        assert np.median(np.abs(r[:, F0] - f0)) < 0.01 * f0
    # every frame (at its own position in time) gives the same biphases: a delay cancels
    assert np.abs(np.angle(np.exp(1j * (fwd[:, BIPHASE] - want2)))).max() < 0.15
    assert np.abs(np.angle(np.exp(1j * (fwd[:, BIPHASE + 1] - want3)))).max() < 0.15
    assert circular_mean(back[:, BIPHASE]) == pytest.approx(-want2, abs=0.15)
    assert circular_mean(back[:, BIPHASE + 1]) == pytest.approx(-want3, abs=0.15)


def directions(x):
    """The speaker model's direction on every voiced tick of ``x`` (after its warm-up)."""
    model = SpeakerModel(HZ)
    out = []
    for k, r in enumerate(rows(x)):
        voiced = r[PER] > 0.7 and r[F0] > 0
        d = model.step(r, voiced, k)[3]
        out.append(d if voiced and model.state.voiced_seen > model.warmup else np.nan)
    return np.array(out), model


def test_a_voice_heard_backwards_has_direction_minus_one():
    train = syllable_train(4.0, phrases=4, per_phrase=8, f0=130.0, seed=4)   # sawtooth-like pulses: asymmetric
    half = len(train.audio) // 2
    x = np.concatenate([train.audio[:half], train.audio[half:][::-1]])
    d, model = directions(x)
    k_half = half // 120
    fwd, back = d[:k_half], d[k_half + 10:]
    assert model.state.direction_mean > DIRECTION_MIN
    assert np.nanmedian(fwd) == pytest.approx(1.0, abs=0.3)
    assert np.nanmedian(back) < -0.5
    assert np.nanmean(fwd < -0.5) < 0.02                      # forwards: (almost) never mirrored


def test_a_time_symmetric_voice_shows_no_direction():
    """Cosine-phase harmonics make symmetric pulses: backwards sounds the same, so no direction is claimed."""
    x = np.concatenate([harmonics(140.0, (0.0,) * 5, 2.0), harmonics(140.0, (0.0,) * 5, 1.0)[::-1]])
    d, model = directions(x)
    assert abs(model.state.direction_mean) < DIRECTION_MIN
    assert np.nanmax(np.abs(d)) == 0.0
