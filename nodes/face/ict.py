"""The scanned ICT-FaceKit head (USC ICT, MIT licence) as a :class:`.head.HeadModel`.

The asset ``assets/ict_head.npz`` (baked once by ``assets/make_ict_asset.py``; licence in
``assets/LICENSE.ict``) is read lazily on first use. :func:`build_ict_head` turns it into the
renderer's model for one :class:`.face_style.FaceStyle`:

- the identity (face shape) is the neutral mesh plus the style's weights on 16 PCA modes;
- the ARKit shapes are the asset's expressions: ``browInnerUp`` and ``cheekPuff`` are the sums
  of their ``_L``/``_R`` halves, ``tongueOut`` pushes the tongue forward and down (the asset
  has no such shape), ``mouthClose`` acts on top of ``jawOpen`` (see :meth:`HeadModel.pose`);
- the eyeballs (sclera, iris, tear film) are ``eye_index``; gaze rotates them about their fitted
  centres (the ``eyeLook*`` shapes only move the lids);
- colours per vertex: skin tone, lips (inside the outer lip contour of the 68 landmarks), brows
  (along the brow landmarks), cheek warmth, irises with a dark pupil, a shirt on the shoulders,
  and an optional hair cap on the scalp (displaced outward a few millimetres so it has volume);
- the rest face has its eyes a little wider than the scan's (:func:`_open_rest_eyes`);
- ``neck_weight`` says how much each vertex follows the head pose (1 on the skull, fading to 0
  down the neck), so a turn of the head bends the neck smoothly instead of tearing it.

Units: the asset is in cm; the model is scaled to the renderer's head units (1 unit = 10 cm,
:data:`CM`) and shifted so the eyes and mouth sit where the procedural head's do.
"""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from .arkit import ARKIT_NAMES
from .face_style import FaceStyle
from .head import EYE, IRIS, LASH, MOUTH, SKIN, TEETH, TONGUE, HeadModel
from .mixing import shape_mix
from .ict_paint import cavity, iris_rgb, lid_shadow, paint_skin, paint_teeth, sclera_rgb, smoothstep

ASSET = Path(__file__).resolve().parent / "assets" / "ict_head.npz"
#: head units per cm (the renderer's unit is 10 cm)
CM = 0.1
#: where the asset's origin goes (cm, before scaling): eyes at y ≈ 0.12, face front at z ≈ 1
OFFSET_CM = np.array([0.0, -2.4, -3.0])
#: tongueOut = 1 moves the tongue tip this far (cm: up, forward): out between the lips, from where it lies low in the mouth
TONGUE_OUT_CM = np.array([0.0, 1.4, 2.3])
#: jawOpen = 1 also lowers the whole tongue this far (cm: down, back), so the dark mouth shows above it
TONGUE_DROP_CM = np.array([0.0, -0.8, -0.2])
#: inner-lip gap of jawOpen = mouthClose = 1 (sealed lips on an open jaw)
SEALED_GAP_CM = 0.03
#: the rest face takes this much of eyeWide (upper lids just over the top of the irises)
REST_EYE_WIDE = 0.3
#: the head pose pivots here (cm, asset frame): between the ears, at the top of the spine
PIVOT_CM = np.array([0.0, -4.0, -1.0])

#: faces of these materials are not drawn (alpha-textured shadow/blend layers in the source)
HIDDEN = ("M_EyeBlend", "M_EyeOcclusion")
#: the source's eyelash cards are made for alpha textures: drawn opaque they read as heavy eyeliner,
#: so the upper cards are shortened to this fraction (toward the lid), the lower ones hidden, and the
#: fragment shader cuts them into tapering lashes (their red channel carries root→tip 0..1)
LASH_LENGTH = 0.38
#: search radius (cm) for a lash vertex's root on the lid (the farthest lash tip is ~0.95 cm from skin)
LASH_REACH_CM = 1.5
#: cornea cap of the sclera (within this angle of the eye's axis) is hidden so the iris shows
CORNEA_DEG = 24.0
TEETH_RGB, GUMS_RGB, TONGUE_RGB, SOCKET_RGB = (0.95, 0.92, 0.86), (0.80, 0.42, 0.44), (0.90, 0.52, 0.52), (0.30, 0.09, 0.10)
TONGUE_BACK_RGB = np.array([0.62, 0.27, 0.28])


