"""Voice kernels against slow numpy references; block-size invariance of the voice."""
import numpy as np
import pytest

from psigraph.nodes.speech import kernels as K
from psigraph.kernels.tract import CHANNELS, REST, Tract
from psigraph.nodes.speech.voice import VoiceQuality, VoiceSynth


def _row(**kw):
    vals = {**REST, "f0": 130.0, "F1": 700.0, "F2": 1200.0, "F3": 2550.0, "AV": 1.0, **kw}
    return np.array([vals.get(c, 0.0) for c in K.VCH])


def _ref_harmonics(row, fs, tilt, pulse=0.0, phase_bw=0.0):
    f0 = row[0]
    nh = int(0.45 * fs / f0)
    f = f0 * np.arange(1, nh + 1)
    w = 2j * np.pi * f
    tilt = max(tilt - 0.35 * row[18], 0.3)
    src = (1 + (f / 120.0) ** 2) ** (-0.5 * tilt) + 0j
    if pulse > 0:
        src = src * (K._PULSE[:nh, 0] + 1j * K._PULSE[:nh, 1])
    h = src.copy()
    fb = [(row[1 + k], row[6 + k]) for k in range(5)]
    for fk, bk in fb:
        p = -np.pi * bk + 2j * np.pi * fk
        h *= (p * np.conj(p)) / ((w - p) * (w - np.conj(p)))
    if K._FIXED_PHASE:
        ph = src.copy()
        for k in range(5):
            fk, bk = (row[1 + k], max(row[6 + k], phase_bw)) if phase_bw > 0 \
                else (500.0 + 1000.0 * k, 80.0 + 20.0 * k)
            p = -np.pi * bk + 2j * np.pi * fk
            ph *= (p * np.conj(p)) / ((w - p) * (w - np.conj(p)))
        h = np.abs(h) * ph / np.abs(ph)
    h *= np.interp(f, np.arange(len(K._HPC)) * K.HPC_STEP, K._HPC)
    edge = np.minimum((0.45 * fs - f) / (0.05 * fs), 1.0)
    return h * edge


@pytest.mark.parametrize("f0, pulse, phase_bw", [(90.0, 0.0, 0.0), (150.0, 0.0, 0.0), (240.0, 0.0, 0.0),
                                                 (90.0, 1.0, 80.0), (150.0, 1.0, 0.0), (150.0, 1.0, 300.0)])
def test_harmonics_match_reference(f0, pulse, phase_bw):
    row = _row(f0=f0)
    re, im = np.zeros(K.MAXH), np.zeros(K.MAXH)
    K._harmonics(row, 24000.0, 1.0, pulse, phase_bw, row[1:6].copy(), re, im)
    ref = _ref_harmonics(row, 24000.0, 1.0, pulse, phase_bw)
    np.testing.assert_allclose(re[:len(ref)] + 1j * im[:len(ref)], ref, rtol=1e-9, atol=1e-12)
    assert np.all(re[len(ref):] == 0)


def test_envelope_peaks_at_formants():
    row = _row(f0=50.0)
    re, im = np.zeros(K.MAXH), np.zeros(K.MAXH)
    K._harmonics(row, 24000.0, 0.0 + 0.3, 0.0, 0.0, row[1:6].copy(), re, im)
    mag = np.hypot(re, im)
    f = 50.0 * np.arange(1, K.MAXH + 1)
    band = (f > 400) & (f < 1000)
    assert abs(f[band][np.argmax(mag[band])] - 700.0) <= 50.0


