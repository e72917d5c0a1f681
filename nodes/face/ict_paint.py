"""Colours painted on the ICT head (it has no texture): eyes, lips, brows, lash line, cheeks, hair.

Everything is placed from the head's own 68 landmarks and coordinates (cm, asset frame: y up,
the face looks down +z), so it follows any identity: lips fill the outer lip contour
(landmarks 48–59), brows run along 17–21 / 22–26 and taper to the tail, the lash line darkens
the upper lid margin (36–39 / 42–45), the nostrils are darkened where the surface turns away,
the skin has zones of tone (forehead, beard zone) and a shirt covers the shoulders,
and the hair cap covers the scalp above a hairline that is high on the forehead, dips at the
temples and sideburns and runs down to the nape (``short``, ``long`` or ``bald``), pushed
outward a few millimetres so it has volume.
"""
from __future__ import annotations

import numpy as np

from .face_style import FaceStyle
from .head import HAIR

IRIS_DEG, PUPIL_DEG = 21.0, 8.5
#: the white of the eye: off-white (a pure white reads as a doll's eye)
SCLERA_RGB = np.array([0.89, 0.86, 0.83])
HAIR_SOFT = 0.75 * HAIR
PUPIL_RGB = np.array([0.02, 0.02, 0.025])
#: the shirt collar's top edge (cm, asset frame) against |x|: in front (z > 0) it dips to the
#: breastbone, behind it rises round the neck. The fragment shader draws the same edge per pixel
#: (render.collar_glsl), so it is crisp although the neck's triangles are ~0.9 cm
COLLAR_FRONT = ((0.0, 2.5, 4.5, 6.0, 13.0), (-13.5, -13.2, -12.6, -12.2, -12.2))
COLLAR_BACK = ((0.0, 6.0, 13.0), (-11.6, -12.2, -12.2))
#: the vertices paint the shirt only this far (cm) below the edge: the row of triangles that
#: crosses it stays skin-coloured, and the shader puts the cloth below the edge
COLLAR_PAINT_CM = 1.0