@functools.lru_cache(maxsize=1)
def load_asset() -> dict:
    """The baked arrays of ``assets/ict_head.npz`` (read once per process)."""
    from .heads import HeadError
    try:
        with np.load(ASSET) as z:
            return {k: z[k] for k in z.files}
    except OSError as exc:
        raise HeadError(f"cannot read the ICT head asset: {exc}", where=str(ASSET),
                        hint="reinstall psigraph (the wheel ships nodes/face/assets/ict_head.npz)") from None


def _part_vertices(z) -> dict:
    mats = [str(m) for m in z["materials"]]
    f, fm = z["faces"], z["face_material"]
    return {m: np.unique(f[fm == i]) for i, m in enumerate(mats)}


def _fit_sphere(p: np.ndarray) -> tuple[np.ndarray, float]:
    A = np.c_[2 * p, np.ones(len(p))]
    c = np.linalg.lstsq(A, (p ** 2).sum(1), rcond=None)[0]
    return c[:3], float(np.sqrt(c[3] + c[:3] @ c[:3]))


def _shapes(z, tongue_w: np.ndarray, tongue: np.ndarray) -> dict:
    """ARKit name → (idx, delta float32 cm) sparse offsets."""
    have = {str(n) for n in z["expressions"]}
    out = {}
    for name in ARKIT_NAMES:
        if name in have:
            out[name] = (z[f"x_{name}_idx"], z[f"x_{name}_delta"].astype(np.float32))
        elif f"{name}_L" in have and f"{name}_R" in have:      # browInnerUp, cheekPuff: both halves
            idx = np.concatenate([z[f"x_{name}_L_idx"], z[f"x_{name}_R_idx"]])
            d = np.concatenate([z[f"x_{name}_L_delta"], z[f"x_{name}_R_delta"]]).astype(np.float32)
            u, inv = np.unique(idx, return_inverse=True)
            s = np.zeros((len(u), 3), np.float32)
            np.add.at(s, inv, d)
            out[name] = (u, s)
        elif name == "tongueOut":
            idx = np.nonzero(tongue_w > 0)[0]
            out[name] = (idx, (tongue_w[idx, None] * TONGUE_OUT_CM[None]).astype(np.float32))
    _add_offset(out, "jawOpen", tongue, TONGUE_DROP_CM)   # the tongue sinks as the jaw drops: dark mouth above it
    return out


def _add_offset(shapes: dict, name: str, idx: np.ndarray, delta_cm) -> None:
    """Add a constant offset (cm) of vertices ``idx`` to shape ``name`` (sparse idx/delta pairs)."""
    _add_delta(shapes, name, idx, np.tile(np.asarray(delta_cm, np.float32), (len(idx), 1)))


def _add_delta(shapes: dict, name: str, idx: np.ndarray, delta: np.ndarray) -> None:
    """Add offsets ``delta`` (cm) of vertices ``idx`` to shape ``name`` (sparse idx/delta pairs)."""
    i0, d0 = shapes[name]
    u, inv = np.unique(np.concatenate([i0, idx]), return_inverse=True)
    s = np.zeros((len(u), 3), np.float32)
    np.add.at(s, inv, np.concatenate([d0, np.asarray(delta, np.float32)]))
    shapes[name] = (u, s)


def _tongue_weight(v: np.ndarray, tongue: np.ndarray) -> np.ndarray:
    """How far each tongue vertex follows tongueOut: the tip fully, the root not at all."""
    w = np.zeros(len(v))
    z = v[tongue, 2]
    w[tongue] = smoothstep(z.min() + 0.25 * np.ptp(z), z.max(), z)
    return w


