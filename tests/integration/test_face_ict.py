"""The ICT head rendered off-screen: golden images on OSMesa and EGL, the node's head/persona params, RGBA."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from psigraph.nodes.face import node as face_node
from psigraph.nodes.face.synthetic import source_node
from psigraph.runtime import Session

from psigraph import registry
from psigraph.graph import Graph

HERE = os.path.dirname(__file__)
GOLDEN_DIR = os.path.join(HERE, "..", "golden")
for cls in (face_node.FaceAnimator, face_node.FaceRender, source_node()):
    registry.register(cls)

# renders the golden poses on one forced back-end (a GL back-end is chosen once per process)
CHILD = """
import json, sys
sys.path.insert(0, sys.argv[1])
import numpy as np, face_make_golden as g
from psigraph.nodes.face.render import gl_backend
got = g.render_golden(head="ict", poses=g.ICT_POSES)
print(json.dumps({"backend": gl_backend(), "cmp": g.compare(got, np.load(sys.argv[1] + "/face_ict_96.npz")),
                  "moves": float(np.abs(got["neutral"].astype(int) - got["jawOpen"].astype(int)).mean())}))
"""


@pytest.mark.parametrize("backend", ["osmesa", "egl"])
def test_golden_ict_on_both_backends(backend):
    env = {**os.environ, "PSIGRAPH_GL": backend}
    p = subprocess.run([sys.executable, "-c", CHILD, GOLDEN_DIR], env=env, capture_output=True, text=True, timeout=300, check=False)
    if p.returncode and "no off-screen GL backend" in p.stderr:
        pytest.skip(f"{backend} not available: {p.stderr.strip().splitlines()[-1]}")
    assert p.returncode == 0, p.stderr[-2000:]
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out["backend"] == backend
    assert set(out["cmp"]) == {"neutral", "jawOpen"}
    assert out["moves"] > 0.5                     # the jaw visibly opens


def _run(params, seconds=0.25):
    g = Graph()
    g.add_node("src", "face_synthetic_state", {"duration": 0.5})
    g.add_node("face", "face_animator")
    g.add_node("render", "face_render", {"width": 48, "height": 40, "workers": 0, **params})
    g.add_node("snk", "vector_sink")
    g.connect("src.state", "face.state"); g.connect("face.blendshapes", "render.blendshapes")
    g.connect("render.frames", "snk.x")
    s = Session(g, block=480)
    s.run(duration=seconds)
    data = s.node("snk").data
    s.close()
    return data


def test_render_node_heads_personas_and_transparent_background():
    ict = _run({})
    proc = _run({"head": "procedural"})
    bright = _run({"persona": "bright", "background": [0.0, 0.0, 0.0, 0.0]})
    assert ict.shape == proc.shape == bright.shape == (15, 48 * 40 * 4)
    assert np.abs(ict.astype(int) - proc.astype(int)).mean() > 3        # a different head
    a = bright[0].reshape(40, 48, 4)[..., 3]
    assert a.min() == 0 and a.max() == 255                               # face opaque, background clear
    assert 0.15 < (a == 255).mean() < 0.9


def test_unknown_persona_is_one_clear_issue():
    from psigraph.nodes.face.render_node import FaceRender, FaceRenderParams
    issues = FaceRender.check(FaceRenderParams(persona="nobody"), {})
    assert any(i.path == "params.persona" and "unknown persona" in i.message for i in issues)


def test_landmarks_project_onto_the_face():
    from psigraph.nodes.face.render import FaceRenderer, row_from
    r = FaceRenderer(96, 96)
    try:
        img = r.render(row_from({}))
        lm = r.landmarks(row_from({}))
    finally:
        r.close()
    assert lm.shape == (68, 2)
    assert (lm > 5).all() and (lm < 91).all()
    assert lm[36, 0] < lm[45, 0] and lm[27, 1] < lm[33, 1] < lm[62, 1] < lm[8, 1]   # eyes, nose, mouth, chin
    bg = img[1, 1, :3].astype(int)
    on = img[lm[:, 1].astype(int), lm[:, 0].astype(int), :3].astype(int)
    assert (np.abs(on - bg).sum(1) > 30).mean() > 0.95                  # every landmark lands on the head


def test_frames_jsonl_carries_the_rendered_landmarks(tmp_path):
    from psigraph.nodes.face.jsonl import read_frames_jsonl
    from psigraph.nodes.face.render import FaceRenderer
    registry.register(face_node.FramesSink)
    g = Graph()
    g.add_node("src", "face_synthetic_state", {"duration": 0.5})
    g.add_node("face", "face_animator")
    g.add_node("frames", "frames_sink", {"path": str(tmp_path / "f.jsonl"), "landmarks": True})
    g.add_node("bs", "vector_sink")
    g.connect("src.state", "face.state"); g.connect("face.blendshapes", "frames.blendshapes")
    g.connect("face.blendshapes", "bs.x")
    s = Session(g, block=480)
    s.run(duration=0.25)
    rows = s.node("bs").data
    s.close()
    recs = read_frames_jsonl(str(tmp_path / "f.jsonl"))
    assert len(recs) == len(rows) == 15
    r = FaceRenderer(100, 100)
    try:
        for rec, row in zip(recs[::7], rows[::7]):
            lm = np.array(rec["landmarks"])
            assert lm.shape == (68, 2)
            assert np.allclose(lm * 100, r.landmarks(row), atol=0.02)       # what the renderer draws
            assert rec["lip_gap_mm"] >= -1.0 and len(rec["eye_open_mm"]) == 2
    finally:
        r.close()
