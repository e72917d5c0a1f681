"""A procedural 3D head with ARKit blendshapes, generated entirely in code (no external asset).

The skin is one lat-long grid (rows = heights, columns = azimuth) from the neck to
the crown, with *slits* (duplicated vertex rows) at the mouth and the two eyes, so
lips and eyelids can part. Face features (nose, brows, sockets, lips, chin) are
displacements of an egg-shaped base. Eyeballs, teeth and tongue are separate parts.
Every blendshape delta is computed here: analytic displacement fields, or the
difference between two evaluations of a nonlinear pose (eyelids wrap the eyeball,
the jaw rotates about its hinge). Licence: psigraph's own code (see assets/LICENSE).

Coordinates: x to the viewer's right (the face's left, ARKit ``_L``), y up,
z toward the viewer; one unit is about 10 cm.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from .arkit import ARKIT_NAMES

# feature layout (rest pose)
EYE_X, EYE_Y, EYE_W = 0.30, 0.12, 0.125     # eye centre x (±), slit height, half width
EYE_R = 0.125                               # eyeball radius
MOUTH_Y, MOUTH_W = -0.56, 0.215             # mouth slit height and half width
LID_UP, LID_LOW = 0.062, 0.030              # rest opening of the upper / lower lid
JAW_PIVOT = np.array([0.0, 0.02, -0.25])    # hinge (x axis through this point)
JAW_MAX = np.radians(17.0)                  # jawOpen = 1 rotation

# materials (shader ids; the ICT head also uses IRIS and LASH). Skin carries its hair cover in
# 0..HAIR (0 bare skin, HAIR = full hair), so a triangle across the hairline blends smoothly.
SKIN, EYE, TEETH, TONGUE, MOUTH, IRIS, LASH, HAIR = 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.45

SKIN_RGB = np.array([0.86, 0.64, 0.52])
LIP_RGB = np.array([0.70, 0.36, 0.36])
BROW_RGB = np.array([0.24, 0.16, 0.11])
HAIR_RGB = np.array([0.20, 0.13, 0.09])


@dataclass
class HeadModel:
    """Neutral vertices, triangles, colours and per-shape deltas of a head (procedural or ICT).

    Optional extras (the ICT head sets them): ``landmarks`` (68 vertex indices, Multi-PIE order),
    ``eye_axis`` ("L"/"R" → unit gaze direction at rest), ``neck_weight`` ((V,) how much each
    vertex follows the head pose; None = the whole mesh turns rigidly about ``pivot``),
    ``mm_per_unit`` (millimetres per mesh unit) and ``name``.
    """

    vertices: np.ndarray            # (V, 3) float32, neutral pose
    faces: np.ndarray               # (F, 3) uint32
    colors: np.ndarray              # (V, 3) float32 linear RGB
    material: np.ndarray            # (V,) float32 (SKIN, EYE, TEETH, TONGUE)
    shape_names: tuple              # names with a delta (subset of ARKit)
    deltas: np.ndarray              # (S, V, 3) float32
    eye_index: dict = field(default_factory=dict)    # "L"/"R" → vertex indices of the eyeball
    eye_center: dict = field(default_factory=dict)   # "L"/"R" → (3,) centre
    lip_z: float = 1.0                                 # z of the lip line (mouth depth reference)
    cullable: np.ndarray | None = None                 # (F,) bool: may be culled when facing away
    landmarks: np.ndarray | None = None                # (68,) vertex indices (Multi-PIE order)
    eye_axis: dict = field(default_factory=dict)       # "L"/"R" → (3,) unit gaze direction at rest
    neck_weight: np.ndarray | None = None              # (V,) head-pose weight (None: rigid)
    pivot: np.ndarray = field(default_factory=lambda: np.array([0.0, -0.9, -0.1]))   # head-pose pivot
    interior: np.ndarray | None = None                 # (F,) bool: inside the mouth (skipped while the lips are shut)
    mm_per_unit: float = 100.0                         # one mesh unit in millimetres
    name: str = "procedural"
    shape_mix: np.ndarray | None = None                # (S, S): shape weights = shape_mix @ animator weights (None: as given)

    @property
    def n_vertices(self) -> int:
        return len(self.vertices)

    def pose(self, weights) -> np.ndarray:
        """Vertices for a weight vector over ``shape_names`` (or a dict name → weight).

        As in ARKit captures, mouthClose acts in proportion to jawOpen (it seals the lips of
        an open jaw), so its effective weight is mouthClose·jawOpen.
        """
        if isinstance(weights, dict):
            w = np.array([float(weights.get(n, 0.0)) for n in self.shape_names], dtype=np.float32)
        else:
            w = np.array(weights, dtype=np.float32)
        ic, ij = self.shape_names.index("mouthClose"), self.shape_names.index("jawOpen")
        w[ic] = w[ic] * max(w[ij], 0.0)
        active = np.nonzero(w)[0]
        if not len(active):
            return self.vertices.copy()
        return self.vertices + (self._sparse_t()[:, active] @ w[active]).reshape(-1, 3)

    def _sparse_t(self):
        """Deltas as a sparse (3V × S) column matrix: a frame multiplies only the shapes it uses."""
        sp = self.__dict__.get("_sp")
        if sp is None:
            from scipy.sparse import csc_matrix
            flat = self.deltas.reshape(len(self.shape_names), -1)
            flat = np.where(np.abs(flat) < 1e-6, 0.0, flat).astype(np.float32)
            sp = self.__dict__["_sp"] = csc_matrix(flat.T)
        elif sp.format != "csc":
            sp = self.__dict__["_sp"] = sp.tocsc()
        return sp


# ---------------------------------------------------------------------------- helpers
def _ss(e0, e1, x):
    """Smoothstep from e0 to e1 (works for e0 > e1 too)."""
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _g(x, y, cx, cy, sx, sy):
    return np.exp(-0.5 * (((x - cx) / sx) ** 2 + ((y - cy) / sy) ** 2))


def _rot_x(p, pivot, ang):
    """Rotate points about the x axis through ``pivot`` (positive angle opens the jaw)."""
    c, s = np.cos(ang), np.sin(ang)
    q = p - pivot
    y = q[:, 1] * c - q[:, 2] * s
    z = q[:, 1] * s + q[:, 2] * c
    return np.stack([q[:, 0], y, z], 1) + pivot


def _rot_y(p, pivot, ang):
    c, s = np.cos(ang), np.sin(ang)
    q = p - pivot
    x = q[:, 0] * c + q[:, 2] * s
    z = -q[:, 0] * s + q[:, 2] * c
    return np.stack([x, q[:, 1], z], 1) + pivot


# ---------------------------------------------------------------------------- skin grid
def _profiles():
    from scipy.interpolate import PchipInterpolator
    ys = [-1.9, -1.3, -1.12, -1.02, -0.95, -0.86, -0.72, -0.55, -0.35, -0.15, 0.05, 0.25, 0.5]
    A = [0.40, 0.40, 0.42, 0.47, 0.52, 0.58, 0.64, 0.68, 0.72, 0.745, 0.76, 0.77, 0.76]
    Cf = [0.33, 0.36, 0.46, 0.64, 0.74, 0.80, 0.84, 0.86, 0.87, 0.87, 0.86, 0.87, 0.86]
    Cb = [0.38, 0.40, 0.46, 0.54, 0.58, 0.64, 0.74, 0.84, 0.93, 0.99, 1.02, 1.03, 1.00]
    ex = [2.0, 2.0, 2.0, 2.0, 2.05, 2.2, 2.4, 2.5, 2.5, 2.5, 2.45, 2.35, 2.25]
    return [PchipInterpolator(ys, v) for v in (A, Cf, Cb, ex)]


def _rows(detail):
    """Row heights (bottom → top) and dome scale: fine at eyes/brows and mouth, exact rows at the slits."""
    st = 0.0125 / detail
    bands = [(MOUTH_Y - 0.20, MOUTH_Y + 0.17, 1.0), (EYE_Y - 0.12, EYE_Y + 0.27, 1.0), (-0.40, 0.0, 1.35)]
    face, y = [], -1.12
    while y < 0.5:
        face.append(y)
        f = min([k for a, b, k in bands if a <= y <= b], default=2.0)
        y += st * f
    face = np.array(face)
    face = face[(np.abs(face - MOUTH_Y) > st * 0.45) & (np.abs(face - EYE_Y) > st * 0.45)]
    neck = np.linspace(-1.9, -1.12, 9)[:-1]
    ys = np.sort(np.concatenate([neck, face, [MOUTH_Y, EYE_Y]]))
    scale = np.ones_like(ys)
    n_dome = int(round(16 * detail))
    a = np.linspace(0, np.pi / 2, n_dome + 1)[1:-1]
    ys = np.concatenate([ys, 0.5 + 0.6 * np.sin(a)])
    scale = np.concatenate([scale, np.cos(a)])
    return ys, scale


def _skin(detail):
    A, Cf, Cb, EX = _profiles()
    ys, sc = _rows(detail)
    nc = int(round(200 * detail))
    u = np.linspace(-1, 1, nc, endpoint=False) + 1.0 / nc
    k = 2.2
    phi = np.pi * (u + k * u ** 3) / (1 + k)
    yb = np.minimum(ys, 0.5)
    R, C = len(ys), nc
    Y = np.repeat(ys[:, None], C, 1)
    S = sc[:, None]
    a, cf, cb, e = A(yb)[:, None] * S, Cf(yb)[:, None] * S, Cb(yb)[:, None] * S, EX(yb)[:, None]
    sp, cp = np.sin(phi)[None, :], np.cos(phi)[None, :]
    ef = np.where(cp >= 0, e, 2.0)
    X = a * np.sign(sp) * np.abs(sp) ** (2.0 / ef)
    Z = np.where(cp >= 0, cf, cb) * np.sign(cp) * np.abs(cp) ** (2.0 / ef)
    front = _ss(0.25, 0.7, cp) * np.ones_like(Y)
    # slit rows
    r_m = int(np.argmin(np.abs(ys - MOUTH_Y)))
    r_e = int(np.argmin(np.abs(ys - EYE_Y)))
    verts = np.stack([X, Y, Z], -1).reshape(-1, 3)
    idx = np.arange(R * C).reshape(R, C)
    side_m = np.sign(Y - MOUTH_Y).ravel()
    side_e = np.sign(Y - EYE_Y).ravel()
    front = front.ravel()
    dup_lists = []
    lower_idx = idx.copy()      # index map used by quads below a slit row
    extra = []
    for r, cond, tag in ((r_m, lambda x: np.abs(x) < MOUTH_W, "m"),
                         (r_e, lambda x: np.abs(np.abs(x) - EYE_X) < EYE_W, "e")):
        cols = np.nonzero(cond(X[r]) & (cp[0] > 0))[0]
        base = len(verts) + sum(len(e_) for e_ in extra)
        new = base + np.arange(len(cols))
        lower_idx[r, cols] = new
        extra.append(idx[r, cols])
        dup_lists.append((tag, idx[r, cols], new))
    src = np.concatenate(extra)
    verts = np.concatenate([verts, verts[src]])
    front = np.concatenate([front, front[src]])
    side_m = np.concatenate([side_m, side_m[src]])
    side_e = np.concatenate([side_e, side_e[src]])
    for tag, orig, new in dup_lists:
        s = side_m if tag == "m" else side_e
        s[orig], s[new] = 1.0, -1.0
    # quads: row r (lower) .. r+1 (upper); lower row uses `idx`, unless it is a slit row, where
    # the quad above uses the original (upper) copy; the quad below uses lower_idx.
    faces = []
    cn = (np.arange(C) + 1) % C
    for r in range(R - 1):
        lo, hi = idx[r], lower_idx[r + 1]
        a0, a1, b0, b1 = lo, lo[cn], hi, hi[cn]
        faces.append(np.stack([a0, a1, b1], 1))
        faces.append(np.stack([a0, b1, b0], 1))
    top = len(verts)
    verts = np.concatenate([verts, [[0.0, 1.1, 0.0]]])
    front = np.append(front, 0.0)
    side_m = np.append(side_m, 1.0)
    side_e = np.append(side_e, 1.0)
    last = idx[R - 1]
    faces.append(np.stack([last, last[cn], np.full(C, top)], 1))
    faces = np.concatenate(faces).astype(np.int64)
    return verts, faces, front, side_m, side_e


def _features(v, front):
    """Add face features (z displacements on the front) to the base egg; returns new vertices."""
    x, y, z = v[:, 0], v[:, 1], v[:, 2]
    ax = np.abs(x)
    d = np.zeros_like(z)
    # eye sockets, brow ridge, cheekbones, temples
    d -= 0.125 * _g(ax, y, EYE_X, EYE_Y + 0.01, 0.15, 0.095)
    d += 0.05 * _g(ax, y, 0.27, 0.29, 0.2, 0.05)
    d += 0.05 * _g(ax, y, 0.42, -0.10, 0.12, 0.10)
    d -= 0.03 * _g(ax, y, 0.62, 0.25, 0.08, 0.18)
    # nose: bridge → tip, then under-nose; alae
    t = np.clip((0.24 - y) / 0.46, 0, 1)                         # 0 at root, 1 at tip (y=-0.22)
    h = 0.035 + 0.20 * t ** 1.6
    h = np.where(y < -0.22, h * _ss(-0.33, -0.22, y), h)
    w = 0.055 + 0.04 * t ** 2
    d += h * np.exp(-0.5 * (x / w) ** 4) * (y < 0.34) * _ss(0.34, 0.22, y)
    d += 0.05 * _g(x, y, 0.0, -0.20, 0.07, 0.06)                 # rounded tip
    d += 0.075 * _g(ax, y, 0.095, -0.25, 0.045, 0.045)           # alae
    d -= 0.03 * _g(ax, y, 0.16, -0.24, 0.03, 0.06)               # alar crease
    # muzzle, lips, philtrum, chin
    d += 0.10 * _g(x, y, 0.0, -0.55, 0.30, 0.22)
    d -= 0.012 * _g(x, y, 0.0, -0.43, 0.018, 0.05)               # philtrum groove
    lipw = np.clip(1 - (x / (MOUTH_W + 0.02)) ** 2, 0, 1) ** 0.6
    d += 0.045 * lipw * _g(0, y, 0, MOUTH_Y + 0.022, 1, 0.022)
    d += 0.060 * lipw * _g(0, y, 0, MOUTH_Y - 0.032, 1, 0.028)
    d -= 0.035 * (1 - (ax / 0.26) ** 2).clip(0, 1) * _g(0, y, 0, MOUTH_Y - 0.105, 1, 0.03)
    d += 0.07 * _g(x, y, 0.0, -0.86, 0.16, 0.07)                 # chin
    d -= 0.03 * _g(ax, y, MOUTH_W + 0.07, MOUTH_Y - 0.05, 0.05, 0.09)   # nasolabial/corner
    # lips curl inward at the slit so closed lips meet in a crease
    d -= 0.035 * np.clip(1 - (ax / MOUTH_W) ** 2, 0, 1) * np.exp(-np.abs(y - MOUTH_Y) / 0.008)
    out = v.copy()
    out[:, 2] += d * front
    return out


def _eye_centers(v_feat, x0, y0):
    """Eyeball centres: the sphere's front pokes 0.02 in front of the socket skin."""
    out = {}
    for side, sx in (("L", 1.0), ("R", -1.0)):
        near = np.argmin((x0 - sx * EYE_X) ** 2 + (y0 - EYE_Y) ** 2 + (v_feat[:, 2] < 0) * 9)
        zf = v_feat[near, 2]
        out[side] = np.array([sx * EYE_X, EYE_Y + 0.005, zf + 0.035 - EYE_R])
    return out


