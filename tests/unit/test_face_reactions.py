"""face_animator reactions to listening events, measured on the blendshape output: surprise → ~120 ms brow
raise, repeated surprise → a "processing" frown, phrase boundary → a nod (head pitch) and a blink, syllable
onsets → saccades on the speaker's syllables, a micro-pause asked only while speaking; reported as REACTION
events by the node, whatever the block size."""
import math

import numpy as np
import pytest

from psigraph import chain
from psigraph.nodes.face.animator import AnimatorCore, read_control
from psigraph.nodes.face.arkit import INDEX

FPS, VP, CP = 60, 400, 120
LABELS = ("jaw", "lip_ap", "AV", "valence")
MS_PER_FRAME = 1000.0 / FPS


def run(events=(), n_frames=240, av=0.0, **kw):
    """Blendshapes of ``n_frames`` frames of a still face (AV = ``av``) reacting to ``events`` [(frame, kind)]."""
    core = AnimatorCore(LABELS, fps=FPS, seed=3, **kw)
    for frame, kind in events:
        core.add_event(kind, frame)
    rows = np.tile([chain.TRACT_REST["jaw"], 0.1, av, 0.0], (n_frames * VP // CP + 1, 1))
    vals = read_control(rows, 0, np.arange(n_frames, dtype=np.int64) * VP, CP, rows[0])
    return core.frames(vals, 0), core.take_reactions()


def active_ms(x, thr):
    """Milliseconds during which ``x`` exceeds ``thr`` (frames counted) and the first such frame."""
    on = np.flatnonzero(x > thr)
    return len(on) * MS_PER_FRAME, (int(on[0]) if len(on) else -1)


def test_surprise_raises_the_brows_for_about_120_ms():
    base, _ = run()
    out, reactions = run([(60, chain.SURPRISE)])
    lift = out[:, INDEX["browOuterUp_L"]] - base[:, INDEX["browOuterUp_L"]]
    assert lift.max() > 0.6
    full_ms, first = active_ms(lift, 0.05)               # the whole visible raise
    half_ms, _ = active_ms(lift, 0.5 * lift.max())       # its width at half height
    assert first == 60
    assert 100 <= full_ms <= 140 and 60 <= half_ms <= 120
    assert out[:, INDEX["browDown_L"]].max() < 0.01      # a raise, not a frown
    assert reactions == [(60, "brow", 120.0)]
    longer, _ = run([(60, chain.SURPRISE)], surprise_ms=300.0)
    assert active_ms(longer[:, INDEX["browOuterUp_L"]] - base[:, INDEX["browOuterUp_L"]], 0.05)[0] > 2 * full_ms


def test_repeated_surprise_shows_a_processing_frown():
    base, _ = run()
    heard = [(f, chain.SYLLABLE_ONSET) for f in range(0, 100, 12)]           # a speaker is talking
    out, reactions = run(heard + [(30, chain.SURPRISE), (90, chain.SURPRISE)])
    down = out[:, INDEX["browDown_L"]]
    assert down[:90].max() < 0.01                         # the first one only raised the brows
    frown_ms, first = active_ms(down, 0.05)
    assert 90 <= first <= 92 and down.max() > 0.3        # visible within 50 ms of the event
    assert 450 <= frown_ms <= 650                         # frown_ms = 600 with its soft edges
    lift = out[90:, INDEX["browOuterUp_L"]] - base[90:, INDEX["browOuterUp_L"]]
    assert lift.max() < 0.05                              # the repeat frowns instead of raising
    assert [r[1] for r in reactions] == ["brow", "frown"]
    # surprises further apart than the window are each a raise
    _, apart = run(heard + [(30, chain.SURPRISE), (30 + 5 * FPS, chain.SURPRISE)], n_frames=400)
    assert [r[1] for r in apart] == ["brow", "brow"]
    # nobody heard (a face that only speaks, as in speak.yaml): its own surprises raise the brows
    _, unheard = run([(30, chain.SURPRISE), (90, chain.SURPRISE)])
    assert [r[1] for r in unheard] == ["brow", "brow"]
    # the avatar's own surprises while it speaks keep raising the brows (and ask for pauses)
    _, speaking = run(heard + [(30, chain.SURPRISE), (90, chain.SURPRISE)], av=1.0)
    assert [r[1] for r in speaking] == ["brow", "pause", "brow", "pause"]


def test_phrase_boundary_nods_the_head_and_blinks():
    base, _ = run()
    out, reactions = run([(60, chain.PHRASE_BOUNDARY)])
    dp = out[:, INDEX["headPitch"]] - base[:, INDEX["headPitch"]]
    peak = int(np.argmax(dp))
    assert dp.max() == pytest.approx(math.radians(6.0), rel=0.05)   # the default depth
    assert abs((peak - 60) * MS_PER_FRAME - 250) <= 2 * MS_PER_FRAME  # deepest half-way through 500 ms
    nod_ms, first = active_ms(dp, 0.1 * dp.max())
    assert first >= 60 and 350 <= nod_ms <= 500
    assert np.allclose(dp[:60], 0) and np.allclose(dp[100:], 0)     # back where it was
    assert out[60:80, INDEX["eyeBlink_L"]].max() > 0.9              # listeners blink at the speaker's pauses
    assert reactions == [(60, "nod", 500.0)]
    still, _ = run([(60, chain.PHRASE_BOUNDARY)], nod_rad=0.0)
    assert np.allclose(still[:, INDEX["headPitch"]], base[:, INDEX["headPitch"]])


def test_surprise_asks_for_a_micro_pause_only_while_speaking():
    _, quiet = run([(60, chain.SURPRISE)], av=0.0)
    _, speaking = run([(60, chain.SURPRISE)], av=1.0)
    assert "pause" not in [r[1] for r in quiet]
    assert (60, "pause", 40.0) in speaking


def test_syllable_onsets_pace_the_saccades():
    onsets = list(range(30, 330, 12))                     # a speaker at 5 syllables per second for 5 s
    out, _ = run([(f, chain.SYLLABLE_ONSET) for f in onsets], n_frames=420)
    moves = np.flatnonzero(np.abs(np.diff(out[:, INDEX["gazeX"]])) > 0.02) + 1
    starts = [int(m) for m in moves if m - 1 not in moves]          # saccade onsets (each lasts a few frames)
    heard_until = onsets[-1] + FPS                        # LISTEN_HOLD_S after the last syllable
    listening = [s for s in starts if onsets[0] <= s < heard_until]
    assert len(listening) >= 3
    assert all(s in onsets for s in listening), starts    # while the speaker talks, saccades land on syllables
    assert any(s >= heard_until for s in starts)          # afterwards the eyes go back to their own schedule


def test_node_reports_reactions_at_frame_times_for_any_block_size():
    from psigraph import registry
    from psigraph.graph import Graph
    from psigraph.nodes.face.synthetic import source_node
    from psigraph.runtime import Session
    registry.register(source_node())
    evs = [{"t": 0.5, "kind": chain.SURPRISE}, {"t": 1.001, "kind": chain.SURPRISE},
           {"t": 1.5, "kind": chain.PHRASE_BOUNDARY}, {"t": 1.7, "kind": chain.SYLLABLE_ONSET}]

    def once(block):
        g = Graph()
        g.add_node("src", "face_synthetic_state", {"duration": 2.0, "seed": 1})
        g.add_node("ev", "event_source", {"events": evs})
        g.add_node("face", "face_animator")
        g.add_node("snk", "vector_sink")
        g.connect("src.state", "face.state")
        g.connect("ev.y", "face.events")
        g.connect("face.blendshapes", "snk.x")
        with Session(g, block=block) as s:
            tap = s.tap("face.reactions")
            s.run(duration=2.0)
            return [(e.t, e.payload["what"], e.payload["ms"]) for e in tap.data], s.node("snk").data.copy()

    a, da = once(480)
    b, db = once(4001)
    assert a == b and np.array_equal(da, db)
    brows = [t for t, w, _ in a if w == "brow"]
    assert brows == [12000, 24400]                        # at the event's frame (0.5 s = frame 30; 1.001 s: 61)
    assert [t for t, w, _ in a if w == "nod"] == [36000]
    for t in brows:                                       # the synthetic face speaks: no frown, raises
        f = t // VP
        assert da[f + 3, INDEX["browOuterUp_L"]] > da[f - 1, INDEX["browOuterUp_L"]] + 0.3


def test_predicted_turn_end_takes_a_breath_before_answering():
    base, _ = run()
    out, reactions = run([(60, chain.TURN_END_PREDICTED), (70, chain.TURN_END_PREDICTED)])
    jaw = out[:, INDEX["jawOpen"]] - base[:, INDEX["jawOpen"]]
    lift = base[:, INDEX["headPitch"]] - out[:, INDEX["headPitch"]]
    assert 0.07 < jaw.max() <= 0.08 + 1e-9 and lift.max() == pytest.approx(math.radians(1.5), rel=0.05)
    ms, first = active_ms(jaw, 0.01)
    assert first >= 60 and 300 <= ms <= 450 and np.allclose(jaw[100:], 0)
    assert reactions == [(60, "breath", 450.0)]           # one breath: the repeat came while breathing