@functools.lru_cache(maxsize=8)
def build_ict_head(style: FaceStyle | None = None) -> HeadModel:
    """The ICT head dressed in ``style`` (default: :class:`FaceStyle`'s defaults; cached per style,
    treat the result as read-only)."""
    style = style or FaceStyle()
    z = load_asset()
    parts = _part_vertices(z)
    v0 = z["vertices"].astype(np.float64)
    ident = np.zeros(len(z["identity_modes"]))
    ident[:len(style.identity)] = style.identity[:len(ident)]
    v = v0 + np.tensordot(ident, z["identity_modes"].astype(np.float32), axes=1)
    nV = len(v)
    lm = z["landmarks68"].astype(np.int64)
    L = v[lm]

    # --- materials per vertex (later assignments win at shared seams) ---
    mat = np.full(nV, SKIN, np.float32)
    socket = _mouth_socket(z, v)
    mat[socket] = MOUTH
    mat[parts["M_GumsTongue"]] = TONGUE
    mat[parts["M_Teeth"]] = TEETH
    for side in ("Left", "Right"):
        mat[parts[f"M_Sclera{side}"]] = EYE
        mat[parts[f"M_Iris{side}"]] = IRIS
    mat[parts["M_LacrimalFluid"]] = EYE
    mat[parts["M_EyeLashes"]] = LASH

    # --- eyes: centres, axes, cornea cap hidden ---
    eye_index, eye_center, eye_axis, hide = {}, {}, {}, []
    col = np.tile(np.asarray(style.skin, np.float64), (nV, 1))
    for s, side in (("L", "Left"), ("R", "Right")):
        scl, iris = parts[f"M_Sclera{side}"], parts[f"M_Iris{side}"]
        p = v[scl]
        c, r = _fit_sphere(p[p[:, 2] < np.percentile(p[:, 2], 55)])     # the back: a clean sphere
        bulge = p[np.linalg.norm(p - c, axis=1) > r * 1.1]                   # the cornea
        axis = bulge.mean(0) - c
        axis /= np.linalg.norm(axis)
        tear = parts["M_LacrimalFluid"][(v[parts["M_LacrimalFluid"], 0] > 0) == (s == "L")]
        eye_index[s] = np.unique(np.concatenate([scl, iris, tear]))
        eye_center[s], eye_axis[s] = c, axis
        ang_s = _angle(v[scl] - c, axis)
        hide.append(scl[ang_s < CORNEA_DEG])
        col[scl] = sclera_rgb(ang_s) * lid_shadow(v[scl] - c, axis)[:, None]
        col[iris] = (iris_rgb(_angle(v[iris] - c, axis), v[iris] - c, axis, np.asarray(style.iris))
                     * lid_shadow(v[iris] - c, axis)[:, None])
        col[tear] = (0.80, 0.62, 0.60)

    # --- mouth parts ---
    tongue = z["tongue"]
    col[parts["M_GumsTongue"]] = GUMS_RGB
    tw = _tongue_weight(v, tongue)[tongue, None]
    col[tongue] = TONGUE_BACK_RGB + (np.asarray(TONGUE_RGB) - TONGUE_BACK_RGB) * tw ** 0.7   # lighter to the tip
    col[tongue] *= 1.0 - 0.15 * np.exp(-(v[tongue, 0] / 0.3) ** 2)[:, None]      # the median groove
    col[parts["M_Teeth"]] = paint_teeth(v, parts["M_Teeth"], z["faces"], TEETH_RGB)
    col[socket] = SOCKET_RGB

    # --- skin: lips, brows, lash line, cheeks, nostrils, hair ---
    n0 = _vertex_normals(v, z["faces"])
    v, col, mat = paint_skin(v, L, n0, mat == SKIN, col, mat, style, cavity(v, z["faces"], n0), z["faces"])
    v, col[parts["M_EyeLashes"], 0] = _short_lashes(v, parts["M_EyeLashes"], mat == SKIN)

    # --- faces drawn, culling ---
    mats = [str(m) for m in z["materials"]]
    fm = z["face_material"]
    keep = ~np.isin(fm, [mats.index(m) for m in HIDDEN])
    F = z["faces"]
    hidden_v = np.zeros(nV, bool)
    hidden_v[np.concatenate(hide)] = True
    keep &= ~hidden_v[F].all(axis=1) | ~np.isin(fm, [mats.index("M_ScleraLeft"), mats.index("M_ScleraRight")])
    keep &= ~_eye_sockets(z, v)
    keep &= ~_hidden_lashes(z, v, L)
    F = F[keep].copy()
    fmk = fm[keep]
    in_socket = np.isin(F, socket).all(axis=1)
    gums = (fmk == mats.index("M_GumsTongue")) & ~np.isin(F, z["tongue"]).all(axis=1)
    tongue_f = (fmk == mats.index("M_GumsTongue")) & ~gums
    # the source winds these parts either way: face the lining inward and the tongue and gums
    # outward, so back faces can be culled there too
    for sel, outward in ((in_socket, False), (tongue_f, True), (gums, True)):
        _orient(F, sel, v, outward)
    cull = ~np.isin(fmk, [mats.index(m) for m in ("M_EyeLashes", "M_LacrimalFluid")])
    cull &= ~np.isin(F, socket).any(axis=1) | in_socket
    interior = np.isin(fmk, [mats.index(m) for m in ("M_GumsTongue", "M_Teeth")]) | in_socket

    # --- shapes ---
    tongue_w = _tongue_weight(v, z["tongue"])
    shapes = _shapes(z, tongue_w, z["tongue"])
    v = _seal_rest_lips(shapes, v, lm)
    v = _open_rest_eyes(shapes, v)
    _calibrate_mouth_close(shapes, v, lm)
    names = tuple(n for n in ARKIT_NAMES if n in shapes)
    D = np.zeros((len(names), nV, 3), np.float32)
    for k, n in enumerate(names):
        idx, d = shapes[n]
        D[k, idx] = d * CM
    off = OFFSET_CM
    verts = ((v + off) * CM).astype(np.float32)
    centers = {s: (c + off) * CM for s, c in eye_center.items()}
    nw = _neck_weight(v)
    lip_z = float((L[62, 2] + off[2]) * CM)
    model = HeadModel(verts, F.astype(np.uint32), np.clip(col, 0, 1).astype(np.float32), mat, names, D,
                      eye_index, centers, lip_z, cull,
                      landmarks=lm, eye_axis=eye_axis, neck_weight=nw.astype(np.float32),
                      pivot=((PIVOT_CM + off) * CM), interior=interior, mm_per_unit=10.0 / CM, name="ict")
    model.__dict__["_sp"] = _sparse(shapes, names, nV)
    model.shape_mix = shape_mix(names)
    model.__dict__["shirt"] = (tuple(style.shirt_rgb), tuple(float(x) for x in off))  # the shader's collar
    return model