def test_steady_vowel_equals_direct_sum_of_cosines():
    """No noise, jitter or shimmer: the bank is Σ a_h cos(hθ) − b_h sin(hθ) with θ += 2π f0/fs
    (the default source: pulse phases, the tract's phase from the row's formants)."""
    q = VoiceQuality(breathiness=0.0, jitter=0.0, shimmer=0.0, gain=0.01)
    v = VoiceSynth(K.VCH, q, 24000, 120, 0)
    v.prm[K.P_ASP] = v.prm[K.P_FRIC] = v.prm[K.P_BURST] = 0.0
    row = _row(f0=125.0, loud=1.0)
    rows = np.repeat(row[None], 5, axis=0)
    out = v.render(0, rows, 600)
    ref_h = _ref_harmonics(row, 24000.0, 1.0 - q.effort, v.prm[K.P_PULSE], v.prm[K.P_PHASE_BW])
    theta = np.cumsum(np.full(600, 2 * np.pi * 125.0 / 24000.0)) % (2 * np.pi)
    h = np.arange(1, len(ref_h) + 1)
    ref = (ref_h.real[None] * np.cos(theta[:, None] * h) - ref_h.imag[None] * np.sin(theta[:, None] * h)).sum(1)
    ref *= 0.01
    assert np.abs(ref).max() < K._KNEE            # below the limiter: exactly linear
    np.testing.assert_allclose(out, ref, atol=1e-7 * np.abs(ref).max())


def test_pulse_phase_puts_the_closure_at_theta_zero():
    """The source phases are those of a flow-derivative pulse: summed with equal magnitudes
    (a band-limited derivative of the flow), the strongest (negative) excursion is the closure at θ = 0,
    and the flow is zero through the closed phase."""
    th = np.linspace(0, 2 * np.pi, 2048, endpoint=False)
    h = np.arange(1, 41)
    g = K._PULSE[:40, 0] + 1j * K._PULSE[:40, 1]
    mag = np.abs(np.fft.rfft(np.diff(np.append(K._flow_pulse(), 0.0)))[1:41])
    x = (mag * g * np.exp(1j * np.outer(th, h))).real.sum(1)
    i = np.argmin(x)
    assert min(i, 2048 - i) < 2048 * 0.02 and x[i] < -2 * x.max()     # band-limited: just before θ = 0
    flow = K._flow_pulse(n=1000)
    assert np.all(flow[: int(1000 * (1 - K.OPEN_QUOTIENT)) - 1] == 0) and flow.max() == pytest.approx(1, abs=1e-3)


