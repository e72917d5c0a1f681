"""/mesh.bin carries what the viewer needs to pose and cull the head as the offline renderer does:
the shape mixing matrix and the blink/squint pairs, the cullable and mouth-interior faces. The
viewer's weights (re-done here in numpy, the same steps as viewer.js Face.weights) equal
HeadPoser.weights for the shapes the gaze does not set."""
import numpy as np
from psigraph.nodes.face.arkit import BLENDSHAPE_LABELS
from psigraph.nodes.face.deform import HeadPoser
from psigraph.nodes.face.heads import load_head
from psigraph.nodes.face.mixing import blink_pairs
from psigraph.server.mesh import mesh_bytes, read_mesh


def _viewer_weights(header, arrays, row):
    """viewer.js Face.weights: w = mix @ row, squints × (1 − blink), clipped to [−0.2, 1.2]."""
    names = header["shape_names"]
    raw = np.array([row[BLENDSHAPE_LABELS.index(n)] if n in BLENDSHAPE_LABELS else 0.0 for n in names])
    w = arrays["shape_mix"].astype(np.float64) @ raw
    for sq, bl in arrays["blink_pairs"]:
        w[sq] *= 1.0 - min(max(w[bl], 0.0), 1.0)
    return np.clip(w, -0.2, 1.2)


def test_mesh_carries_the_shape_mixing_and_the_viewer_weights_match_the_poser():
    model = load_head(None)
    header, arrays = read_mesh(mesh_bytes())
    S = len(model.shape_names)
    assert model.shape_mix is not None
    assert arrays["shape_mix"].shape == (S, S)
    np.testing.assert_allclose(arrays["shape_mix"], model.shape_mix, rtol=1e-6, atol=1e-7)
    pairs = blink_pairs(tuple(model.shape_names))
    assert len(pairs) == 6 and arrays["blink_pairs"].tolist() == [list(p) for p in pairs]

    rng = np.random.default_rng(7)
    gaze_set = {i for i, n in enumerate(model.shape_names) if n.startswith("eyeLook")}
    keep = [i for i in range(S) if i not in gaze_set]
    poser = HeadPoser(model)
    for _ in range(20):
        row = np.zeros(len(BLENDSHAPE_LABELS))
        row[:] = rng.uniform(0.0, 1.0, len(row)) * (rng.random(len(row)) < 0.3)
        mine, theirs = _viewer_weights(header, arrays, row), poser.weights(row)
        np.testing.assert_allclose(mine[keep], theirs[keep], atol=1e-5)
    # a smile narrows the eyes, a closed eye lets its squint go
    smile_blink = np.zeros(len(BLENDSHAPE_LABELS))
    for n, v in (("mouthSmile_L", 0.8), ("eyeBlink_L", 1.0)):
        smile_blink[BLENDSHAPE_LABELS.index(n)] = v
    w = _viewer_weights(header, arrays, smile_blink)
    pos = {n: k for k, n in enumerate(model.shape_names)}
    assert w[pos["eyeSquint_L"]] == 0.0 and w[pos["cheekSquint_L"]] == 0.0
    smile_blink[BLENDSHAPE_LABELS.index("eyeBlink_L")] = 0.0
    w = _viewer_weights(header, arrays, smile_blink)
    assert w[pos["eyeSquint_L"]] > 0.2 and w[pos["cheekSquint_L"]] > 0.3


def test_mesh_carries_what_the_offline_renderer_culls():
    from psigraph.nodes.face.landmarks import INNER_LIP_PAIRS
    model = load_head(None)
    header, arrays = read_mesh(mesh_bytes())
    assert arrays["cullable"].tolist() == model.cullable.astype(int).tolist()
    assert arrays["interior"].tolist() == model.interior.astype(int).tolist()
    assert arrays["lip_pairs"].tolist() == [[int(model.landmarks[a]), int(model.landmarks[b])] for a, b in INNER_LIP_PAIRS]
    assert header["shut_gap"] == 1.0 / model.mm_per_unit
