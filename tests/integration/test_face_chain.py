"""face_animator and frames_sink through the real runtime: block-size invariance, JSONL, lip-sync on the
speak graph (no systematic face delay, rest pose at frame 0), validation of face graphs."""
import json
from pathlib import Path

import numpy as np
import pytest

import psigraph
from psigraph import chain, registry
from psigraph.graph import Graph
from psigraph.nodes.face import node as face_node
from psigraph.nodes.face.arkit import ARKIT_NAMES, INDEX, VISEMES
from psigraph.nodes.face.metrics import closure_hits, lag_histogram, lipsync_lag_frames
from psigraph.nodes.face.synthetic import source_node, synthetic_audio, synthetic_state
from psigraph.ports import Event
from psigraph.runtime import Session

ROOT = Path(__file__).resolve().parents[2]
SPEAK = ROOT / "graphs" / "speak.yaml"
DEV = ROOT.parent / "shared" / "eval" / "harvard_dev.txt"
#: the first Harvard sentences (the dev set starts with them); used when the eval folder is absent
FALLBACK = ["The birch canoe slid on the smooth planks.", "Glue the sheet to the dark blue background.",
            "It's easy to tell the depth of a well.", "These days a chicken leg is a rare dish.",
            "Rice is often served in round bowls.", "The juice of lemons makes fine punch."]

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


# ---------------------------------------------------------------- the speak graph: lip-sync and rest at frame 0
def dev_sentences():
    if DEV.is_file():
        return [s.strip() for s in DEV.read_text(encoding="utf-8").splitlines() if s.strip()]
    return FALLBACK


def speak(text, block=4800):
    """(jawOpen per frame, audio, fps, sample rate) of graphs/speak.yaml saying ``text``."""
    g = psigraph.load(str(SPEAK))
    g.set_param("text", "text", text)
    g.remove_node("wav")
    with Session(g, block=block) as s:
        face, audio = s.tap("face.blendshapes"), s.tap("voice.audio")
        s.run_until_done(tail=0.0)
        fps = s.node("face").out_specs["blendshapes"].rate_hz
        sr = s.node("voice").out_specs["audio"].rate_hz
        return np.asarray(face)[:, INDEX["jawOpen"]], np.asarray(audio)[:, 0], fps, sr


def assert_lipsync(texts):
    """Median lag 0, every sentence within ±1 frame (RMS windows centred on frame times), rest at frame 0."""
    lags = []
    for text in texts:
        jaw, audio, fps, sr = speak(text)
        lags.append(lipsync_lag_frames(jaw, audio, fps, sr))
        silent = np.sqrt(np.mean(audio[:int(0.05 * sr)] ** 2)) < 1e-3
        assert not silent or jaw[0] <= 0.1, (text, jaw[0])
    hist = lag_histogram(lags)
    assert np.median(lags) == 0, hist
    assert all(abs(k) <= 1 for k in hist), hist
    return hist


def test_speak_lipsync_and_rest_pose_on_a_few_sentences():
    assert_lipsync(dev_sentences()[:5])


@pytest.mark.slow
def test_speak_lipsync_on_the_dev_set():
    texts = dev_sentences()
    assert_lipsync(texts)


def test_speak_face_is_block_size_invariant():
    ref = speak(FALLBACK[2], block=4800)[0]
    for block in (333, 1000):
        got = speak(FALLBACK[2], block=block)[0]            # the run ends on a block boundary: compare the common part
        n = min(len(got), len(ref))
        assert n > 100 and np.array_equal(got[:n], ref[:n]), block


# ---------------------------------------------------------------- validation
def _issues(g):
    return [(i.path, i.code) for i in psigraph.check(g) if i.severity == "error"]


def test_animator_without_a_mouth_driver_is_refused_at_validation():
    g = Graph()
    g.add_node("tone", "sine", {"freq": 3.0})
    g.add_node("face", "face_animator")
    g.connect("tone.y", "face.state")
    assert _issues(g) == [("nodes.face.inputs.state", "input.missing_channel")]


@pytest.mark.parametrize("core_params", [{}, chain.speak_core_params()], ids=["generic", "speak"])
def test_a_core_drives_the_face_and_runs(core_params):
    """A generic psi_core (tract channels, no roles) or the speak layout: validates, builds, runs, starts at rest."""
    g = Graph()
    g.add_node("core", "psi_core", core_params)
    g.add_node("face", "face_animator")
    g.add_node("snk", "vector_sink")
    g.connect("core.state", "face.state")
    g.connect("face.blendshapes", "snk.x")
    assert _issues(g) == []
    with Session(g, block=480) as s:
        s.run(duration=0.1)
        out = s.node("snk").data
    assert out.shape == (6, len(face_node.BLENDSHAPE_LABELS)) and np.isfinite(out).all()
    assert out[0, INDEX["jawOpen"]] == pytest.approx(chain.TRACT_REST["jaw"])


def test_frames_file_is_published_only_when_the_run_finishes(tmp_path):
    path = tmp_path / "f.jsonl"
    path.write_text("old\n")
    s = Session(graph(1.0, jsonl=path), block=480)
    s.advance(12000)
    s.abort()                                                        # a failed run publishes nothing
    assert path.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["f.jsonl"]
    run(graph(1.0, jsonl=path), 1.0, 480)
    assert len(path.read_text().splitlines()) == 60