def _noise_only(prm_kw, seconds=0.3):
    """The aspiration of a breathy 100 Hz vowel alone (the same vowel without breath subtracted)."""
    q = VoiceQuality(breathiness=0.5, jitter=0.0, shimmer=0.0, gain=0.05)
    v = VoiceSynth(K.VCH, q, 24000, 120, 3)
    for k, val in prm_kw.items():
        v.prm[getattr(K, k)] = val
    v.prm[K.P_FRIC] = v.prm[K.P_BURST] = 0.0
    row = _row(f0=100.0, loud=1.0)
    n = int(seconds * 24000)
    out = v.render(0, np.repeat(row[None], n // 120 + 1, axis=0), n)
    v2 = VoiceSynth(K.VCH, VoiceQuality(breathiness=0.0, jitter=0.0, shimmer=0.0, gain=0.05), 24000, 120, 3)
    for k, val in prm_kw.items():
        v2.prm[getattr(K, k)] = val
    v2.prm[K.P_FRIC] = v2.prm[K.P_BURST] = 0.0
    return out - v2.render(0, np.repeat(row[None], n // 120 + 1, axis=0), n)


def test_gated_aspiration_is_pitch_synchronous():
    """With the gate the breath noise stops through the closed phase: folded on the 100 Hz cycle
    (θ = 2π(k+1)/240 at sample k), its energy 2-4 ms after the closure (past the formant ringing)
    is a small part of the cycle's, much smaller than with the raised-cosine modulation."""
    def closed_share(x):
        e = (x[2400:] ** 2).reshape(-1, 240).mean(0)
        return e[50:90].mean() / e.mean()
    gated, smooth = closed_share(_noise_only({"P_ASP_GATE": 1.0})), closed_share(_noise_only({"P_ASP_GATE": 0.0}))
    assert gated < 0.25 and gated < 0.5 * smooth, (gated, smooth)


def test_soft_limiter_bounds_output():
    q = VoiceQuality(gain=50.0)
    v = VoiceSynth(K.VCH, q, 24000, 120, 0)
    row = _row(f0=125.0, loud=1.0)
    out = v.render(0, np.repeat(row[None], 5, axis=0), 600)
    assert np.abs(out).max() <= 1.0 and np.abs(out).max() > 0.95


def test_hash_noise_is_uniform_and_counter_based():
    x = np.array([K._hash(3, 4, i) for i in range(20000)])
    assert -1 <= x.min() and x.max() < 1 and abs(x.mean()) < 0.02 and abs(x.var() - 1 / 3) < 0.01
    assert K._hash(3, 4, 17) == x[17] and K._hash(4, 4, 17) != x[17]


def _track(seconds=0.6):
    t = Tract()
    ev = [(0, {"values": {"f0": 120.0, "AV": 1.0, "F1": 700.0, "F2": 1200.0}, "mode": "step"}),
          (20, {"values": {"f0": 180.0}, "tau_ms": 200.0, "mode": "ramp"}),
          (30, {"values": {"AV": 0.0, "AF": 0.7, "FF": 5500.0, "FB": 1800.0}, "tau_ms": 5.0}),
          (50, {"values": {"AB": 1.0, "AH": 0.5}, "mode": "step"}),
          (52, {"values": {"AB": 0.0, "AH": 0.0, "AF": 0.0, "AV": 0.8, "AN": 1.0}, "tau_ms": 6.0}),
          (80, {"values": {"arousal": 0.8, "valence": -0.7}, "tau_ms": 20.0})]
    return t.run(ev, int(seconds * 200))


@pytest.mark.parametrize("block", [1, 37, 480, 24000])
def test_voice_block_size_invariance(block):
    track = _track()
    n = track.shape[0] * 120
    q = VoiceQuality(vibrato_cents=30.0)
    ref = VoiceSynth(CHANNELS, q, seed=5).render(0, track, n)
    v = VoiceSynth(CHANNELS, q, seed=5)
    out, t = [], 0
    sizes = [block, 0] if block > 1 else [1]
    i = 0
    while t < n:
        m = min(sizes[i % len(sizes)], n - t)
        i += 1
        k0, k1 = -(-t // 120), -(-(t + m) // 120)
        out.append(v.render(t, track[k0:k1], m))
        t += m
    got = np.concatenate(out)
    assert np.isfinite(ref).all() and np.abs(ref).max() > 0.01
    assert np.array_equal(got, ref)


def test_seed_changes_noise_only():
    track = _track(0.2)
    a = VoiceSynth(CHANNELS, seed=1).render(0, track, 24000 // 5)
    b = VoiceSynth(CHANNELS, seed=2).render(0, track, 24000 // 5)
    assert not np.array_equal(a, b)
    assert np.corrcoef(a, b)[0, 1] > 0.5


def test_phase_formants_follow_the_row_with_the_set_lag():
    """The formants the harmonics' phases follow (res[19:24]) start at the first row's and
    then approach a new row's exponentially with time constant P_PHASE_TAU."""
    v = VoiceSynth(K.VCH, VoiceQuality(), 24000, 120, 0)
    tau = v.prm[K.P_PHASE_TAU]
    assert tau > 0 and v.prm[K.P_PHASE_BW] > 0
    a, b = _row(F1=700.0), _row(F1=300.0)
    rows = np.stack([a] + [b] * 20)
    v.render(0, rows[:1], 120)
    assert v.state.res[19] == 700.0
    v.render(120, rows[1:], 20 * 120)
    want = 300.0 + 400.0 * np.exp(-20 * 120 / (24000 * tau))
    assert v.state.res[19] == pytest.approx(want, rel=1e-9)