def _hidden_lashes(z, v: np.ndarray, L: np.ndarray) -> np.ndarray:
    """(F,) faces of the lash cards not drawn: the lower ones (below the eye corners' height) and
    those at the inner corners (they stand off the lid there) and past the outer corners (stiff
    flicks sticking out of the silhouette of the eye)."""
    mats = [str(m) for m in z["materials"]]
    f = z["faces"]
    eye_y = L[[36, 39, 42, 45], 1].mean()
    inner_x = np.abs(L[[39, 42], 0]).mean() + 0.15
    outer_x = np.abs(L[[36, 45], 0]).mean() + 0.05
    c = v[f].mean(1)
    ax = np.abs(c[:, 0])
    return (z["face_material"] == mats.index("M_EyeLashes")) & ((c[:, 1] < eye_y) | (ax < inner_x) | (ax > outer_x))


def _short_lashes(v: np.ndarray, lashes: np.ndarray, skin: np.ndarray) -> np.ndarray:
    """(vertices with the lashes pulled toward their root, the nearest skin vertex of the lid, to
    :data:`LASH_LENGTH` of their length; 0..1 root→tip of each lash vertex)."""
    skin_i = np.nonzero(skin)[0]
    dist, k = _nearest(v[skin_i], v[lashes], reach=LASH_REACH_CM)
    root = v[skin_i[k]]
    v = v.copy()
    v[lashes] = root + LASH_LENGTH * (v[lashes] - root)
    return v, np.clip(dist / np.percentile(dist, 95), 0.0, 1.0)


