"""Contact sheet of the face: expressions (row 1) and the 15 visemes (rows 2–4) → docs/img/face_contact_sheet.png.

Row 1: neutral, happy, sad, angry, surprised (emotion vector through face_animator).
Rows 2–4: the OVR visemes in order — sil PP FF TH DD / kk CH SS nn RR / aa E ih oh ou
(tract targets through face_animator).
Each cell is labelled with its name. Run: python benchmarks/face_contact_sheet.py [--size 256] [--head ict|procedural] [--persona NAME] [--out PATH]
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


#: 5×7 capitals for the cell labels (each row a 5-bit mask, MSB left): no font files needed
GLYPHS = {
    "A": (14, 17, 17, 31, 17, 17, 17), "C": (14, 17, 16, 16, 16, 17, 14), "D": (30, 17, 17, 17, 17, 17, 30),
    "E": (31, 16, 16, 30, 16, 16, 31), "F": (31, 16, 16, 30, 16, 16, 16), "G": (14, 17, 16, 23, 17, 17, 15),
    "H": (17, 17, 17, 31, 17, 17, 17), "I": (14, 4, 4, 4, 4, 4, 14), "K": (17, 18, 20, 24, 20, 18, 17),
    "L": (16, 16, 16, 16, 16, 16, 31), "N": (17, 25, 21, 19, 17, 17, 17), "O": (14, 17, 17, 17, 17, 17, 14),
    "P": (30, 17, 17, 30, 16, 16, 16), "R": (30, 17, 17, 30, 20, 18, 17), "S": (15, 16, 16, 14, 1, 1, 30),
    "T": (31, 4, 4, 4, 4, 4, 4), "U": (17, 17, 17, 17, 17, 17, 14), "Y": (17, 17, 10, 4, 4, 4, 4), " ": (0,) * 7,
}


def label(img: np.ndarray, text: str, scale: int = 2) -> np.ndarray:
    """``img`` with ``text`` (capitals) written in its top-left corner, light on a dark plate."""
    out = img.copy()
    text = text.upper()
    h, w = 7 * scale, 6 * scale * len(text)
    x0, y0 = 4, 4
    out[y0 - 2:y0 + h + 2, x0 - 2:x0 + w + 1, :3] = (out[y0 - 2:y0 + h + 2, x0 - 2:x0 + w + 1, :3] * 0.4).astype(out.dtype)
    for k, ch in enumerate(text):
        for r, bits in enumerate(GLYPHS[ch]):
            for c in range(5):
                if bits >> (4 - c) & 1:
                    y, x = y0 + r * scale, x0 + (6 * k + c) * scale
                    out[y:y + scale, x:x + scale, :3] = 235
    return out


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


def sheet_names() -> list[str]:
    """Cell names in sheet order: the five expressions, then the 15 visemes."""
    return list(EMOTIONS) + list(VISEMES)


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
    r = FaceRenderer(a.size, a.size, ssaa=2, distance=8.6, target=(0.0, 0.12, 0.0), head=a.head, persona=a.persona)
    scale = max(1, a.size // 128)
    imgs = [label(r.render(row), name, scale) for row, name in zip(sheet_rows(), sheet_names())]
    r.close()
    grid = [np.concatenate(imgs[i:i + 5], axis=1) for i in range(0, len(imgs), 5)]
    sheet = np.concatenate(grid, axis=0)
    write_png(a.out, sheet[..., :3])
    print(f"wrote {os.path.normpath(a.out)} ({sheet.shape[1]}x{sheet.shape[0]})")


if __name__ == "__main__":
    main()
