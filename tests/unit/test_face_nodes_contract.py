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