def _nearest(points: np.ndarray, queries: np.ndarray, *, reach: float, chunk: int = 256):
    """(distance, index) of the nearest of ``points`` to each of ``queries``, exactly (brute force
    in numpy; scipy.spatial would add its import to every render worker's start-up). Only the points
    within ``reach`` of the queries' bounding box are searched when every nearest one lies within
    ``reach`` (then nothing outside that box can be nearer); otherwise all are."""
    lo, hi = queries.min(0) - reach, queries.max(0) + reach
    near = np.nonzero(((points >= lo) & (points <= hi)).all(1))[0]
    for cand in (near, np.arange(len(points))):
        if not len(cand):
            continue
        p = points[cand]
        k = np.empty(len(queries), np.intp)
        d2 = np.empty(len(queries))
        for s in range(0, len(queries), chunk):
            q = queries[s:s + chunk, None, :]
            dd = (q[..., 0] - p[:, 0]) ** 2 + (q[..., 1] - p[:, 1]) ** 2 + (q[..., 2] - p[:, 2]) ** 2
            j = dd.argmin(1)
            k[s:s + chunk], d2[s:s + chunk] = j, dd[np.arange(len(j)), j]
        if d2.max() <= reach * reach:
            break
    return np.sqrt(d2), cand[k]


def _seal_rest_lips(shapes: dict, v: np.ndarray, lm: np.ndarray) -> np.ndarray:
    """The rest mesh with its lips meeting: the scan's neutral has them 0.8 mm apart (a line of teeth
    shows at rest), so a little of the ``mouthClose`` shape (lips toward each other) is added until the
    inner lips are :data:`SEALED_GAP_CM` apart. Vertices changed: the lips' few hundred."""
    from .landmarks import INNER_LIP_PAIRS
    idx, d = shapes["mouthClose"]
    full = np.zeros((len(v), 3))
    full[idx] = d
    g0 = np.mean([v[lm[a], 1] - v[lm[b], 1] for a, b in INNER_LIP_PAIRS])
    gc = np.mean([full[lm[a], 1] - full[lm[b], 1] for a, b in INNER_LIP_PAIRS])
    if g0 <= SEALED_GAP_CM or gc >= 0:
        return v
    return v + full * ((SEALED_GAP_CM - g0) / gc)


def _open_rest_eyes(shapes: dict, v: np.ndarray) -> np.ndarray:
    """The rest mesh with the eyes a little wider (:data:`REST_EYE_WIDE` of ``eyeWide``: the scan's
    upper lids cover a quarter of the iris, a sleepy look); each ``eyeBlink`` loses the same offset,
    so a full blink still lands where the scan's closes the eye."""
    for s in ("L", "R"):
        idx, d = shapes[f"eyeWide_{s}"]
        v = v.copy()
        v[idx] += REST_EYE_WIDE * d
        _add_delta(shapes, f"eyeBlink_{s}", idx, -REST_EYE_WIDE * d)
    return v


