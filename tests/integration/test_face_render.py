"""Headless rendering (vispy on OSMesa/EGL), the golden low-resolution render, and MP4/WebM export."""
import importlib.util
import os

import numpy as np
import pytest

from psigraph import registry
from psigraph.graph import Graph
from psigraph.nodes.face import node as face_node
from psigraph.nodes.face.head import build_head
from psigraph.nodes.face.synthetic import source_node, synthetic_audio, synthetic_state
from psigraph.nodes.face.video import export_video, probe
from psigraph.runtime import Session

HERE = os.path.dirname(__file__)
GOLDEN = os.path.join(HERE, "..", "golden", "face_render_96.npz")
for cls in (face_node.FaceAnimator, face_node.FaceRender, face_node.VideoSink, source_node()):
    registry.register(cls)


def _golden_module():
    spec = importlib.util.spec_from_file_location("face_make_golden", os.path.join(HERE, "..", "golden", "face_make_golden.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_head_model_has_the_issue_shapes():
    m = build_head(0.7)
    need = ("jawOpen mouthClose mouthFunnel mouthPucker mouthSmile_L mouthSmile_R mouthFrown_L mouthFrown_R "
            "mouthStretch_L mouthStretch_R mouthPress_L mouthPress_R mouthRollLower mouthRollUpper "
            "mouthShrugLower mouthShrugUpper mouthLowerDown_L mouthLowerDown_R mouthUpperUp_L mouthUpperUp_R "
            "browInnerUp browDown_L browDown_R browOuterUp_L browOuterUp_R eyeBlink_L eyeBlink_R eyeWide_L "
            "eyeWide_R eyeSquint_L eyeSquint_R cheekSquint_L cheekSquint_R cheekPuff noseSneer_L noseSneer_R").split()
    for n in need:
        d = m.deltas[m.shape_names.index(n)]
        assert np.abs(d).max() > 0.005, n
    assert m.faces.max() < len(m.vertices)


def test_golden_render():
    gold = np.load(GOLDEN)
    got = _golden_module().render_golden()
    for k, img in got.items():
        ref = gold[k]
        assert img.shape == ref.shape == (96, 96, 4)
        diff = np.abs(img.astype(int) - ref.astype(int))[..., :3]
        assert diff.mean() < 2.0, (k, diff.mean())
        assert (diff.max(axis=2) > 40).mean() < 0.01, k
    # the poses really differ (the face moves)
    assert np.abs(got["neutral"].astype(int) - got["open_smile"].astype(int)).mean() > 1.0


def test_render_node_in_session():
    g = Graph()
    g.add_node("src", "face_synthetic_state", {"duration": 0.5})
    g.add_node("face", "face_animator")
    g.add_node("render", "face_render", {"width": 32, "height": 24})
    g.add_node("snk", "vector_sink")
    g.connect("src.state", "face.state"); g.connect("face.blendshapes", "render.blendshapes")
    g.connect("render.frames", "snk.x")
    s = Session(g, block=480)
    s.run(duration=0.25)
    data = s.node("snk").data
    s.close()
    assert data.shape == (15, 32 * 24 * 4) and data.dtype == np.uint8
    img = data[0].reshape(24, 32, 4)
    assert img[..., 3].min() == 255 and img[..., :3].std() > 10      # a face on a background


@pytest.mark.parametrize("ext", ["mp4", "webm"])
def test_export_streams_start_together(tmp_path, ext):
    from psigraph.nodes.face.render import FaceRenderer, row_from
    rows, labels, _ = synthetic_state(1.5, seed=2)
    audio = synthetic_audio(rows, labels)
    r = FaceRenderer(64, 64)
    frames = [r.render(row_from({"jawOpen": 0.3 * (i % 10) / 10})) for i in range(90)]
    r.close()
    path = tmp_path / f"clip.{ext}"
    res = export_video(str(path), iter(frames), audio, fps=60, sample_rate=24000)
    assert res["frames"] == 90
    info = probe(str(path))
    v, a = info["video"], info["audio"]
    assert v["count"] == 90
    assert abs(v["start"] - a["start"]) <= 1 / 60
    assert abs(v["duration"] - a["duration"]) <= 1 / 60


def test_video_sink_in_session(tmp_path):
    path = tmp_path / "s.mp4"
    g = Graph()
    g.add_node("src", "face_synthetic_state", {"duration": 1.0})
    g.add_node("face", "face_animator")
    g.add_node("render", "face_render", {"width": 48, "height": 48})
    g.add_node("video", "video_sink", {"path": str(path), "width": 48, "height": 48})
    g.add_node("tone", "sine", {"freq": 220.0, "amp": 0.3})
    g.connect("src.state", "face.state"); g.connect("face.blendshapes", "render.blendshapes")
    g.connect("render.frames", "video.frames"); g.connect("tone.y", "video.audio")
    s = Session(g, block=480)
    s.run(duration=0.5)
    s.close()
    info = probe(str(path))
    assert info["video"]["count"] == 30
    assert abs(info["video"]["duration"] - info["audio"]["duration"]) <= 1 / 60


def test_parallel_render_matches_in_process():
    from psigraph.nodes.face.render import render_frames, row_from
    from psigraph.nodes.face.render_pool import render_frames_parallel
    rows = np.stack([row_from({"jawOpen": 0.1 * i, "eyeBlink_L": 0.2 * i}) for i in range(5)])
    a = list(render_frames_parallel(rows, (32, 32), workers=2, slots=2))
    b = list(render_frames(rows, (32, 32)))
    assert len(a) == 5 and all(np.array_equal(x, y) for x, y in zip(a, b))
