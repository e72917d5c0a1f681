"""Contact sheet of the listening reactions → docs/img/reactions.png (issue 12).

Row 1, a surprise: the frame before the event, then 33, 67, 100 and 150 ms after it (the 120 ms
brow raise with wide eyes rises, holds and is gone).
Row 2, a repeated surprise: before, then 50, 150, 300 and 550 ms into the "processing" micro-frown
(brows lowered, eyes narrowed; seen closer, on the brows).
Row 3, a nod at a phrase boundary: before, then 100, 250 (deepest), 400 and 550 ms after it.

The rows are the face_animator's output for a face at rest that receives the events (blink and head
drift switched off so only the reaction changes), rendered by face_render's renderer.
Run: python benchmarks/reactions_contact_sheet.py [--size 200] [--head ict|procedural] [--out PATH]
"""
from __future__ import annotations

import argparse
import os

import numpy as np

from psigraph import chain
from psigraph.nodes.face.animator import AnimatorCore
from psigraph.nodes.face.arkit import INDEX
from psigraph.nodes.face.png import write_png
from psigraph.nodes.face.render import FaceRenderer

FPS = 60
LABELS = ("jaw", "lip_ap", "AV", "valence")
AT = 200                                                    # the event's frame
ROWS = {"surprise": ([chain.SURPRISE], (-1, 2, 4, 6, 9)),
        "frown": ([chain.SURPRISE, chain.SURPRISE], (-1, 3, 9, 18, 33)),
        "nod": ([chain.PHRASE_BOUNDARY], (-1, 6, 15, 24, 33))}
WHOLE = {"distance": 6.9, "target": (0.0, -0.08, 0.0)}
BROWS = {"distance": 4.0, "target": (0.0, 0.12, 0.0)}          # the frown is small: closer, on the brows
CAMERA = {"surprise": WHOLE, "frown": BROWS, "nod": WHOLE}


def reaction_frames(kinds, offsets) -> list:
    """Blendshape rows at ``offsets`` (frames) from the event at frame AT (a second event 1 s before it
    makes the repeat)."""
    core = AnimatorCore(LABELS, fps=FPS, head_motion=0.0, blink_rate=0.5)
    core.add_event(chain.PHRASE_BOUNDARY, AT - 3 * FPS)      # a speaker was heard (long before: no nod shows)
    for i, kind in enumerate(kinds):
        core.add_event(kind, AT - FPS * (len(kinds) - 1 - i))
    vals = np.tile([chain.TRACT_REST["jaw"], 0.1, 0.0, 0.0], (AT + max(offsets) + 1, 1))
    out = core.frames(vals, 0)
    rows = []
    for off in offsets:
        row = out[AT + off].copy()
        for k in ("eyeBlink_L", "eyeBlink_R", "gazeX", "gazeY", "headYaw", "headRoll"):
            row[INDEX[k]] = 0.0
        rows.append(row)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=200)
    ap.add_argument("--head", default=None, help="ict (default) or procedural")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "docs", "img", "reactions.png"))
    a = ap.parse_args(argv)
    grid = []
    for name, (kinds, offsets) in ROWS.items():
        r = FaceRenderer(a.size, a.size, ssaa=2, head=a.head, **CAMERA[name])
        grid.append(np.concatenate([r.render(row) for row in reaction_frames(kinds, offsets)], axis=1))
        r.close()
    sheet = np.concatenate(grid, axis=0)
    write_png(a.out, sheet[..., :3])
    print(f"wrote {os.path.normpath(a.out)} ({sheet.shape[1]}x{sheet.shape[0]})")


if __name__ == "__main__":
    main()
