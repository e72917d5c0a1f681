"""Contact sheet of the face: expressions (row 1) and the 15 visemes (rows 2–4) → docs/img/face_contact_sheet.png.

Row 1: neutral, happy, sad, angry, surprised (emotion vector through face_animator).
Rows 2–4: the OVR visemes in order — sil PP FF TH DD / kk CH SS nn RR / aa E ih oh ou
(tract targets through face_animator).
Run: python benchmarks/face_contact_sheet.py [--size 256] [--head ict|procedural] [--persona NAME] [--out PATH]
"""
from __future__ import annotations

import argparse
import os

import numpy as np

from psigraph.nodes.face.animator import AnimatorCore
from psigraph.nodes.face.arkit import INDEX, VISEME_INDEX, VISEMES
from psigraph.nodes.face.png import write_png
from psigraph.nodes.face.render import FaceRenderer
from psigraph.nodes.face.synthetic import LABELS, PHONES

EMOTIONS = {"neutral": (0, 0, 0), "happy": (0.8, 0.5, 0.3), "sad": (-0.7, -0.5, -0.4),
            "angry": (-0.7, 0.7, 0.7), "surprised": (0.2, 0.9, -0.3)}
#: tract targets (jaw, lip aperture, rounding, spreading, tongue tip) per viseme: a phone of
#: nodes/face/synthetic.py, or a target of its own for the visemes it has no phone for
VISEME_TRACTS = {"sil": "sil", "PP": "p", "FF": "f", "TH": (0.15, 0.3, 0.0, 0.0, 1.0), "DD": "t", "kk": "k",
                 "CH": (0.15, 0.3, 0.55, 0.0, 0.4), "SS": "s", "nn": "n", "RR": (0.2, 0.35, 0.45, 0.0, 0.3),
                 "aa": "aa", "E": "E", "ih": "ih", "oh": "oh", "ou": "ou"}


def pose_row(emotion=(0, 0, 0), tract=None, viseme="sil", seconds=1.0):
    """A settled blendshape row for a constant state (no blink, gaze and head centred)."""
    core = AnimatorCore(LABELS, head_motion=0.0, blink_rate=0.5)
    jaw, lip_ap, rnd, spr, tip = tract or (0.04, 0.2, 0.0, 0.0, 0.0)
    row = np.zeros(len(LABELS))
    row[[0, 1, 2, 3, 4]] = jaw, lip_ap, rnd, spr, tip
    row[5] = VISEME_INDEX[viseme]
    row[7:10] = emotion
    vals = np.tile(row, (int(60 * seconds), 1))
    out = core.frames(vals, 0)[-1]
    for k in ("eyeBlink_L", "eyeBlink_R", "gazeX", "gazeY", "headPitch", "headYaw", "headRoll"):
        out[INDEX[k]] = 0.0
    return out


def sheet_rows():
    rows = [pose_row(e) for e in EMOTIONS.values()]
    for vis in VISEMES:
        t = VISEME_TRACTS[vis]
        rows.append(pose_row(tract=PHONES[t][:5] if isinstance(t, str) else t, viseme=vis))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--head", default=None, help="ict (default) or procedural")
    ap.add_argument("--persona", default=None)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "docs", "img", "face_contact_sheet.png"))
    a = ap.parse_args(argv)
    r = FaceRenderer(a.size, a.size, ssaa=2, distance=7.6, target=(0.0, 0.04, 0.0), head=a.head, persona=a.persona)
    imgs = [r.render(row) for row in sheet_rows()]
    r.close()
    grid = [np.concatenate(imgs[i:i + 5], axis=1) for i in range(0, len(imgs), 5)]
    sheet = np.concatenate(grid, axis=0)
    write_png(a.out, sheet[..., :3])
    print(f"wrote {os.path.normpath(a.out)} ({sheet.shape[1]}x{sheet.shape[0]})")


if __name__ == "__main__":
    main()
