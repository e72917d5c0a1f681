"""face_animator and frames_sink through the real runtime: block-size invariance, JSONL, lip-sync lag."""
import json

import numpy as np
import pytest

from psigraph import registry
from psigraph.graph import Graph
from psigraph.nodes.face import node as face_node
from psigraph.nodes.face.arkit import ARKIT_NAMES, INDEX, VISEMES
from psigraph.nodes.face.metrics import closure_hits, lipsync_lag_frames
from psigraph.nodes.face.synthetic import source_node, synthetic_audio, synthetic_state
from psigraph.ports import Event
from psigraph.runtime import Session

for cls in (face_node.FaceAnimator, face_node.FaceRender, face_node.FramesSink, face_node.VideoSink, source_node()):
    registry.register(cls)


def graph(seconds=3.0, seed=1, emotion=(0.0, 0.0, 0.0), jsonl=None):
    g = Graph()
    g.seed = 5
    g.add_node("src", "face_synthetic_state", {"duration": seconds, "seed": seed, "emotion": list(emotion)})
    g.add_node("face", "face_animator")
    g.add_node("snk", "vector_sink")
    g.connect("src.state", "face.state")
    g.connect("face.blendshapes", "snk.x")
    if jsonl:
        g.add_node("frames", "frames_sink", {"path": str(jsonl)})
        g.connect("face.blendshapes", "frames.blendshapes")
    return g


def run(g, seconds, block):
    s = Session(g, block=block)
    s.run(duration=seconds)
    out = s.node("snk").data
    s.close()
    return out


def test_block_size_invariance():
    ref = run(graph(2.0), 2.0, 480)
    assert ref.shape == (120, 58)
    for block in (1, 37, 401, 4800):
        assert np.array_equal(run(graph(2.0), 2.0, block), ref), block


def test_frames_sink_jsonl(tmp_path):
    path = tmp_path / "f.jsonl"
    run(graph(1.0, jsonl=path), 1.0, 333)
    lines = path.read_text().splitlines()
    assert len(lines) == 60
    rec = json.loads(lines[30])
    assert set(rec) == {"frame", "t", "blendshapes", "viseme", "events"}
    assert rec["frame"] == 30 and rec["t"] == pytest.approx(0.5)
    assert list(rec["blendshapes"]) == list(ARKIT_NAMES) and rec["viseme"] in VISEMES


def test_surprise_event_through_runtime(tmp_path):
    g = graph(1.0, jsonl=tmp_path / "f.jsonl")
    s = Session(g, block=480)
    s.post("face.events", Event(12000, "surprise", {}))
    s.post("frames.events", Event(12000, "surprise", {}))
    s.run(duration=1.0)
    out = s.node("snk").data
    s.close()
    brow = out[:, INDEX["browInnerUp"]]
    assert brow[:30].max() == 0 and brow[31:35].min() > 0.7    # t = 0.5 s → frame 30; 120 ms ≈ 7 frames
    assert brow[37:].max() == 0
    rec = json.loads((tmp_path / "f.jsonl").read_text().splitlines()[30])
    assert rec["events"] == ["surprise"]


def test_lipsync_lag_and_closures():
    seconds = 12.0
    rows, labels, phones = synthetic_state(seconds, seed=3)
    out = run(graph(seconds, seed=3), seconds, 480)
    audio = synthetic_audio(rows, labels)
    lag = lipsync_lag_frames(out[:, INDEX["jawOpen"]], audio)
    assert abs(lag) <= 1
    hits, total = closure_hits(out[:, INDEX["mouthClose"]], phones)
    assert total >= 5 and hits / total >= 0.95