def _lids(v, x0, y0, side_e, centers, up, low):
    """Eyelid pose: open the eye slit by (up, low) per eye, then wrap the lids over the eyeball."""
    out = v.copy()
    for s, sx in (("L", 1.0), ("R", -1.0)):
        dx = (x0 - sx * EYE_X) / EYE_W
        prof_up = np.clip(1 - dx ** 2, 0, 1) ** 0.6 * (1 + 0.25 * dx * sx)
        prof_lo = np.clip(1 - dx ** 2, 0, 1) ** 0.8
        above = (side_e > 0) & (np.abs(dx) < 1.6)
        below = (side_e < 0) & (np.abs(dx) < 1.6)
        fu = _ss(EYE_Y + 0.15, EYE_Y, y0) * above
        fl = _ss(EYE_Y - 0.10, EYE_Y, y0) * below
        out[:, 1] += up[s] * prof_up * fu - low[s] * prof_lo * fl
        # wrap the region over the eyeball (smooth max with the sphere)
        c = centers[s]
        r2 = (out[:, 0] - c[0]) ** 2 + (out[:, 1] - c[1]) ** 2
        inside = (r2 < (EYE_R * 1.3) ** 2) & (out[:, 2] > c[2])
        sz = c[2] + np.sqrt(np.clip(EYE_R ** 2 - r2, 0, None)) + 0.012
        k = 0.02
        zz = out[:, 2]
        hmax = np.clip(0.5 + 0.5 * (sz - zz) / k, 0, 1)
        sm = zz * (1 - hmax) + sz * hmax + k * hmax * (1 - hmax)
        out[:, 2] = np.where(inside, sm, zz)
    return out


