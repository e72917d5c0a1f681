"""The head mesh for the browser viewer, in one compact binary blob (GET /mesh.bin).

Layout: ``b"PSGM"``, uint32 version, uint32 length of a UTF-8 JSON header, the header (padded with
spaces to a multiple of 4 bytes), then the arrays the header lists (``offset`` from the start of the
data section, ``dtype`` as numpy spells it, ``shape``), each 4-byte aligned. Blendshape deltas are
sparse: for shape ``s``, entries ``shape_ptr[s]:shape_ptr[s+1]`` of ``delta_index`` (vertex) and
``delta`` (float16 xyz). ``shape_mix`` (S×S float32, optional) and ``blink_pairs`` ((P, 2) uint32:
squint shape, eyeBlink of the same side) are the head's shape mixing (psigraph.nodes.face.mixing). The header also carries what the offline renderer
(psigraph.nodes.face.render) draws with: camera, head-pose pivot and its GLSL shaders; ``display_camera``
is the viewer's wider framing while it streams.
"""
from __future__ import annotations

import inspect
import json
import struct

import numpy as np

MAGIC, VERSION = b"PSGM", 1
#: the point the head rotates about, for heads that do not carry one (the procedural head's)
HEAD_PIVOT = (0.0, -0.9, -0.1)
#: a delta smaller than this moves nothing visible (the renderer drops the same)
DELTA_EPS = 1e-6


def _head(name: str | None):
    try:
        from psigraph.nodes.face.heads import load_head
        return load_head(name)
    except ImportError:                    # older tree: the procedural head only
        from psigraph.nodes.face.head import build_head
        return build_head(0.55)


def _camera() -> dict:
    """The offline renderer's default camera: its parameters, and (where the renderer exposes
    ``camera()``) the view and projection matrices for a square image, column-major as GL takes them."""
    from psigraph.nodes.face import render
    sig = inspect.signature(render.FaceRenderer.__init__)
    keys = ("distance", "fov", "target", "elevation", "azimuth", "background")
    cam = {k: list(sig.parameters[k].default) if isinstance(sig.parameters[k].default, tuple)
           else sig.parameters[k].default for k in keys}
    if hasattr(render, "camera"):
        view, proj, _ = render.camera(1.0, **{k: cam[k] for k in keys if k != "background"})
        cam["view"] = [float(x) for x in np.asarray(view, np.float64).T.ravel()]
        cam["proj"] = [float(x) for x in np.asarray(proj, np.float64).T.ravel()]
    return cam


#: the viewer's own framing while it streams (the whole head with the crown, as the contact sheet):
#: farther and a little higher than face_render's default camera, which the viewer keeps for
#: ``psigraphDrawRow`` (its pixel comparison with the offline renderer)
VIEWER_FRAMING = {"distance": 8.6, "target": (0.0, 0.12, 0.0)}


def _display_camera(cam: dict) -> dict:
    """``cam`` reframed by :data:`VIEWER_FRAMING` (view and projection recomputed likewise)."""
    from psigraph.nodes.face import render
    out = {**cam, **{k: list(v) if isinstance(v, tuple) else v for k, v in VIEWER_FRAMING.items()}}
    if hasattr(render, "camera"):
        keys = ("distance", "fov", "target", "elevation", "azimuth")
        view, proj, _ = render.camera(1.0, **{k: out[k] for k in keys})
        out["view"] = [float(x) for x in np.asarray(view, np.float64).T.ravel()]
        out["proj"] = [float(x) for x in np.asarray(proj, np.float64).T.ravel()]
    return out


def _gaze() -> dict:
    """Eye rotation per unit of gaze / eyeLook* (psigraph.nodes.face.deform), degrees."""
    try:
        from psigraph.nodes.face import deform
    except ImportError:                    # older renderer: the procedural head's gaze
        return {"yaw": 0.45 * 57.29577951308232, "pitch": 0.35 * 57.29577951308232, "look_h": 0.0, "look_v": 0.0,
                "lids": False}
    return {"yaw": deform.GAZE_YAW_DEG, "pitch": deform.GAZE_PITCH_DEG, "look_h": deform.LOOK_H_DEG,
            "look_v": deform.LOOK_V_DEG, "lids": True}


def _linear_colors() -> bool:
    """True when the renderer uploads colours already linear (its shader no longer converts them)."""
    from psigraph.nodes.face import render
    return "lin(" not in render.FRAG


def _shaders() -> dict:
    from psigraph.nodes.face import render
    return {"vert": render.VERT, "frag": render.FRAG}


def _blink_pairs(names) -> np.ndarray:
    """(P, 2) uint32: (squint shape, same side's eyeBlink) pairs, as the offline poser relaxes them."""
    try:
        from psigraph.nodes.face.mixing import blink_pairs
    except ImportError:                    # older renderer: no relaxing
        return np.zeros((0, 2), np.uint32)
    return np.asarray(blink_pairs(tuple(names)), np.uint32).reshape(-1, 2)


