"""The 68 facial landmarks (Multi-PIE order) of the deformed mesh: projection and measurements.

Landmark ids used here: inner lips 60–67 (upper 61, 62, 63 above lower 67, 66, 65), eyes
36–41 (right, image left) and 42–47 (left); each eye's upper lid points 37, 38 / 43, 44 face
the lower lid points 41, 40 / 47, 46.

:class:`LandmarkTracker` poses a head per blendshape row without any GL (the same
:class:`.deform.HeadPoser` the renderer draws with) and gives 3-D landmarks in millimetres,
the projected 2-D landmarks for a camera, the inner-lip gap, the eye openings and the gaze
angle each eyeball actually turned to.
"""
from __future__ import annotations

import numpy as np

from .deform import HeadPoser
from .head import HeadModel

INNER_LIP_PAIRS = ((61, 67), (62, 66), (63, 65))
EYE_PAIRS = {"R": ((37, 41), (38, 40)), "L": ((43, 47), (44, 46))}


def project(points: np.ndarray, model: np.ndarray, view: np.ndarray, proj: np.ndarray,
            width: int, height: int) -> np.ndarray:
    """Points (N, 3) in model space → (N, 2) pixel coordinates (x right, y down from the top-left)."""
    p = np.c_[np.asarray(points, np.float64), np.ones(len(points))]
    clip = p @ (proj.astype(np.float64) @ view.astype(np.float64) @ model.astype(np.float64)).T
    ndc = clip[:, :3] / clip[:, 3:4]
    return np.stack([(ndc[:, 0] + 1) * 0.5 * width, (1 - ndc[:, 1]) * 0.5 * height], 1)


def inner_lip_gap(lm3: np.ndarray) -> float:
    """Mean vertical distance between the inner upper and lower lip points (units of ``lm3``);
    negative when the lips press into each other."""
    return float(np.mean([lm3[a, 1] - lm3[b, 1] for a, b in INNER_LIP_PAIRS]))


def eye_opening(lm3: np.ndarray, side: str) -> float:
    """Mean distance between upper and lower lid landmarks of one eye ("L" = face's left)."""
    return float(np.mean([np.linalg.norm(lm3[a] - lm3[b]) for a, b in EYE_PAIRS[side]]))


class LandmarkTracker:
    """Per-row landmarks and measurements of a head with ``landmarks`` (the ICT head)."""

    def __init__(self, model: HeadModel):
        if model.landmarks is None:
            from .heads import HeadError
            raise HeadError(f"the {model.name} head has no landmarks", where="landmarks",
                            hint="use the ict head (head: ict)")
        self.m = model
        self.poser = HeadPoser(model)
        still = np.abs(model.deltas).max(axis=(0, 2)) == 0          # vertices no shape moves
        self._ball = {s: idx[still[idx]] for s, idx in model.eye_index.items()}

    def landmarks_mm(self, row) -> np.ndarray:
        """(68, 3) landmark positions in millimetres (model space, head pose applied)."""
        v, M = self.poser.vertices(row)
        p = v[self.m.landmarks].astype(np.float64)
        p = p @ M[:3, :3].T.astype(np.float64) + M[:3, 3]
        return p * self.m.mm_per_unit

    def projected(self, row, view: np.ndarray, proj: np.ndarray, width: int = 1, height: int = 1) -> np.ndarray:
        """(68, 2) landmarks of one row on the image of a camera (pixels; width = height = 1: 0..1 units)."""
        v, M = self.poser.vertices(row)
        return project(v[self.m.landmarks], M, view, proj, width, height)

    def record(self, row, view: np.ndarray, proj: np.ndarray, digits: int = 4) -> dict:
        """Fields a frames file carries per frame: ``landmarks`` (68 [x, y], 0..1 of the image, y down),
        ``lip_gap_mm`` and ``eye_open_mm`` [left, right]."""
        lm = self.projected(row, view, proj)
        m = self.measure(row)
        return {"landmarks": np.round(lm, digits).tolist(), "lip_gap_mm": round(m["lip_gap_mm"], 2),
                "eye_open_mm": [round(m["eye_open_mm"]["L"], 2), round(m["eye_open_mm"]["R"], 2)]}

    def measure(self, row) -> dict:
        """{"lip_gap_mm", "eye_open_mm": {"L", "R"}, "gaze_deg": {"L": (yaw, pitch), "R": ...}} for one row,
        in the head's own frame (head pose removed; it turns everything rigidly there)."""
        v, _ = self.poser.vertices(row, head_pose=False)         # distances and eye angles in the head's frame
        lm = v[self.m.landmarks].astype(np.float64) * self.m.mm_per_unit
        return {"lip_gap_mm": inner_lip_gap(lm),
                "eye_open_mm": {s: eye_opening(lm, s) for s in ("L", "R")},
                "gaze_deg": {s: self.eye_direction(v, s) for s in self.m.eye_axis}}

    def eye_direction(self, v: np.ndarray, side: str) -> tuple[float, float]:
        """(yaw, pitch) in degrees of an eyeball in vertices ``v`` relative to its rest direction,
        measured from where its iris and sclera vertices went (a least-squares rotation fit)."""
        idx = self._ball[side]                                  # sclera and iris (the lids move the tear film)
        c = self.m.eye_center[side]
        a = self.m.vertices[idx].astype(np.float64) - c
        b = v[idx].astype(np.float64) - c
        u, _, vt = np.linalg.svd(a.T @ b)
        d = np.sign(np.linalg.det(vt.T @ u.T))
        R = vt.T @ np.diag([1.0, 1.0, d]) @ u.T                 # b ≈ R a (Kabsch)
        f0 = np.array([0.0, 0.0, 1.0])
        f = R @ f0
        yaw = np.degrees(np.arctan2(f[0], f[2]))
        pitch = np.degrees(np.arcsin(np.clip(f[1], -1, 1)))
        return float(yaw), float(pitch)