def _jaw_weight(x0, y0, z0, side_m):
    """How much each skin vertex follows the jaw (1 = chin and lower lip, 0 = upper lip)."""
    ax = np.abs(x0)
    t = MOUTH_Y - y0
    band = 0.03 + 1.6 * np.clip(ax - MOUTH_W, 0, None)
    base = _ss(0.0, 1.0, 0.5 + t / (2 * band))
    hx = _ss(MOUTH_W * 0.85, MOUTH_W + 0.12, ax)              # 0 inside the mouth width
    w = np.where(side_m > 0, base * hx, base)
    w = np.where((side_m < 0) & (ax < MOUTH_W), 1.0, w)
    # the opening is rounder than the jaw: near the corners the lower lip follows less
    xr = np.clip(ax / MOUTH_W, 0, 1)
    prof = 0.25 + 0.75 * np.sqrt(np.clip(1 - xr ** 2, 0, 1))
    near = _ss(MOUTH_Y - 0.16, MOUTH_Y, y0) * (side_m <= 0) * _ss(MOUTH_W * 1.7, MOUTH_W * 1.2, ax)
    w = w * (1 - near * (1 - prof))
    w *= _ss(-1.35, -1.0, y0)                     # neck stays
    w *= _ss(-0.35, 0.2, z0)                      # back of head stays
    w *= _ss(0.75, 0.45, ax)                      # far sides stay
    return w


