"""Regenerate the low-resolution golden renders compared by the face tests.

- ``face_render_96.npz``: the procedural head (test_face_render.py);
- ``face_ict_96.npz``: the ICT head, neutral and jawOpen (test_face_ict.py, on OSMesa and EGL).

Run: python tests/golden/face_make_golden.py   (headless: OSMesa or EGL, see nodes/face/render.py)
"""
import os

import numpy as np

from psigraph.nodes.face.render import FaceRenderer, row_from

POSES = {
    "neutral": {},
    "open_smile": {"jawOpen": 0.6, "mouthSmile_L": 0.6, "mouthSmile_R": 0.6},
    "blink_brows": {"eyeBlink_L": 1.0, "eyeBlink_R": 1.0, "browInnerUp": 1.0, "mouthPucker": 0.8,
                    "headYaw": 0.15},
}
ICT_POSES = {"neutral": {}, "jawOpen": {"jawOpen": 0.8}}


def render_golden(size=96, head="procedural", poses=None):
    r = FaceRenderer(size, size, head=head)
    try:
        return {k: r.render(row_from(p)) for k, p in (poses or POSES).items()}
    finally:
        r.close()


def compare(got: dict, gold, mean_tol=2.0, px_tol=0.01) -> dict:
    """Per pose: (mean absolute RGB difference, fraction of pixels off by > 40); asserts the tolerance."""
    out = {}
    for k, img in got.items():
        ref = gold[k]
        assert img.shape == ref.shape, (k, img.shape, ref.shape)
        diff = np.abs(img.astype(int) - ref.astype(int))[..., :3]
        out[k] = (float(diff.mean()), float((diff.max(axis=2) > 40).mean()))
        assert out[k][0] < mean_tol and out[k][1] < px_tol, (k, out[k])
    return out


if __name__ == "__main__":
    here = os.path.dirname(__file__)
    np.savez_compressed(os.path.join(here, "face_render_96.npz"), **render_golden())
    np.savez_compressed(os.path.join(here, "face_ict_96.npz"), **render_golden(head="ict", poses=ICT_POSES))
    print("wrote face_render_96.npz, face_ict_96.npz")