def _calibrate_mouth_close(shapes: dict, v: np.ndarray, lm: np.ndarray) -> None:
    """Scale ``mouthClose`` so that jawOpen = mouthClose = 1 leaves the inner lips just touching
    (:data:`SEALED_GAP_CM` apart): the source shape over-closes by about a quarter (the lips would
    pass through each other by 7 mm)."""
    from .landmarks import INNER_LIP_PAIRS

    def gap(delta_of):
        p = v[lm] + delta_of
        return np.mean([p[a, 1] - p[b, 1] for a, b in INNER_LIP_PAIRS])

    def at_landmarks(name):
        idx, d = shapes[name]
        full = np.zeros((len(v), 3))
        full[idx] = d
        return full[lm]

    g0, gj = gap(0.0), gap(at_landmarks("jawOpen"))
    gc = gap(at_landmarks("mouthClose")) - g0
    scale = (SEALED_GAP_CM - gj) / gc
    idx, d = shapes["mouthClose"]
    shapes["mouthClose"] = (idx, d * np.float32(scale))


def _sparse(shapes: dict, names: tuple, nV: int):
    """Offsets as the (3V × S) sparse matrix :meth:`HeadModel.pose` multiplies (head units)."""
    from scipy.sparse import csc_matrix
    rows, cols, vals = [], [], []
    for k, n in enumerate(names):
        idx, d = shapes[n]
        rows.append((3 * idx[:, None] + np.arange(3)).ravel())
        cols.append(np.full(3 * len(idx), k))
        vals.append((d * CM).ravel())
    return csc_matrix((np.concatenate(vals).astype(np.float32), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(3 * nV, len(names)))


def _angle(d: np.ndarray, axis: np.ndarray) -> np.ndarray:
    cos = (d @ axis) / np.maximum(np.linalg.norm(d, axis=1), 1e-9)
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


def _mouth_socket(z, v) -> np.ndarray:
    """Vertices of the inner mouth lining (the M_BackHead island behind the lips)."""
    mats = [str(m) for m in z["materials"]]
    f = z["faces"][z["face_material"] == mats.index("M_BackHead")]
    u = np.unique(f)
    p = v[u]
    return u[(np.abs(p[:, 0]) < 3.8) & (p[:, 1] > -6.2) & (p[:, 1] < -0.3) & (p[:, 2] > 0.5)]


def _orient(F: np.ndarray, sel: np.ndarray, v: np.ndarray, outward: bool) -> None:
    """Flip the faces ``sel`` of ``F`` in place so their normals point away from (``outward``) or
    toward the centroid of the part."""
    if not sel.any():
        return
    f = F[sel]
    c = v[np.unique(f)].mean(0)
    fn = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    away = np.einsum("ij,ij->i", fn, v[f].mean(1) - c) > 0
    flip = ~away if outward else away
    f[flip] = f[flip][:, ::-1]
    F[sel] = f


def _eye_sockets(z, v) -> np.ndarray:
    """(F,) faces of the two small M_BackHead shells behind the eyeballs: never seen (the eyeballs
    cover them), so they are not drawn — through the pupil the dark inside of the head shows."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    mats = [str(m) for m in z["materials"]]
    f, fm = z["faces"], z["face_material"]
    sel = fm == mats.index("M_BackHead")
    e = np.concatenate([f[sel][:, [0, 1]], f[sel][:, [1, 2]]])
    _, lab = connected_components(coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(len(v), len(v))),
                                  directed=False)
    out = np.zeros(len(f), bool)
    for k in np.unique(lab[f[sel][:, 0]]):
        verts = np.unique(f[sel][lab[f[sel][:, 0]] == k])
        c = v[verts].mean(0)
        if len(verts) < 600 and c[1] > 1.5 and abs(c[0]) > 1.0:       # behind an eye, not the mouth socket
            out |= sel & (lab[f[:, 0]] == k)
    return out


def _vertex_normals(v: np.ndarray, faces: np.ndarray) -> np.ndarray:
    fn = np.cross(v[faces[:, 1]] - v[faces[:, 0]], v[faces[:, 2]] - v[faces[:, 0]])
    n = np.zeros_like(v)
    for k in range(3):
        np.add.at(n, faces[:, k], fn)
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)


def _neck_weight(v: np.ndarray) -> np.ndarray:
    """How much each vertex follows the head pose: 1 above the jaw line, 0 at the base of the neck."""
    return smoothstep(-15.5, -8.5, v[:, 1] + 0.35 * v[:, 2])