# ---------------------------------------------------------------------------- parts
def _sphere(center, radii, nu, nv):
    th = np.linspace(0, np.pi, nv)
    ph = np.linspace(-np.pi, np.pi, nu, endpoint=False)
    T, P = np.meshgrid(th, ph, indexing="ij")
    # pole on +z (front): local frame with z as the polar axis
    d = np.stack([np.sin(T) * np.sin(P), np.sin(T) * np.cos(P), np.cos(T)], -1).reshape(-1, 3)
    v = np.asarray(center) + d * np.asarray(radii)
    idx = np.arange(nv * nu).reshape(nv, nu)
    cn = (np.arange(nu) + 1) % nu
    f = []
    for r in range(nv - 1):
        a0, a1, b0, b1 = idx[r], idx[r][cn], idx[r + 1], idx[r + 1][cn]
        f.append(np.stack([a0, a1, b1], 1))
        f.append(np.stack([a0, b1, b0], 1))
    return v, np.concatenate(f), d


def _eyeball(center):
    v, f, d = _sphere(center, (EYE_R,) * 3, 40, 28)
    ang = np.arccos(np.clip(d[:, 2], -1, 1))
    col = np.tile([0.93, 0.91, 0.88], (len(v), 1))
    iris = np.array([0.28, 0.42, 0.55])
    ia, pa = 0.44, 0.18
    tint = 0.8 + 0.35 * np.cos(np.arctan2(d[:, 1], d[:, 0]) * 23) * 0.15
    col = np.where((ang < ia)[:, None], iris[None] * tint[:, None], col)
    col = np.where((np.abs(ang - ia) < 0.035)[:, None], [0.12, 0.14, 0.16], col)
    col = np.where((ang < pa)[:, None], [0.02, 0.02, 0.03], col)
    vein = 0.06 * _ss(0.9, 1.6, ang)
    col = col - vein[:, None] * np.array([0.0, 0.6, 0.6])
    return v, f, col


