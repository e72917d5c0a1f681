"""Face nodes outside a graph: zero-length spans pass through, outputs have the declared shape."""
import numpy as np

from psigraph.nodes.face import node as fn
from psigraph.testing import empty_inputs, instantiate


def test_zero_length_spans(tmp_path):
    cases = [(fn.FaceAnimator, {}), (fn.FaceRender, {"width": 16, "height": 16}),
             (fn.FramesSink, {"path": str(tmp_path / "f.jsonl")}),
             (fn.VideoSink, {"path": str(tmp_path / "v.mp4"), "width": 16, "height": 16})]
    for cls, params in cases:
        node = instantiate(cls, params)
        out = node.process(**empty_inputs(node))
        if cls is fn.FaceAnimator:
            assert out.shape == (0, 58)
        if cls is fn.FaceRender:
            assert out.shape == (0, 16 * 16 * 4) and out.dtype == np.uint8
    assert not (tmp_path / "v.mp4").exists()          # no file before the first frame


def test_animator_spans_of_one_sample_match_one_block():
    rows = np.random.default_rng(0).random((40, 6))
    a, b = instantiate(fn.FaceAnimator), instantiate(fn.FaceAnimator)
    a.t0, a.t1 = 0, 4800
    ref = a.process(state=rows)
    parts, t = [], 0
    for step in (1, 119, 1, 400, 0, 1279, 3000):
        b.t0, b.t1 = t, t + step
        k0 = -(-t // 120); k1 = -(-(t + step) // 120)
        parts.append(b.process(state=rows[k0:k1]))
        t += step
    assert np.array_equal(np.concatenate(parts), ref)


def test_clear_errors(tmp_path):
    import pytest
    from psigraph.errors import PsigraphError
    from psigraph.ports import SignalSpec
    with pytest.raises(PsigraphError, match="width/height"):
        instantiate(fn.VideoSink, {"path": str(tmp_path / "v.mp4"), "width": 32, "height": 32},
                    inputs={"frames": SignalSpec(400, 16 * 16 * 4, "uint8", rate_hz=60.0)})
    with pytest.raises(PsigraphError, match="background"):
        instantiate(fn.FaceRender, {"background": [2.0, 0.0, 0.0]})
    from psigraph.nodes.face.video import VideoWriter
    with pytest.raises(PsigraphError, match=".mp4"):
        VideoWriter(str(tmp_path / "x.avi"), 16, 16)


def test_render_node_pickles_after_rendering():
    import pickle
    node = instantiate(fn.FaceRender, {"width": 16, "height": 16})
    node.t0, node.t1 = 0, 400
    node.process(blendshapes=np.zeros((1, 58)))
    clone = pickle.loads(pickle.dumps(node))
    assert clone._renderer is None
    node.close()