def smoothstep(e0, e1, x):
    """Smoothstep from e0 to e1 (e0 > e1 gives a falling step)."""
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _inside(poly: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Even-odd point-in-polygon test of 2-D points ``p`` against a closed polygon."""
    x, y = p[:, 0], p[:, 1]
    out = np.zeros(len(p), bool)
    for (x0, y0), (x1, y1) in zip(poly, np.roll(poly, -1, axis=0)):
        cross = (y0 > y) != (y1 > y)
        xi = x0 + (y - y0) * (x1 - x0) / np.where(y1 == y0, 1e-12, y1 - y0)
        out ^= cross & (x < xi)
    return out


def _seg_dist(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance of 2-D points to segment a–b, and the position along it (0..1)."""
    ab = b - a
    t = np.clip(((p - a) @ ab) / (ab @ ab), 0.0, 1.0)
    return np.linalg.norm(p - (a + t[:, None] * ab), axis=1), t


def _poly_dist(poly: np.ndarray, p: np.ndarray) -> np.ndarray:
    return np.min([_seg_dist(p, a, b)[0] for a, b in zip(poly, np.roll(poly, -1, axis=0))], axis=0)


def _noise(p: np.ndarray, freq: float, seed: int = 0) -> np.ndarray:
    """Cheap smooth value noise in [0, 1] from sums of sines (deterministic)."""
    rng = np.random.default_rng(seed)
    acc = np.zeros(len(p))
    for _ in range(6):
        d = rng.normal(size=3)
        d /= np.linalg.norm(d)
        acc += np.sin(p @ d * freq * rng.uniform(0.6, 1.6) + rng.uniform(0, 6.3))
    return 0.5 + acc / 12.0


def sclera_rgb(ang: np.ndarray) -> np.ndarray:
    white = SCLERA_RGB
    pink = np.array([0.86, 0.70, 0.68])
    t = smoothstep(40.0, 75.0, ang)[:, None]                     # redder toward the corners
    return white * (1 - t) + pink * t


def lid_shadow(d: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """0.55..1 shade of eyeball points ``d`` (from the eye's centre; ``axis`` its gaze): the upper lid
    and lashes shadow the top of the eye (without it the eyes look like a doll's, lit evenly)."""
    up = np.array([0.0, 1.0, 0.0]) - axis * axis[1]
    up /= np.linalg.norm(up)
    elev = np.degrees(np.arcsin(np.clip((d @ up) / np.maximum(np.linalg.norm(d, axis=1), 1e-9), -1, 1)))
    return 1.0 - 0.45 * smoothstep(-8.0, 14.0, elev)


def iris_rgb(ang, d, axis, iris) -> np.ndarray:
    """Iris colour with radial fibres, a dark limbal ring, a darker collarette and the pupil."""
    ref = np.cross(axis, [0.0, 1.0, 0.0])
    ref /= np.linalg.norm(ref)
    up = np.cross(ref, axis)
    phi = np.arctan2(d @ up, d @ ref)
    r = ang / IRIS_DEG                                       # 0 centre, 1 limbus
    fib = 0.80 + 0.20 * np.sin(phi * 37) * np.sin(phi * 11 + r * 7)
    base = iris[None] * (0.65 + 0.5 * r[:, None]) * fib[:, None]
    base = base * (1 - 0.35 * np.exp(-((r - 0.55) / 0.12) ** 2))[:, None]
    out = np.where((r < 1.0)[:, None], base, SCLERA_RGB)
    out = np.where((np.abs(r - 1.0) < 0.1)[:, None], iris * 0.25, out)
    out = np.where((ang < PUPIL_DEG)[:, None], PUPIL_RGB, out)
    # the back of the iris shell shows through the pupil hole: as dark as the pupil
    return np.where((ang > 60.0)[:, None], PUPIL_RGB, out)


def _azimuth(v: np.ndarray) -> np.ndarray:
    """Angle (radians) round the vertical axis of the skull: 0 at the front, pi at the back."""
    return np.abs(np.arctan2(v[:, 0], v[:, 2] - 1.0))


def _hair_weight(v: np.ndarray, hair: str) -> tuple[np.ndarray, np.ndarray]:
    """(0..1 hair coverage of the scalp, cm above the hairline): the hairline is high on the
    forehead, dips at the temples and sideburns, and runs down to the nape at the back (cm, asset frame)."""
    if hair == "bald":
        return np.zeros(len(v)), np.full(len(v), -1.0)
    az = np.degrees(_azimuth(v))
    # high on the forehead, a slight recession at the temples' corners, down in front of the ear
    # (sideburns to about the middle of the ear), just above the ear, down to the nape behind it
    line = np.interp(az, [0, 22, 40, 48, 54, 60, 66, 74, 82, 90, 108, 122, 145, 180],
                     [9.5, 10.0, 10.2, 9.4, 8.0, 5.6, 3.2, 2.2, 2.4, 4.6, 4.8, 1.5, -3.0, -5.5])
    if hair == "long":        # the same face frame (no strip of hair down the cheek), longer behind the ears
        line = np.minimum(line, np.interp(az, [0, 90, 112, 180], [99.0, 99.0, -2.0, -9.0]))
    # an irregular line; no finer wisps: the scalp's edges are 0.4-0.9 cm, so detail finer than that
    # turns into a saw-tooth of triangles
    wobble = 1.0 * (_noise(v, 2.5, 7) - 0.5) + 2.2 * (_noise(v, 0.9, 8) - 0.5)
    above = v[:, 1] + wobble - line
    # the hair thins out over ~2.4 cm on the forehead (skin shows through it), ~1.8 cm on the sides
    k = np.interp(az, [0, 40, 62, 180], [0.6, 0.6, 0.45, 0.45])
    w = smoothstep(-1.6 * k, 2.4 * k, above)
    # no hair on the ears (only the ear itself: the sideburn in front of it stays), faded over ~1 cm
    ear = (smoothstep(6.0, 6.6, np.abs(v[:, 0])) * smoothstep(5.6, 4.6, v[:, 1]) * smoothstep(-4.0, -3.0, v[:, 1])
           * smoothstep(2.0, 1.2, v[:, 2]) * smoothstep(-3.2, -2.4, v[:, 2]))
    return w * (1.0 - ear), above


def _blend(col: np.ndarray, rgb, w: np.ndarray) -> np.ndarray:
    return col * (1 - w[:, None]) + np.asarray(rgb, np.float64) * w[:, None]


def _lips(v, L, front) -> tuple[np.ndarray, np.ndarray]:
    """(lip weight of the visible lips, mask of the inner lip surface going into the mouth)."""
    outer = L[48:60, :2]
    inside = _inside(outer, v[:, :2])
    d_edge = _poly_dist(outer, v[:, :2])
    # a defined border: the colour reaches full strength 1.2 mm inside the contour and barely bleeds out
    w = np.where(inside & front, smoothstep(0.0, 0.12, d_edge), 0.0) + np.where(~inside & front, smoothstep(0.08, 0.0, d_edge), 0.0) * 0.35
    deep = v[:, 2] <= L[48, 2] - 2.0
    # the lip colour fades out into the corners (the commissures are skin, and a lip-coloured
    # smear there reads as a bruise once the corner is in shadow)
    corner = np.minimum(*(np.hypot(v[:, 0] - L[k, 0], v[:, 1] - L[k, 1]) for k in (48, 54)))
    w = w * (0.35 + 0.65 * smoothstep(0.0, 0.55, corner))
    return w * (front & ~deep), inside & deep


def _skin_zones(v, L, front, lipw) -> np.ndarray:
    """(V, 3) low-frequency tone factors of the face: the forehead lighter and a little yellower
    (thicker skin over bone), the beard zone (upper lip, chin, along the jaw) slightly darker and
    cooler; the lips keep their own colour."""
    brow_y = L[17:27, 1].mean()
    forehead = smoothstep(brow_y + 0.3, brow_y + 2.0, v[:, 1]) * front
    below_nose = smoothstep(L[33, 1] + 0.2, L[33, 1] - 0.6, v[:, 1])
    inner = smoothstep(np.abs(L[0, 0]) - 0.3, np.abs(L[0, 0]) - 1.8, np.abs(v[:, 0]))
    beard = below_nose * inner * front * (1 - lipw)
    f = np.ones((len(v), 3))
    f *= 1.0 + forehead[:, None] * np.array([0.035, 0.02, -0.01])
    f *= 1.0 - beard[:, None] * np.array([0.06, 0.05, 0.02])
    return f


def _lip_roll(v, L, front) -> np.ndarray:
    """0..1 on the thin band of skin just outside the upper lip's border (landmarks 48–54), which
    catches the light (the 'white roll'): it sets the lip off from the skin."""
    inside = _inside(L[48:60, :2], v[:, :2])
    d = _open_dist(L[48:55, :2], v[:, :2])
    top = L[[48, 51, 54]][np.argsort(L[[48, 51, 54], 0])]            # corners and the top of the lip, by x
    above = v[:, 1] > np.interp(v[:, 0], top[:, 0], top[:, 1]) - 0.3
    corner = np.minimum(*(np.hypot(v[:, 0] - L[k, 0], v[:, 1] - L[k, 1]) for k in (48, 54)))
    return smoothstep(0.25, 0.06, d) * smoothstep(0.0, 0.05, d) * (~inside & above & front) * smoothstep(0.2, 0.6, corner)


def _open_dist(line: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Distance of 2-D points to an open polyline."""
    return np.min([_seg_dist(p, a, b)[0] for a, b in zip(line[:-1], line[1:])], axis=0)


def _lip_seam(v, L, front) -> np.ndarray:
    """0..1 along the line where the lips meet (the inner lip contour, landmarks 60–67): a thin
    shadow, so closed lips read as two lips and not one."""
    inner = L[60:68, :2]
    d = _poly_dist(inner, v[:, :2])
    near = np.abs(v[:, 2] - L[62, 2]) < 0.6
    return smoothstep(0.09, 0.0, d) * front * near


def _brows(v, L, front) -> np.ndarray:
    """Brow weight below landmarks 17–21 / 22–26 (the brows' upper edge): about 1 cm tall and
    dense at the inner end, tapering to a thin tail; hairs at the inner end run up, the rest out
    along the brow. Painted on the skin that browDown / browInnerUp / browOuterUp move, so the
    brows move with them."""
    brow = np.zeros(len(v))
    along = np.zeros(len(v))
    for a, b in ((17, 21), (22, 26)):
        pts = L[a:b + 1, :2] - np.array([0.0, 0.34])               # the brow's centre line
        pts = pts if abs(pts[0, 0]) < abs(pts[-1, 0]) else pts[::-1]        # inner end first
        for i in range(len(pts) - 1):
            dist, t = _seg_dist(v[:, :2], pts[i], pts[i + 1])
            frac = (i + t) / (len(pts) - 1)
            half = 0.52 - 0.34 * frac ** 1.3                 # full at the inner end, tapering to the tail
            w = smoothstep(half, half * 0.4, dist) * smoothstep(1.04, 0.88, frac) * smoothstep(-0.06, 0.08, frac)
            along = np.where(w > brow, frac, along)
            brow = np.maximum(brow, w)
    # strands: vertical at the head of the brow, along it further out
    up = _noise(v * np.array([6.0, 1.0, 1.0]), 12.0, 3)
    out = _noise(v * np.array([1.0, 4.0, 1.0]), 12.0, 4)
    hairs = np.where(along < 0.2, up, out)
    return 0.95 * brow * (0.6 + 0.4 * hairs) * (front & (v[:, 2] > 6.0))


def _lash_line(v, L, skin) -> np.ndarray:
    """Upper lid margin (landmarks 36–39 / 42–45), widest at the outer corner."""
    lash = np.zeros(len(v))
    for ids in ((36, 37, 38, 39), (45, 44, 43, 42)):
        pts = L[list(ids), :2]
        for i in range(3):
            dist, t = _seg_dist(v[:, :2], pts[i], pts[i + 1])
            frac = (i + t) / 3.0
            above = v[:, 1] >= (pts[i, 1] + t * (pts[i + 1, 1] - pts[i, 1])) - 0.03
            lash = np.maximum(lash, above * smoothstep(0.19 - 0.07 * frac, 0.03, dist))
    return 0.95 * lash * (skin & (v[:, 2] > 7.5))


def _lower_lid_margin(v, L, skin) -> np.ndarray:
    """0..1 on the wet rim of the lower lid (landmarks 39–41–36 / 42–47–45): pinker and, being wet,
    glossy (the shader gives lip-red skin a wet highlight)."""
    rim = np.zeros(len(v))
    for ids in ((36, 41, 40, 39), (45, 46, 47, 42)):
        pts = L[list(ids), :2]
        for i in range(3):
            dist, _ = _seg_dist(v[:, :2], pts[i], pts[i + 1])
            rim = np.maximum(rim, smoothstep(0.09, 0.02, dist))
    return 0.6 * rim * (skin & (v[:, 2] > 7.5))


def _under_eye(v, L, front) -> np.ndarray:
    """0..1 in the hollow under each eye (the tear trough): a soft shadow."""
    w = np.zeros(len(v))
    for ids in (range(36, 42), range(42, 48)):
        c = L[list(ids)].mean(0)
        d2 = ((v[:, 0] - c[0] - 0.1 * np.sign(c[0])) / 1.3) ** 2 + ((v[:, 1] - c[1] + 0.75) / 0.45) ** 2
        w = np.maximum(w, np.exp(-d2))
    return w * front


def _cheeks(v, front) -> np.ndarray:
    c = sum(np.exp(-np.sum((v[:, :2] - np.array([sx * 3.9, -1.0])) ** 2, 1) / (2 * 1.5 ** 2)) for sx in (-1, 1))
    return 0.30 * c * front


def _eye_surround(v, L, front) -> np.ndarray:
    """0..1 weight of the thin skin round the eyes (lids, the hollow under them): it shows the blood
    beneath as a slightly darker, cooler tone."""
    w = np.zeros(len(v))
    for ids in (range(36, 42), range(42, 48)):
        c = L[list(ids)].mean(0)
        d2 = ((v[:, 0] - c[0]) / 1.7) ** 2 + ((v[:, 1] - c[1] + 0.25) / 1.05) ** 2
        w = np.maximum(w, np.exp(-d2))
    return w * front


def _ears(v, skin) -> np.ndarray:
    """The ears (thin, well supplied with blood): redder than the face."""
    return 0.35 * skin * ((np.abs(v[:, 0]) > 6.4) & (v[:, 1] < 5.0) & (v[:, 1] > -3.5) & (v[:, 2] < 3.0))


def _nose_warmth(v, L, front) -> np.ndarray:
    """Warmer tip and wings of the nose (around landmark 30)."""
    d2 = (v[:, 0] - L[30, 0]) ** 2 / 1.1 ** 2 + (v[:, 1] - L[30, 1] + 0.4) ** 2 / 0.9 ** 2
    return 0.26 * np.exp(-d2) * front


def _under_chin(v, L) -> np.ndarray:
    """0..1 darkening of the neck: a shadow right under the jaw line, the neck a little darker
    than the face all the way down (the key light comes from above)."""
    below = v[:, 1] - (L[8, 1] + 0.15 * (v[:, 2] - L[8, 2]))       # the jaw line slopes back up
    neck = smoothstep(0.4, -1.0, below)
    shadow = np.exp(-((below + 0.8) / 1.6) ** 2)
    return 0.12 * neck + 0.12 * shadow * neck


def _nostrils(v, L, n0, skin) -> np.ndarray:
    """Inside of the nostrils: under the nose tip, where the surface turns away from the camera."""
    nose = (np.abs(v[:, 0]) < 1.7) & (v[:, 1] > L[33, 1] - 0.3) & (v[:, 1] < L[30, 1]) & (v[:, 2] > 8.5)
    return skin & nose & (n0[:, 2] < 0.35) & (n0[:, 1] < 0.2) & (v[:, 2] < L[33, 2] - 0.1)


def _shirt(v, n0, skin, col, rgb, faces=None) -> tuple[np.ndarray, np.ndarray]:
    """A crew-neck shirt on the shoulders and the top of the chest (the head does not float): the
    collar (:data:`COLLAR_FRONT`, :data:`COLLAR_BACK`) dips to the breastbone in front and rises round
    the sides of the neck, its band ~1.5 cm wide, standing 2.5 mm off the skin. The colours here are
    the cloth's well below the edge only; the shader draws the edge. (vertices, colours)."""
    ax = np.abs(v[:, 0])
    collar_y = np.where(v[:, 2] > 0.0, np.interp(ax, *COLLAR_FRONT), np.interp(ax, *COLLAR_BACK))
    d = collar_y - v[:, 1]                                  # cm below the collar's top edge
    w = smoothstep(-0.5, 0.5, d) * skin
    if faces is not None:
        w = smooth_over(faces, w, 1)
    paint = smoothstep(COLLAR_PAINT_CM, COLLAR_PAINT_CM + 0.5, d) * skin
    weave = 0.94 + 0.06 * _noise(v, 9.0, 12)
    cloth = np.asarray(rgb, np.float64)[None] * (weave * (1.0 - 0.1 * smoothstep(0.0, 3.0, d)))[:, None]
    col = col * (1 - paint[:, None]) + cloth * paint[:, None]
    lift = 0.25 * w * (0.6 + 0.4 * smoothstep(2.0, 1.2, d))
    return v + n0 * lift[:, None], col


def _adjacency(faces: np.ndarray, n: int):
    """(CSR adjacency with unit weights, degree) of the mesh's vertex graph."""
    from scipy.sparse import coo_matrix
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    e = np.concatenate([e, e[:, ::-1]])
    A = coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n, n)).tocsr()
    A.data[:] = 1.0
    return A, np.maximum(np.asarray(A.sum(1)).ravel(), 1)


def smooth_over(faces: np.ndarray, x: np.ndarray, rounds: int = 2) -> np.ndarray:
    """``x`` (per vertex) averaged with its mesh neighbours ``rounds`` times (softens painted edges)."""
    A, deg = _adjacency(faces, len(x))
    for _ in range(rounds):
        x = 0.5 * x + 0.5 * (A @ x) / deg
    return x


def cavity(v: np.ndarray, faces: np.ndarray, n0: np.ndarray, rounds: int = 3) -> np.ndarray:
    """0..1 darkening of concave places (creases, the nose wings, eye sockets, the ear's folds):
    how far a vertex lies below the mean of its neighbours along its normal, smoothed — a cheap
    stand-in for ambient occlusion."""
    A, deg = _adjacency(faces, len(v))
    depth = np.einsum("ij,ij->i", A @ v / deg[:, None] - v, n0)       # > 0: the neighbours stand higher
    return smoothstep(0.004, 0.05, smooth_over(faces, depth, rounds))


def paint_skin(v: np.ndarray, L: np.ndarray, n0: np.ndarray, skin: np.ndarray, col: np.ndarray,
               mat: np.ndarray, style: FaceStyle, occlusion: np.ndarray,
               faces: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Skin colours of ``style`` on vertices ``v`` (landmarks ``L``, normals ``n0``, ``skin`` mask,
    ``occlusion`` from :func:`cavity`; ``faces`` soften the lip edge over the mesh): returns (vertices with the hair's volume, colours, materials
    with the hair cover)."""
    col = col.copy()
    nostril = _nostrils(v, L, n0, skin).astype(np.float64)
    if faces is not None:                    # soft-edged: single dark vertices on the nose wing read as specks
        nostril = np.maximum(smooth_over(faces, nostril, 2), nostril * 0.8) * skin
    col *= (1.0 - 0.65 * nostril)[:, None]
    col *= 1.0 - (occlusion * skin)[:, None] * np.array([0.20, 0.30, 0.32])    # creases keep their red (blood under the skin)
    front = skin & (v[:, 2] > 4.0)
    lipw, inner = _lips(v, L, front)
    if faces is not None:                    # no skin-coloured specks between lip-coloured vertices
        lipw = smooth_over(faces, lipw, 2) * front
    col = _blend(col, style.lips, lipw)
    col *= (1.0 + 0.07 * _lip_roll(v, L, front) * (1 - lipw))[:, None]
    col[inner & skin] = np.asarray(style.lips) * 0.8
    col *= (1.0 - 0.35 * _lip_seam(v, L, front))[:, None]
    col = _blend(col, style.brow_rgb, _brows(v, L, front))
    col = _blend(col, np.asarray(style.brow_rgb) * 0.35, _lash_line(v, L, skin))
    col = _blend(col, np.asarray(style.lips) * np.array([1.1, 1.05, 1.05]), _lower_lid_margin(v, L, skin))
    col = _blend(col, style.cheek_rgb, np.minimum(_cheeks(v, front) + _nose_warmth(v, L, front) + _ears(v, skin), 0.6)
                 * (1 - lipw))
    col *= (1.0 - 0.16 * _eye_surround(v, L, front) * (1 - lipw))[:, None] ** np.array([1.0, 1.05, 1.05])  # darker, barely cooler (violet reads as a bruise)
    col *= (1.0 - 0.10 * _under_eye(v, L, front) * (1 - lipw))[:, None] ** np.array([1.0, 1.08, 1.04])
    col *= (1.0 - _under_chin(v, L) * skin)[:, None]
    col *= _skin_zones(v, L, front, lipw)
    col *= (0.96 + 0.08 * _noise(v, 4.0, 1))[:, None]              # subtle blotchiness
    col *= (0.975 + 0.05 * _noise(v, 16.0, 11))[:, None]           # and a finer mottle (no wax)
    v, col = _shirt(v, n0, skin, col, style.shirt_rgb, faces)
    if style.hair == "bald":
        return v, col, mat
    hair_w, above = _hair_weight(v, style.hair)
    hair_w = hair_w * skin
    # volume grows toward the crown, and from nothing at the hairline (thin hair there: no cap edge)
    # close to the skull on the sides and back, more on top and most at the front (hair brushed up and
    # back off the forehead): no dome
    fore = np.exp(-(_azimuth(v) / 1.1) ** 4) * smoothstep(8.0, 12.0, v[:, 1])
    az = np.degrees(_azimuth(v))
    temples = smoothstep(35.0, 60.0, az) * smoothstep(125.0, 90.0, az) * smoothstep(2.0, 7.0, v[:, 1])   # some volume at the sides
    lift = (0.45 + 0.7 * smoothstep(4.0, 14.0, v[:, 1]) + 0.4 * fore + 0.3 * temples) * hair_w ** 2 * smoothstep(-0.5, 5.0, above)
    lift *= 0.75 + 0.5 * _noise(v, 0.7, 9)                                  # an uneven silhouette, not a shell
    if faces is not None:                      # no creases where the lift changes fast (dark folds in the hair)
        lift = smooth_over(faces, lift, 4)
    v = v + n0 * lift[:, None]
    strands = _noise(v * np.array([1.0, 0.25, 1.0]), 14.0, 5) * 0.3 + 0.7 * _noise(v, 1.6, 6)
    roots = 0.85 + 0.15 * smoothstep(0.0, 3.0, above)                          # a little darker at the roots
    tone = 0.86 + 0.24 * smoothstep(5.0, 14.0, v[:, 1])                       # lighter on top, darker low on the sides
    hcol = np.asarray(style.hair_rgb)[None] * ((0.82 + 0.3 * strands) * roots * tone)[:, None]
    cover = hair_w ** 1.2                         # sparse at the hairline: the skin's colour shows through
    col = col * (1 - cover[:, None]) + hcol * cover[:, None]
    # the hair material at 3/4 strength: the shader's strands (and sheen) at lower contrast, no regular streaks
    mat = np.where(skin, HAIR_SOFT * hair_w, mat).astype(np.float32)
    return v, col, mat


def paint_teeth(v: np.ndarray, teeth: np.ndarray, faces: np.ndarray, rgb) -> np.ndarray:
    """(len(teeth), 3) colours of the teeth (vertex indices ``teeth``; each tooth a separate piece
    of the mesh): enamel of ``rgb``, darker toward each tooth's sides (the gaps between teeth read
    as separate teeth, not one white block), warmer and darker toward the gum (the neck of the tooth),
    the biting edge a touch darker; the lower teeth warmer (they get their light off the lower lip)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    sel = np.isin(faces, teeth).all(axis=1)
    f = faces[sel]
    n = len(v)
    A = coo_matrix((np.ones(2 * len(f)), (np.r_[f[:, 0], f[:, 1]], np.r_[f[:, 1], f[:, 2]])), shape=(n, n))
    _, label = connected_components(A, directed=False)
    lab = label[teeth]
    p = v[teeth]
    arch = p[:, [0, 2]].mean(0) - np.array([0.0, 2.0])        # a point behind the arch's front
    col = np.empty((len(teeth), 3))
    rgb = np.asarray(rgb, np.float64)
    # the cheeks hide the back teeth from the ambient light (the shader's fill and sky terms do not
    # know it): darker with depth behind the incisors, and without the side shading, whose few
    # vertices per small tooth would mottle them
    depth = smoothstep(0.0, 1.6, p[:, 2].max() - p[:, 2])
    occl = 1.0 - 0.6 * depth
    for k in np.unique(lab):
        i = np.nonzero(lab == k)[0]
        c = p[i].mean(0)
        radial = np.array([c[0] - arch[0], c[2] - arch[1]])
        tangent = np.array([-radial[1], radial[0]]) / max(np.linalg.norm(radial), 1e-9)
        s = (p[i][:, [0, 2]] - c[[0, 2]]) @ tangent
        side = np.abs(s) / max(np.abs(s).max(), 1e-9)               # 0 middle … 1 at the tooth's sides
        y = p[i, 1]
        upper = c[1] > p[:, 1].mean()
        h = (y - y.min()) / max(np.ptp(y), 1e-9)
        root = h if upper else 1.0 - h                              # 1 at the gum, 0 at the biting edge
        shade = (1.0 - 0.45 * smoothstep(0.55, 1.0, side) * (1.0 - depth[i])) * occl[i]
        neck = smoothstep(0.55, 1.0, root)
        edge = smoothstep(0.2, 0.0, root)
        tone = rgb * (1 - 0.25 * neck[:, None]) * np.array([1.0, 0.94, 0.92]) ** neck[:, None]
        tone = tone * (1 - 0.1 * edge[:, None])
        if not upper:                     # lit mostly by light bounced off the lower lip: warm, not grey
            tone = tone * np.array([1.0, 0.88, 0.86])   # red, not yellow: dark yellow reads olive
        col[i] = tone * shade[:, None]
    return col