def _lighting(m, arrays: dict) -> dict:
    """What the offline renderer's per-frame uniforms are made from (FaceRenderer.prepare): the
    inner-lip opening (``u_mouth``: landmarks 60/64 ``mouth_corners`` and the ``lip_pairs``, or the
    fixed ``still_mouth`` of a head without landmarks), the corneas' centres (``u_eyeL/R``: the eye
    centres moved ``cornea_offset`` along the gaze-turned ``eye_axis``), the lids' colour ``lid_rgb``,
    the shirt's colour ``shirt`` and the collar's frame ``asset`` (``u_shirt``, ``u_asset``)."""
    from psigraph.nodes.face import render
    try:
        from psigraph.nodes.face.deform import CORNEA_OFFSET
    except ImportError:                    # older renderer: no cornea
        return {}
    out = {"lid_rgb": list(render.lid_rgb(m)), "still_mouth": list(render.STILL_MOUTH),
           "min_half_gap": render.MIN_HALF_GAP, "cornea_offset": CORNEA_OFFSET,
           "eye_axis": {k: [float(x) for x in v] for k, v in getattr(m, "eye_axis", {}).items()}}
    if hasattr(render, "shirt_uniforms"):  # the shirt's colour and the collar's frame (u_shirt, u_asset)
        shirt, asset = render.shirt_uniforms(m)
        out["shirt"], out["asset"] = list(shirt), list(asset)
    if getattr(m, "landmarks", None) is not None:
        arrays["mouth_corners"] = np.asarray(m.landmarks, np.uint32)[[60, 64]]
    return out


def _culling(m, arrays: dict) -> dict:
    """What the offline renderer leaves out per frame (FaceRenderer.prepare): ``cullable`` faces
    turned away from the camera, and the ``interior`` faces while the lips are shut (the three
    inner-lip vertex pairs ``lip_pairs`` closer than ``shut_gap`` in y). Adds the arrays, returns
    the header fields."""
    if getattr(m, "cullable", None) is not None:
        arrays["cullable"] = np.asarray(m.cullable, np.uint8)
    if getattr(m, "interior", None) is None or getattr(m, "landmarks", None) is None:
        return {}
    from psigraph.nodes.face.landmarks import INNER_LIP_PAIRS
    lm = np.asarray(m.landmarks)
    arrays["interior"] = np.asarray(m.interior, np.uint8)
    arrays["lip_pairs"] = np.array([[lm[a], lm[b]] for a, b in INNER_LIP_PAIRS], np.uint32)
    return {"shut_gap": 1.0 / float(m.mm_per_unit)}


def mesh_arrays(head: str | None = None) -> tuple[dict, dict]:
    """(header fields, {name: array}) of the head the offline renderer draws."""
    m = _head(head)
    S, V = len(m.shape_names), len(m.vertices)
    deltas = np.asarray(m.deltas, np.float32).reshape(S, V, 3)
    ptr, idx, vals = [0], [], []
    for s in range(S):
        moved = np.nonzero(np.abs(deltas[s]).max(axis=1) >= DELTA_EPS)[0]
        idx.append(moved.astype(np.uint32))
        vals.append(deltas[s, moved].astype(np.float16))
        ptr.append(ptr[-1] + len(moved))
    arrays = {
        "vertices": np.asarray(m.vertices, np.float32),
        "faces": np.asarray(m.faces, np.uint32),
        "colors": (np.power(np.asarray(m.colors, np.float32), 2.2) if _linear_colors()
                   else np.asarray(m.colors, np.float32)).astype(np.float16),
        "material": np.asarray(m.material, np.float32).astype(np.float16),      # ids, fractions blend skin/hair
        "shape_ptr": np.asarray(ptr, np.uint32),
        "delta_index": np.concatenate(idx) if idx else np.zeros(0, np.uint32),
        "delta": np.concatenate(vals) if vals else np.zeros((0, 3), np.float16),
    }
    for side, ix in getattr(m, "eye_index", {}).items():
        arrays[f"eye_{side}"] = np.asarray(ix, np.uint32)
    if getattr(m, "neck_weight", None) is not None:
        arrays["neck_weight"] = np.asarray(m.neck_weight, np.float32).astype(np.float16)
    mix = getattr(m, "shape_mix", None)
    if mix is not None:                    # weights = mix @ row, squints relaxed by blinks (mixing.py)
        arrays["shape_mix"] = np.asarray(mix, np.float32).reshape(S, S)
        arrays["blink_pairs"] = _blink_pairs(m.shape_names)
    extra = {**_culling(m, arrays), **_lighting(m, arrays)}
    cam = _camera()
    pivot = getattr(m, "pivot", None)
    header = {"shape_names": list(m.shape_names),
              "eye_center": {k: [float(x) for x in v] for k, v in getattr(m, "eye_center", {}).items()},
              "lip_z": float(getattr(m, "lip_z", 1.0)),
              "pivot": [float(x) for x in (HEAD_PIVOT if pivot is None else pivot)],
              "camera": cam, "display_camera": _display_camera(cam), "gaze": _gaze(), "shaders": _shaders(), **extra}
    return header, arrays


def mesh_bytes(head: str | None = None) -> bytes:
    """The /mesh.bin blob."""
    header, arrays = mesh_arrays(head)
    data, table = bytearray(), {}
    for name, a in arrays.items():
        a = np.ascontiguousarray(a)
        table[name] = {"offset": len(data), "dtype": a.dtype.str, "shape": list(a.shape)}
        data += a.tobytes()
        data += b"\0" * (-len(data) % 4)
    header["arrays"] = table
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 4)
    return MAGIC + struct.pack("<II", VERSION, len(text)) + text + bytes(data)


def read_mesh(blob: bytes) -> tuple[dict, dict]:
    """Inverse of :func:`mesh_bytes` (tests)."""
    if blob[:4] != MAGIC:
        raise ValueError("not a psigraph mesh")
    version, n = struct.unpack_from("<II", blob, 4)
    if version != VERSION:
        raise ValueError(f"mesh version {version}, expected {VERSION}")
    header = json.loads(blob[12:12 + n])
    base = 12 + n
    arrays = {k: np.frombuffer(blob, np.dtype(t["dtype"]), int(np.prod(t["shape"])), base + t["offset"])
              .reshape(t["shape"]) for k, t in header["arrays"].items()}
    return header, arrays
