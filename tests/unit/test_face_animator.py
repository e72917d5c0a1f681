"""face_animator maths without the runtime: reading the state, rest at frame 0, closures, expressions, blinks."""
import pickle

import numpy as np
import pytest

from psigraph import chain
from psigraph.nodes.face.animator import AnimatorCore, animate, hash01, interp_control, read_control, rest_row
from psigraph.nodes.face.arkit import INDEX
from psigraph.nodes.face.metrics import blinks, closure_hits
from psigraph.nodes.face.synthetic import LABELS, synthetic_state

FPS, VP, CP = 60, 400, 120


def track(rows, labels=LABELS, seed=0, **kw):
    return animate(rows, labels, period=CP, frame_period=VP, fps=FPS, n_frames=len(rows) * CP // VP, seed=seed, **kw)


def test_interp_matches_speech_chain_formula():
    rows = np.arange(10.0)[:, None] ** 2
    t = np.array([0, 119, 120, 300, 1079])
    got = interp_control(rows, 0, t, 120)[:, 0]
    k = t // 120
    want = [rows[max(kk - 1, 0), 0] + (rows[kk, 0] - rows[max(kk - 1, 0), 0]) * (tt - kk * 120) / 120 for tt, kk in zip(t, k)]
    assert np.allclose(got, want)
    with pytest.raises(ValueError):
        interp_control(rows, 0, np.array([1200]), 120)


def test_read_control_shows_the_state_at_each_time_from_earlier_rows():
    rows = 0.01 * np.arange(1.0, 11.0)[:, None]                  # a ramp: 0.01 per tick from tick 0
    prior = np.array([0.0])
    t = np.array([0, 40, 280, 360, 400, 1079])
    got = read_control(rows, 0, t, CP, prior)[:, 0]
    assert got[0] == 0.0                                           # nothing before t = 0: the prior (rest)
    assert np.allclose(got[2:], 0.01 * (1 + t[2:] / CP))           # the ramp at t itself, not one tick late
    # only rows strictly before t matter (the rows the voice has used by then)
    changed = rows.copy()
    changed[3:] = 5.0
    assert np.allclose(read_control(changed, 0, np.array([0, 200, 360]), CP, prior),
                       read_control(rows, 0, np.array([0, 200, 360]), CP, prior))
    # a step is held, never overshot; once a turning point shows in the rows it is held, not extrapolated past
    step = np.array([[0.0], [0.0], [0.0], [1.0], [1.0], [1.0]])
    assert read_control(step, 0, np.arange(0, 720, 40), CP, prior).max() == 1.0
    peak = np.array([[0.0], [1.0], [2.0], [1.0], [0.0]])
    assert np.all(read_control(peak, 0, np.arange(3 * CP + 1, 4 * CP + 1, 40), CP, prior) == 1.0)
    with pytest.raises(ValueError):
        read_control(rows, 3, np.array([400]), CP, prior)          # ticks 1-2 are not kept


def test_read_control_steps_and_phases():
    rows = np.array([[6.1, 3.0], [6.2, 4.0], [0.02, 5.0], [0.12, 5.0]])   # phase wraps; col 1 a label
    got = read_control(rows, 0, np.array([300, 360, 400]), CP, np.zeros(2), step_cols=(1,), phase_cols=(0,))
    assert np.allclose(got[:, 1], [5.0, 5.0, 5.0])
    assert np.all((0 <= got[:, 0]) & (got[:, 0] < 2 * np.pi))
    assert np.allclose(got[1, 0], np.mod(0.02 + 0.1, 2 * np.pi), atol=0.03)


def test_face_starts_at_rest():
    labels = ("jaw", "lip_ap", "valence", chain.phase_label(chain.SYLLABLE), chain.amp_label(chain.SYLLABLE))
    row = np.array([0.7, 0.6, 1.0, 1.0, 1.0])                      # open, smiling, from the very first tick
    out = track(np.tile(row, (60, 1)), labels)
    assert out[0, INDEX["jawOpen"]] == pytest.approx(chain.TRACT_REST["jaw"])
    assert out[0, INDEX["mouthSmile_L"]] < 0.05                    # filters start at rest, not at the first row
    assert out[-1, INDEX["jawOpen"]] == pytest.approx(0.7) and out[-1, INDEX["mouthSmile_L"]] > 0.5
    assert np.allclose(rest_row(labels), [chain.TRACT_REST["jaw"], chain.TRACT_REST["lip_ap"], 0, 0, 0])


def test_hash_is_counter_based():
    assert hash01(1, 2, 3) == hash01(1, 2, 3)
    u = np.array([hash01(5, 0, i) for i in range(2000)])
    assert 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.03


def test_output_shape_range_and_pickle():
    rows, _, _ = synthetic_state(3.0, seed=2)
    core = AnimatorCore(LABELS, fps=FPS)
    vals = read_control(rows, 0, np.arange(180, dtype=np.int64) * VP, CP, core.rest)
    out = core.frames(vals, 0)
    assert out.shape == (180, 58)
    assert out[:, :52].min() >= 0 and out[:, :52].max() <= 1
    assert set(np.unique(out[:, INDEX["viseme"]])) <= set(range(15))
    pickle.loads(pickle.dumps(core.state))


def test_bilabial_closures():
    rows, _, phones = synthetic_state(40.0, seed=4)
    out = track(rows)
    hits, total = closure_hits(out[:, INDEX["mouthClose"]], phones)
    assert total > 30 and hits / total >= 0.95


def test_rounding_and_spreading():
    row = np.zeros(len(LABELS)); row[[0, 1, 2]] = 0.25, 0.3, 1.0
    o = track(np.tile(row, (60, 1)))[-1]
    assert o[INDEX["mouthPucker"]] > 0.3 and o[INDEX["mouthClose"]] < 0.1
    row = np.zeros(len(LABELS)); row[[0, 1, 3]] = 0.25, 0.5, 1.0
    o = track(np.tile(row, (60, 1)))[-1]
    assert o[INDEX["mouthStretch_L"]] > 0.4


def _mean(rows_emotion, name):
    rows, _, _ = synthetic_state(10.0, seed=1, emotion=rows_emotion)
    o = track(rows)
    if name.endswith("_"):
        return (o[:, INDEX[name + "L"]] + o[:, INDEX[name + "R"]]).mean() / 2
    return o[:, INDEX[name]].mean()


def test_expressions_are_measurable():
    neutral, happy, sad = (0, 0, 0), (0.8, 0.5, 0.3), (-0.7, -0.5, -0.4)
    assert _mean(happy, "mouthSmile_") - _mean(neutral, "mouthSmile_") >= 0.3
    assert _mean(sad, "browInnerUp") > _mean(neutral, "browInnerUp") + 0.2
    assert _mean(sad, "mouthFrown_") > _mean(neutral, "mouthFrown_") + 0.2


def test_blink_rate_and_duration():
    rows, _, _ = synthetic_state(60.0, seed=7)
    for seed in (0, 1, 2):
        b = blinks(track(rows, seed=seed)[:, INDEX["eyeBlink_L"]])
        assert 10 <= len(b) <= 20, len(b)
        durs = np.array([d for _, d in b])
        assert durs.min() >= 0.1 - 1e-9 and durs.max() <= 0.2 + 1e-9


def test_missing_roles_fall_back():
    labels = ("phase:syllable", "amp:syllable")
    t = np.arange(400) / 200.0
    rows = np.stack([2 * np.pi * 4 * t, np.ones_like(t)], 1)
    out = track(rows, labels)
    assert out[:, INDEX["jawOpen"]].max() > 0.5           # jaw from the syllable oscillator
    assert out[:, INDEX["eyeBlink_L"]].max() >= 0 and np.isfinite(out).all()


def test_surprise_event_raises_brows_for_120ms():
    core = AnimatorCore(LABELS, fps=FPS, head_motion=0.0)
    core.add_surprise(30)
    vals = np.tile(core.rest, (60, 1))
    out = core.frames(vals, 0)
    brow = out[:, INDEX["browInnerUp"]]
    assert brow[:30].max() == 0 and brow[30:37].max() > 0.8 and brow[37:].max() == 0
    assert out[30:37, INDEX["eyeWide_L"]].max() > 0.8


def test_phase_channels_interpolate_on_the_circle():
    rows = np.array([[6.2], [0.1], [0.4]])
    got = interp_control(rows, 0, np.array([120, 180, 240]), 120, phase_cols=(0,))[:, 0]
    assert np.allclose(got, [6.2, np.mod(6.2 + (0.1 - 6.2 + 2 * np.pi) / 2, 2 * np.pi), 0.1])


def test_blink_oscillator_times_the_blinks():
    labels = ("phase:blink", "amp:blink")
    t = np.arange(200 * 60) / 200.0
    rows = np.stack([np.mod(2 * np.pi * t / 4.0, 2 * np.pi), np.ones_like(t)], 1)   # one wrap per 4 s
    out = track(rows, labels)
    onsets = [s for s, _ in blinks(out[:, INDEX["eyeBlink_L"]])]
    assert 13 <= len(onsets) <= 15
    assert all(abs((s % 4.0) - 0.0) < 0.05 or abs((s % 4.0) - 4.0) < 0.05 for s in onsets[1:])
