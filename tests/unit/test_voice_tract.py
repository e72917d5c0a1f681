"""Tract channel dynamics: exact solutions, chunk invariance, modes."""
import pickle

import numpy as np
import pytest

from psigraph.kernels.tract import CHANNELS, INDEX, REST, Tract


def test_channels_match_speech_chain_doc():
    from pathlib import Path
    doc = (Path(__file__).resolve().parents[2] / "docs" / "SPEECH_CHAIN.md").read_text()
    for name in CHANNELS:
        assert f"`{name}`" in doc or name in ("F2", "F3", "F4", "B2", "B3", "B4"), name
    assert len(set(CHANNELS)) == len(CHANNELS) == len(REST)


def test_rest_and_reset():
    t = Tract()
    out = np.empty((3, len(CHANNELS)))
    t.apply({"values": {"F1": 700.0}, "mode": "step"})
    t.reset()
    t.step(out)
    assert np.array_equal(out[0], [REST[c] for c in CHANNELS])


def test_smooth_is_exact_critically_damped():
    t = Tract(200.0)
    t.apply({"values": {"F1": 800.0}, "tau_ms": 20.0, "mode": "smooth"})
    out = np.empty((40, len(CHANNELS)))
    t.step(out)
    k = np.arange(40) * 0.005
    e0 = REST["F1"] - 800.0
    ref = 800.0 + e0 * (1 + k / 0.02) * np.exp(-k / 0.02)
    np.testing.assert_allclose(out[:, INDEX["F1"]], ref, rtol=0, atol=1e-9)


def test_smooth_retarget_keeps_velocity_continuous():
    t = Tract(200.0)
    t.apply({"values": {"F2": 2000.0}, "tau_ms": 15.0})
    a = np.empty((5, len(CHANNELS)))
    t.step(a)
    x, v = t.current()
    assert v[INDEX["F2"]] > 0
    t.apply({"values": {"F2": 900.0}, "tau_ms": 15.0})
    x2, v2 = t.current()
    assert x2[INDEX["F2"]] == pytest.approx(x[INDEX["F2"]]) and v2[INDEX["F2"]] == pytest.approx(v[INDEX["F2"]])


def test_ramp_hits_points_exactly():
    t = Tract(200.0)
    t.apply({"values": {"f0": 100.0}, "mode": "step"})
    track = t.run([(10, {"values": {"f0": 200.0}, "tau_ms": 100.0, "mode": "ramp"}),
                   (30, {"values": {"f0": 150.0}, "tau_ms": 50.0, "mode": "ramp"})], 50)
    f0 = track[:, INDEX["f0"]]
    assert f0[10] == 100.0 and f0[20] == pytest.approx(150.0, abs=1e-9) and f0[30] == pytest.approx(200.0, abs=1e-9)
    assert f0[40] == pytest.approx(150.0, abs=1e-9) and f0[49] == pytest.approx(150.0, abs=1e-9)
    np.testing.assert_allclose(f0[10:31], np.linspace(100, 200, 21), atol=1e-9)


def test_step_visible_at_its_tick():
    t = Tract(200.0)
    track = t.run([(5, {"values": {"viseme": 7.0}, "mode": "step"})], 8)
    assert track[4, INDEX["viseme"]] == 0.0 and track[5, INDEX["viseme"]] == 7.0


def test_chunking_is_bit_identical():
    rng = np.random.default_rng(1)
    events = []
    for k in sorted(rng.integers(0, 300, 40)):
        ch = rng.choice(CHANNELS, 3, replace=False)
        events.append((int(k), {"values": {c: float(rng.uniform(0, 3000)) for c in ch},
                                "tau_ms": float(rng.choice([0.0, 5.0, 20.0, 80.0])),
                                "mode": str(rng.choice(["smooth", "ramp", "step"]))}))
    ref = Tract().run(events, 300)
    t = Tract()
    parts, pos = [], 0
    for k, p in events + [(300, None)]:
        while pos < k:
            n = min(int(rng.integers(0, 4)), k - pos)
            b = np.empty((n, len(CHANNELS)))
            t.step(b)
            parts.append(b)
            pos += n
        if p is not None:
            t.apply(p)
    assert np.array_equal(np.concatenate(parts), ref)
    pickle.loads(pickle.dumps(t.state))


def test_bad_channel_and_mode_are_clear():
    t = Tract()
    with pytest.raises(ValueError, match="unknown tract channel 'F9'"):
        t.apply({"values": {"F9": 1.0}})
    with pytest.raises(ValueError, match="mode"):
        t.apply({"values": {"F1": 1.0}, "mode": "jump"})