def _arc_strip(y_top, y_bot, r, zc, half_ang, nu, nv, gaps=True):
    """A curved band (teeth) following an arc of radius r centred at (0, ·, zc)."""
    a = np.linspace(-half_ang, half_ang, nu)
    yy = np.linspace(y_bot, y_top, nv)
    A_, Y_ = np.meshgrid(a, yy)
    x = r * np.sin(A_)
    z = zc + r * np.cos(A_)
    v = np.stack([x, Y_, z], -1).reshape(-1, 3)
    idx = np.arange(nv * nu).reshape(nv, nu)
    f = []
    for rr in range(nv - 1):
        a0, a1, b0, b1 = idx[rr, :-1], idx[rr, 1:], idx[rr + 1, :-1], idx[rr + 1, 1:]
        f.append(np.stack([a0, a1, b1], 1))
        f.append(np.stack([a0, b1, b0], 1))
    tooth = np.abs(np.sin(A_.ravel() * r / 0.026 * np.pi))        # ~2.6 cm... scaled tooth width
    shade = 1.0 - 0.35 * (tooth < 0.18) * gaps
    side = 1.0 - 0.35 * np.abs(A_.ravel()) / half_ang
    col = np.array([0.93, 0.90, 0.80])[None] * (shade * side)[:, None]
    return v, np.concatenate(f), col


