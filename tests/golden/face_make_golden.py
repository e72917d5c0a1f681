"""Regenerate tests/golden/face_render_96.npz (low-resolution renders compared by test_face_render.py).

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


def render_golden(size=96):
    r = FaceRenderer(size, size)
    try:
        return {k: r.render(row_from(p)) for k, p in POSES.items()}
    finally:
        r.close()


if __name__ == "__main__":
    out = os.path.join(os.path.dirname(__file__), "face_render_96.npz")
    np.savez_compressed(out, **render_golden())
    print("wrote", out)
