"""Face nodes outside a graph: zero-length spans, the node protocol (check, warmup, roles), clear refusals."""
import inspect

import numpy as np
import pytest

from psigraph import chain
from psigraph.errors import ParamError, PsigraphError
from psigraph.nodes.face import node as fn
from psigraph.ports import SignalSpec
from psigraph.testing import empty_inputs, instantiate

FACE_TYPES = (fn.FaceAnimator, fn.FaceRender, fn.FramesSink, fn.VideoSink)


def test_zero_length_spans(tmp_path):
    cases = [(fn.FaceAnimator, {}), (fn.FaceRender, {"width": 16, "height": 16}),
             (fn.FramesSink, {"path": str(tmp_path / "f.jsonl")}),
             (fn.VideoSink, {"path": str(tmp_path / "v.mp4"), "width": 16, "height": 16})]
    for cls, params in cases:
        node = instantiate(cls, params)
        out = node.process(**empty_inputs(node))
        if cls is fn.FaceAnimator:
            assert out["blendshapes"].shape == (0, 58) and out["reactions"] == []
        if cls is fn.FaceRender:
            assert out.shape == (0, 16 * 16 * 4) and out.dtype == np.uint8
        node.close()
    assert not list(tmp_path.iterdir())              # no file (not even a temporary one) before the first frame


def test_animator_spans_of_one_sample_match_one_block():
    rows = np.random.default_rng(0).random((40, 6))
    a, b = instantiate(fn.FaceAnimator), instantiate(fn.FaceAnimator)
    period = a.in_specs["state"].period
    a.t0, a.t1 = 0, 40 * period
    ref = a.process(state=rows)["blendshapes"]
    parts, t = [], 0
    for step in (1, 119, 1, 400, 0, 1279, 40 * period - 1800):
        b.t0, b.t1 = t, t + step
        k0 = -(-t // period)
        k1 = -(-(t + step) // period)
        parts.append(b.process(state=rows[k0:k1])["blendshapes"])
        t += step
    assert np.array_equal(np.concatenate(parts), ref)


def test_roles_and_protocol():
    assert fn.FaceAnimator.ROLE == chain.FACE and fn.FaceRender.ROLE == chain.RENDER
    assert fn.FramesSink.ROLE == chain.FRAMES_FILE and fn.VideoSink.ROLE == chain.VIDEO_FILE
    for cls in FACE_TYPES:
        assert "__getstate__" not in vars(cls), cls          # no pickling hacks: the pre-roll is gone
        src = inspect.getsource(cls)
        assert "getattr(self" not in src, cls                  # context comes from bind(), never a fallback


def _codes(issues):
    return {(i.path, i.code) for i in issues}


def test_animator_check_needs_a_mouth_driver():
    tb_p = 120
    ok = SignalSpec(tb_p, 2, labels=("jaw", "valence"), rate_hz=200.0)
    assert fn.FaceAnimator.check(fn.FaceAnimatorParams(), {"state": ok}) == []
    osc = SignalSpec(tb_p, 2, labels=(chain.phase_label(chain.SYLLABLE), chain.amp_label(chain.SYLLABLE)), rate_hz=200.0)
    assert fn.FaceAnimator.check(fn.FaceAnimatorParams(), {"state": osc}) == []
    for spec in (SignalSpec(tb_p, 3, labels=("phase:micro0", "amp:micro0", "r"), rate_hz=200.0),
                 SignalSpec(1, 1, rate_hz=24000.0)):                               # generic core / a sine
        issues = fn.FaceAnimator.check(fn.FaceAnimatorParams(), {"state": spec})
        assert _codes(issues) == {("inputs.state", "input.missing_channel")}
        assert "jaw" in issues[0].message and "phase:syllable" in issues[0].message
    assert fn.FaceAnimator.check(fn.FaceAnimatorParams(), {}) == []               # unresolved: nothing to say


def test_render_and_sink_checks(tmp_path):
    bs = SignalSpec(400, 58, labels=fn.BLENDSHAPE_LABELS, rate_hz=60.0)
    sine = SignalSpec(400, 1, rate_hz=60.0)
    assert fn.FaceRender.check(fn.FaceRenderParams(), {"blendshapes": bs}) == []
    assert _codes(fn.FaceRender.check(fn.FaceRenderParams(background=[2.0, 0.0, 0.0]), {"blendshapes": bs})) == \
        {("params.background", "param.range")}
    assert _codes(fn.FaceRender.check(fn.FaceRenderParams(), {"blendshapes": sine})) == \
        {("inputs.blendshapes", "input.missing_channel")}
    assert _codes(fn.FramesSink.check(fn.FramesSinkParams(path=str(tmp_path / "f.jsonl")), {"blendshapes": sine})) == \
        {("inputs.blendshapes", "input.missing_channel")}

    def video(inputs=None, **kw):
        p = fn.VideoSinkParams(**{"path": str(tmp_path / "v.mp4"), "width": 32, "height": 32, **kw})
        return _codes(fn.VideoSink.check(p, inputs or {}))

    frames = SignalSpec(400, 32 * 32 * 4, "uint8", rate_hz=60.0)
    assert video({"frames": frames}) == set()
    assert video({"frames": SignalSpec(400, 16 * 16 * 4, "uint8", rate_hz=60.0)}) == {("inputs.frames", "input.size_mismatch")}
    assert video(path=str(tmp_path / "v.avi")) == {("params.path", "path.extension")}
    assert video(width=33, height=31) == {("params.width", "param.odd"), ("params.height", "param.odd")}
    assert video(crf=60) == {("params.crf", "param.range")}
    assert video(path=str(tmp_path / "v.webm"), crf=60) == set()
    assert video({"frames": frames, "audio": SignalSpec(48000, 1, rate_hz=0.5)}) == {("inputs.audio", "input.rate")}


@pytest.mark.parametrize("size", [0, -5, 20000])
def test_sizes_are_refused_by_params(size):
    for P in (fn.FaceRenderParams, fn.VideoSinkParams):
        with pytest.raises(ParamError) as e:
            P.from_dict({"width": size})
        assert "width" in str(e.value) and ("16" in str(e.value) or "4096" in str(e.value))


def test_video_writer_refuses_unknown_extensions(tmp_path):
    from psigraph.nodes.face.video import VideoWriter
    with pytest.raises(PsigraphError, match=".mp4"):
        VideoWriter(str(tmp_path / "x.avi"), 16, 16, fps=60, sample_rate=24000)


def test_render_warmup_keeps_state_and_output():
    a = instantiate(fn.FaceRender, {"width": 16, "height": 16})
    b = instantiate(fn.FaceRender, {"width": 16, "height": 16})
    b.warmup()
    assert b._renderer is not None and b.state is None
    row = np.zeros((1, 58))
    row[0, fn.BLENDSHAPE_LABELS.index("jawOpen")] = 0.5
    for n in (a, b):
        n.t0, n.t1 = 0, n.out_specs["frames"].period
    assert np.array_equal(a.process(blendshapes=row), b.process(blendshapes=row))
    a.close()
    b.close()