# ---------------------------------------------------------------------------- assembly
@functools.lru_cache(maxsize=4)
def build_head(detail: float = 1.0) -> HeadModel:
    """Generate the head (cached per ``detail``; 1.0 ≈ 30k skin vertices)."""
    base, faces, front, side_m, side_e = _skin(detail)
    x0, y0, z0 = base[:, 0], base[:, 1], base[:, 2]
    feat = _features(base, front)
    centers = _eye_centers(feat, x0, y0)
    rest_up = {"L": LID_UP, "R": LID_UP}
    rest_lo = {"L": LID_LOW, "R": LID_LOW}
    skin0 = _lids(feat, x0, y0, side_e, centers, rest_up, rest_lo)
    ns = len(skin0)
    ax = np.abs(x0)
    facew = front

    # colours of the skin
    col = np.tile(SKIN_RGB, (ns, 1))
    blush = 0.5 * _g(ax, y0, 0.42, -0.22, 0.1, 0.08) + 0.3 * _g(x0, y0, 0, -0.2, 0.06, 0.05)
    col = col * (1 - 0.10 * blush[:, None]) + np.array([0.85, 0.45, 0.42]) * 0.10 * blush[:, None]
    lip_up_h = 0.042 * np.clip(1 - (x0 / (MOUTH_W + 0.015)) ** 2, 0, 1) ** 0.5 * (1 - 0.25 * np.exp(-(x0 / 0.03) ** 2))
    lip_lo_h = 0.058 * np.clip(1 - (x0 / (MOUTH_W + 0.01)) ** 2, 0, 1) ** 0.5
    lipm = (lip_lo_h > 0) * np.where(y0 >= MOUTH_Y, _ss(lip_up_h + 0.006, lip_up_h - 0.004, y0 - MOUTH_Y),
                    _ss(lip_lo_h + 0.006, lip_lo_h - 0.004, MOUTH_Y - y0)) * facew
    col = col * (1 - lipm[:, None]) + LIP_RGB * lipm[:, None]
    # brows
    bx = (ax - 0.10) / 0.36
    by = 0.27 + 0.045 * np.sin(np.clip(bx, 0, 1) * np.pi * 0.85) - 0.01 * bx
    thick = 0.028 * (1.15 - 0.6 * np.clip(bx, 0, 1))
    brow = _ss(thick, thick * 0.4, np.abs(y0 - by)) * _ss(-0.05, 0.04, bx) * _ss(1.04, 0.92, bx) * facew
    col = col * (1 - 0.85 * brow[:, None]) + BROW_RGB * 0.85 * brow[:, None]
    # lashes / lid line
    for sx in (1, -1):
        dx = (x0 - sx * EYE_X) / EYE_W
        on = np.abs(dx) < 1.05
        lash = on * np.where(side_e > 0, _ss(0.012, 0.003, y0 - EYE_Y), _ss(0.006, 0.0, EYE_Y - y0) * 0.6)
        col = col * (1 - 0.8 * lash[:, None]) + np.array([0.12, 0.08, 0.07]) * 0.8 * lash[:, None]
        crease = on * _g(0, y0, 0, EYE_Y + 0.075, 1, 0.008) * (side_e > 0) * np.clip(1 - dx ** 2, 0, 1)
        col = col * (1 - 0.18 * crease[:, None])
    # nostrils
    nos = _g(ax, y0, 0.05, -0.305, 0.022, 0.012)
    col = col * (1 - 0.75 * nos[:, None])
    # hair: cap above a hairline (forehead 0.62, temples lower, nape at the back)
    az = np.abs(np.arctan2(x0, z0))
    hairline = np.interp(az, [0.0, 0.35, 0.7, 1.0, 1.25, 1.42, 1.6, 1.9, 2.4, np.pi],
                         [0.66, 0.69, 0.74, 0.55, 0.22, 0.08, 0.30, 0.20, -0.30, -0.45])
    hair = _ss(hairline - 0.02, hairline + 0.05, y0)
    hair_d = (0.03 + 0.05 * _ss(0.6, 1.1, y0)) * hair
    nrm_xz = np.stack([x0, np.zeros_like(x0), z0], 1) / np.maximum(np.hypot(x0, z0), 1e-6)[:, None]
    skin0 = skin0 + nrm_xz * hair_d[:, None] + np.array([0, 1, 0]) * (hair_d * _ss(0.5, 1.1, y0))[:, None]
    grain = 0.85 + 0.15 * np.sin(x0 * 60 + np.sin(y0 * 9) * 3) ** 2
    col = col * (1 - hair[:, None]) + (HAIR_RGB * grain[:, None]) * hair[:, None]
    # ears (an ellipsoid each side)
    parts_v, parts_f, parts_c, parts_m = [skin0], [faces], [col], [np.full(ns, SKIN)]
    off = ns

    def add(v, f, c, m):
        nonlocal off
        parts_v.append(v); parts_f.append(f + off); parts_c.append(c); parts_m.append(np.full(len(v), m))
        start = off
        off += len(v)
        return np.arange(start, off)

    ear_idx = []
    for sx in (1, -1):
        v, f, d = _sphere((0, 0, 0), (0.05, 0.23, 0.13), 20, 14)
        v = v @ np.array([[np.cos(0.35), 0, -np.sin(0.35) * sx], [0, 1, 0], [np.sin(0.35) * sx, 0, np.cos(0.35)]]).T
        v = v + np.array([sx * 0.775, 0.0, -0.10])
        ear_idx.append(add(v, f, np.tile(SKIN_RGB * 0.93, (len(v), 1)), SKIN))
    eye_index = {}
    for s in ("L", "R"):
        v, f, c = _eyeball(centers[s])
        eye_index[s] = add(v, f, c, EYE)
    # mouth interior: teeth and tongue (behind the lips)
    lip_z = float(skin0[np.argmin(np.abs(x0) + np.abs(y0 - MOUTH_Y) + (side_m < 0) * 9), 2])
    r_t = 0.23
    zc = lip_z - 0.085 - r_t
    v, f, c = _arc_strip(MOUTH_Y + 0.06, MOUTH_Y - 0.03, r_t, zc, 0.95, 60, 6)
    add(v, f, c, TEETH)                                     # upper teeth: rigid
    v, f, c = _arc_strip(MOUTH_Y - 0.008, MOUTH_Y - 0.085, r_t - 0.012, zc - 0.005, 0.9, 60, 6)
    lo_teeth = add(v, f, c, TEETH)
    v, f, _ = _sphere((0, MOUTH_Y - 0.075, lip_z - 0.23), (0.14, 0.045, 0.15), 24, 14)
    tongue = add(v, f, np.tile([0.62, 0.30, 0.30], (len(v), 1)), TONGUE)
    # mouth cavity: an inward-facing bowl behind the teeth (only its back half faces the camera)
    v, f, d = _sphere((0, MOUTH_Y - 0.07, lip_z - 0.2), (0.25, 0.2, 0.25), 28, 16)
    f = f[(d[f, 2] <= 0.2).all(axis=1)]                       # back half only
    cavity = add(v, f[:, ::-1], np.tile([0.30, 0.10, 0.10], (len(v), 1)), MOUTH)

    V = np.concatenate(parts_v).astype(np.float64)
    F = np.concatenate(parts_f).astype(np.uint32)
    C = np.concatenate(parts_c).astype(np.float32)
    M = np.concatenate(parts_m).astype(np.float32)
    nV = len(V)

    # per-vertex reference coordinates for all parts (skin: rest param coords)
    X0 = np.concatenate([x0, V[ns:, 0]]); Y0 = np.concatenate([y0, V[ns:, 1]])
    SM = np.concatenate([side_m, np.zeros(nV - ns)])
    is_skin = np.arange(nV) < ns
    jaw_w = np.zeros(nV)
    jaw_w[:ns] = _jaw_weight(x0, y0, z0, side_m)
    jaw_w[lo_teeth] = 1.0
    jaw_w[tongue] = 1.0
    jaw_w[cavity] = _ss(MOUTH_Y, MOUTH_Y - 0.1, V[cavity, 1])

    deltas: dict[str, np.ndarray] = {}

    def zero():
        return np.zeros((nV, 3))

    # --- eyelids (nonlinear: difference of lid poses) ---
    def lid_delta(up, low):
        d = zero()
        d[:ns] = _lids(feat, x0, y0, side_e, centers, up, low) - _lids(feat, x0, y0, side_e, centers, rest_up, rest_lo)
        return d

    for s, o in (("L", "R"), ("R", "L")):
        deltas[f"eyeBlink_{s}"] = lid_delta({s: -0.006, o: LID_UP}, {s: -0.002, o: LID_LOW})
        deltas[f"eyeWide_{s}"] = lid_delta({s: LID_UP + 0.035, o: LID_UP}, {s: LID_LOW + 0.01, o: LID_LOW})
        deltas[f"eyeSquint_{s}"] = lid_delta({s: LID_UP - 0.015, o: LID_UP}, {s: LID_LOW - 0.018, o: LID_LOW})
    # --- jaw ---
    rot = _rot_x(V, JAW_PIVOT, JAW_MAX) - V
    deltas["jawOpen"] = rot * jaw_w[:, None]
    deltas["jawForward"] = np.array([0, 0, 0.05]) * jaw_w[:, None]
    deltas["jawLeft"] = np.array([0.05, 0, 0]) * jaw_w[:, None]
    deltas["jawRight"] = np.array([-0.05, 0, 0]) * jaw_w[:, None]

    # --- lips / mouth (skin only, weights on rest coords) ---
    sk = is_skin * facew_all(facew, nV)
    lipx = np.clip(1 - (X0 / (MOUTH_W + 0.03)) ** 2, 0, 1)
    up_lip = sk * (SM > 0) * lipx * _ss(MOUTH_Y + 0.10, MOUTH_Y, Y0)
    lo_lip = sk * (SM < 0) * lipx * _ss(MOUTH_Y - 0.14, MOUTH_Y, Y0)
    mouth_reg = sk * _g(X0, Y0, 0, MOUTH_Y, 0.26, 0.11)
    # mouthClose: lips meet although the jaw is open (cancels the jaw on the lower lip, drops the upper)
    lo_close = sk * (SM < 0) * _ss(MOUTH_W * 1.6, MOUTH_W * 1.05, np.abs(X0)) * _ss(MOUTH_Y - 0.09, MOUTH_Y - 0.01, Y0)
    d = -deltas["jawOpen"] * lo_close[:, None]
    d[:, 1] -= 0.01 * up_lip * _ss(MOUTH_Y + 0.04, MOUTH_Y, Y0)
    deltas["mouthClose"] = d
    # funnel: lips forward + rounded opening; pucker: lips forward and narrow, closed
    narrow = -X0 * 0.30 * mouth_reg
    d = zero(); d[:, 0] = narrow * 0.8; d[:, 2] = 0.07 * mouth_reg
    lipopen = np.clip(1 - (X0 / MOUTH_W) ** 2, 0, 1) ** 0.5
    d[:, 1] += 0.035 * lipopen * up_lip * _ss(MOUTH_Y + 0.06, MOUTH_Y, Y0) - 0.04 * lipopen * lo_lip * _ss(MOUTH_Y - 0.08, MOUTH_Y, Y0)
    deltas["mouthFunnel"] = d
    d = zero(); d[:, 0] = narrow * 1.15; d[:, 2] = 0.09 * mouth_reg * (1 + 0.3 * _g(X0, Y0, 0, MOUTH_Y, 0.12, 0.04))
    deltas["mouthPucker"] = d
    for s, sx in (("L", 1.0), ("R", -1.0)):
        corner = sk * _g(X0, Y0, sx * MOUTH_W, MOUTH_Y, 0.12, 0.10) * _ss(0.0, 0.16, sx * X0)
        cheek = sk * _g(X0, Y0, sx * 0.36, -0.25, 0.14, 0.14)
        d = zero(); d[:, 0] = sx * 0.05 * corner; d[:, 1] = 0.075 * corner + 0.035 * cheek
        d[:, 2] = -0.02 * corner + 0.025 * cheek
        deltas[f"mouthSmile_{s}"] = d
        d = zero(); d[:, 0] = sx * 0.012 * corner; d[:, 1] = -0.085 * corner; d[:, 2] = -0.01 * corner
        deltas[f"mouthFrown_{s}"] = d
        d = zero(); d[:, 0] = sx * 0.055 * corner; d[:, 1] = -0.02 * corner; d[:, 2] = -0.015 * corner
        deltas[f"mouthStretch_{s}"] = d
        d = zero(); d[:, 0] = -sx * 0.01 * corner; d[:, 2] = -0.025 * corner
        deltas[f"mouthDimple_{s}"] = d
        half = _ss(-0.06, 0.06, sx * X0)
        d = zero(); d[:, 2] = -0.02 * (up_lip + lo_lip) * half
        deltas[f"mouthPress_{s}"] = d
        d = zero(); d[:, 1] = -0.045 * lo_lip * half * _ss(MOUTH_Y - 0.10, MOUTH_Y, Y0) * np.clip(1 - ((X0 - sx * 0.08) / 0.16) ** 2, 0, 1)
        deltas[f"mouthLowerDown_{s}"] = d
        d = zero(); d[:, 1] = 0.04 * up_lip * half * _ss(MOUTH_Y + 0.08, MOUTH_Y, Y0) * np.clip(1 - ((X0 - sx * 0.08) / 0.16) ** 2, 0, 1)
        deltas[f"mouthUpperUp_{s}"] = d
        d = zero(); d[:, 1] = 0.05 * cheek + 0.02 * corner; d[:, 2] = 0.02 * cheek
        deltas[f"cheekSquint_{s}"] = d
        ala = sk * _g(X0, Y0, sx * 0.12, -0.22, 0.08, 0.07)
        d = zero(); d[:, 1] = 0.045 * ala; d[:, 2] = 0.015 * ala; d[:, 0] = sx * 0.012 * ala
        deltas[f"noseSneer_{s}"] = d
        # brows
        inner = sk * _g(X0, Y0, sx * 0.15, 0.30, 0.09, 0.10)
        outer = sk * _g(X0, Y0, sx * 0.42, 0.30, 0.11, 0.10)
        allb = sk * _g(X0, Y0, sx * 0.28, 0.29, 0.2, 0.09) * (Y0 > EYE_Y + 0.03)
        d = zero(); d[:, 1] = -0.05 * allb - 0.05 * inner; d[:, 0] = -sx * 0.04 * inner; d[:, 2] = -0.01 * allb + 0.01 * inner
        deltas[f"browDown_{s}"] = d
        d = zero(); d[:, 1] = 0.085 * outer * (Y0 > EYE_Y + 0.02)
        deltas[f"browOuterUp_{s}"] = d
    inner2 = sk * (_g(X0, Y0, 0.14, 0.31, 0.10, 0.11) + _g(X0, Y0, -0.14, 0.31, 0.10, 0.11)) * (Y0 > EYE_Y + 0.03)
    d = zero(); d[:, 1] = 0.095 * inner2 + 0.025 * sk * _g(X0, Y0, 0, 0.45, 0.3, 0.15)
    deltas["browInnerUp"] = d
    d = zero(); d[:, 0] = 0.05 * mouth_reg; deltas["mouthLeft"] = d
    d = zero(); d[:, 0] = -0.05 * mouth_reg; deltas["mouthRight"] = d
    d = zero(); d[:, 2] = -0.03 * up_lip; d[:, 1] = -0.015 * up_lip; deltas["mouthRollUpper"] = d
    d = zero(); d[:, 2] = -0.03 * lo_lip; d[:, 1] = 0.02 * lo_lip; deltas["mouthRollLower"] = d
    d = zero(); d[:, 1] = 0.02 * up_lip; d[:, 2] = 0.01 * up_lip; deltas["mouthShrugUpper"] = d
    chin = sk * _g(X0, Y0, 0, -0.78, 0.2, 0.15)
    d = zero(); d[:, 1] = 0.025 * (lo_lip + chin); d[:, 2] = 0.02 * (lo_lip + chin); deltas["mouthShrugLower"] = d
    cheeks = sk * (_g(X0, Y0, 0.40, -0.40, 0.14, 0.16) + _g(X0, Y0, -0.40, -0.40, 0.14, 0.16))
    d = zero(); d[:, 0] = 0.07 * np.sign(X0) * cheeks; d[:, 2] = 0.04 * cheeks; deltas["cheekPuff"] = d
    d = zero(); d[tongue, 2] = 0.16; deltas["tongueOut"] = d

    names = tuple(n for n in ARKIT_NAMES if n in deltas)
    D = np.stack([deltas[n] for n in names]).astype(np.float32)
    cull = np.ones(len(F), bool)                 # faces that may be dropped when facing away
    cull[(M[F[:, 0]] == TEETH) | (M[F[:, 0]] == TONGUE)] = False   # thin / inside: always drawn
    return HeadModel(V.astype(np.float32), F, C, M, names, D, eye_index, centers, lip_z, cull)


def facew_all(front, n):
    """Front weight padded to all vertices (parts get 1)."""
    out = np.ones(n)
    out[:len(front)] = front
    return out
