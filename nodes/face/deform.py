"""One blendshape row → deformed head vertices (no GL): shapes, gaze and head pose.

:class:`HeadPoser` is what the renderer and the landmark projector share, so what is measured
is what is drawn. Per row (``BLENDSHAPE_LABELS`` order):

1. the ARKit weights pose the mesh (:meth:`.head.HeadModel.pose`); the ``eyeLook*`` weights the
   lids get are those of the *total* gaze angle, so the lids follow the eyes;
2. gaze: each eyeball (sclera, iris, tear film) rotates about its centre by
   ``GAZE_YAW_DEG · gazeX + LOOK_H_DEG · (eyeLookOut − eyeLookIn)`` (yaw, + = toward the face's left)
   and ``GAZE_PITCH_DEG · gazeY + LOOK_V_DEG · (eyeLookUp − eyeLookDown)`` (pitch, + = up);
3. head pose (``headPitch/Yaw/Roll``, radians) about the model's ``pivot``: with a
   ``neck_weight`` each vertex moves by its weight (the skull rigidly, the neck blending into
   the shoulders) and the returned model matrix is the identity; without one, the whole mesh
   turns rigidly through the model matrix (the procedural head).
"""
from __future__ import annotations

import numpy as np

from .arkit import BLENDSHAPE_LABELS
from .head import HeadModel
from .mixing import blink_pairs, mix_weights

#: eye rotation for gazeX = 1 / gazeY = 1 (the animator's gaze range is about ±0.25 / ±0.15)
GAZE_YAW_DEG, GAZE_PITCH_DEG = 25.8, 20.0
#: eye rotation for an eyeLook* weight of 1 (ARKit's full-range look)
LOOK_H_DEG, LOOK_V_DEG = 30.0, 25.0
#: the cornea's centre of curvature lies this far in front of the eyeball's centre (head units: 9 mm,
#: about 7 mm behind the iris's apex: a cornea of radius ~7.8 mm bulging in front of it)
CORNEA_OFFSET = 0.09

_I = {n: i for i, n in enumerate(BLENDSHAPE_LABELS)}


def rotation(pitch: float, yaw: float, roll: float) -> np.ndarray:
    """R = Ry(yaw) · Rx(pitch) · Rz(roll); positive pitch turns the face down, yaw toward +x."""
    cx, sx, cy, sy, cz, sz = np.cos(pitch), np.sin(pitch), np.cos(yaw), np.sin(yaw), np.cos(roll), np.sin(roll)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return ry @ rx @ rz


def gaze_angles(row) -> dict:
    """{"L"/"R": (yaw_deg, pitch_deg)} the eyes are turned to for one row."""
    r = np.asarray(row, np.float64)
    gx, gy = r[_I["gazeX"]], r[_I["gazeY"]]
    out = {}
    for s in ("L", "R"):
        # + yaw = toward the face's left (+x): outward for the left eye, inward for the right one
        look_x = r[_I[f"eyeLookOut_{s}"]] - r[_I[f"eyeLookIn_{s}"]]
        yaw = GAZE_YAW_DEG * gx + LOOK_H_DEG * (look_x if s == "L" else -look_x)
        pitch = GAZE_PITCH_DEG * gy + LOOK_V_DEG * (r[_I[f"eyeLookUp_{s}"]] - r[_I[f"eyeLookDown_{s}"]])
        out[s] = (float(yaw), float(pitch))
    return out


class HeadPoser:
    """Deforms one :class:`HeadModel` per blendshape row (BLENDSHAPE_LABELS order)."""

    def __init__(self, model: HeadModel):
        self.m = model
        self._cols = np.array([_I[n] for n in model.shape_names])
        self._pos = {n: k for k, n in enumerate(model.shape_names)}
        self._blink_pairs = blink_pairs(model.shape_names)

    def weights(self, row) -> np.ndarray:
        """Shape weights for ``row``: clipped, with the eyeLook* lid shapes following the gaze."""
        r = np.asarray(row, np.float64)
        w = r[self._cols]
        if self.m.shape_mix is not None:               # the head's own gains and couplings (mixing.py)
            w = mix_weights(self.m.shape_mix, w, self._blink_pairs)
        w = np.clip(w, -0.2, 1.2).astype(np.float32)
        for s, (yaw, pitch) in gaze_angles(r).items():
            out_, in_ = (yaw, -yaw) if s == "L" else (-yaw, yaw)
            for name, val in ((f"eyeLookOut_{s}", out_ / LOOK_H_DEG), (f"eyeLookIn_{s}", in_ / LOOK_H_DEG),
                              (f"eyeLookUp_{s}", pitch / LOOK_V_DEG), (f"eyeLookDown_{s}", -pitch / LOOK_V_DEG)):
                if name in self._pos:
                    w[self._pos[name]] = np.clip(val, 0.0, 1.2)
        return w

    def head_rotation(self, row) -> np.ndarray:
        r = np.asarray(row, np.float64)
        return rotation(r[_I["headPitch"]], r[_I["headYaw"]], r[_I["headRoll"]])

    def cornea_centers(self, row) -> dict:
        """{"L"/"R": (x, y, z)} the centres of the corneas' curvature for one row, where :meth:`vertices`
        puts them (before the model matrix): :data:`CORNEA_OFFSET` in front of the eyeball's centre along
        its gaze, carried by the head pose. The shader puts the catch lights on that sphere."""
        m = self.m
        R = self.head_rotation(row)
        p = np.asarray(m.pivot, np.float64)
        out = {}
        angles = gaze_angles(row)
        for s, c in m.eye_center.items():
            c = np.asarray(c, np.float64)
            if s in m.eye_axis:
                yaw, pitch = angles[s]
                c = c + CORNEA_OFFSET * (rotation(-np.radians(pitch), np.radians(yaw), 0.0) @ np.asarray(m.eye_axis[s]))
            if m.neck_weight is not None:
                w = float(m.neck_weight[m.eye_index[s][0]]) if len(m.eye_index.get(s, ())) else 1.0
                c = c + w * ((R - np.eye(3)) @ (c - p))
            out[s] = tuple(float(x) for x in c)
        return out

    def vertices(self, row, head_pose: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(vertices (V, 3) float32, model matrix (4, 4)) for one row; ``head_pose=False`` leaves
        the head unturned (to measure the eyes in the head's own frame)."""
        m = self.m
        v = m.pose(self.weights(row))
        for s, (yaw, pitch) in gaze_angles(row).items():
            if s in m.eye_index and (yaw or pitch):
                R = rotation(-np.radians(pitch), np.radians(yaw), 0.0)
                c = m.eye_center[s]
                idx = m.eye_index[s]
                v[idx] = (v[idx] - c) @ R.T + c
        R = self.head_rotation(row) if head_pose else np.eye(3)
        p = np.asarray(m.pivot, np.float64)
        M = np.eye(4, dtype=np.float32)
        if m.neck_weight is None:
            M[:3, :3] = R
            M[:3, 3] = p - R @ p
        elif not np.allclose(R, np.eye(3)):
            # v + w·(R(v − p) + p − v) = v + w·(v·(R − I)ᵀ + (p − R p)), all in float32
            A = (R - np.eye(3)).T.astype(np.float32)
            b = (p - R @ p).astype(np.float32)
            v = v + m.neck_weight[:, None] * (v @ A + b)
        return v.astype(np.float32), M
