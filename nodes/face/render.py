"""Off-screen rendering of the procedural head with vispy (EGL surfaceless or OSMesa).

The GL backend is chosen once per process: ``PSIGRAPH_GL=osmesa|egl`` forces one;
otherwise OSMesa is tried first (measured faster here: 41 vs 50 ms per 640² frame
before culling), then EGL (``EGL_PLATFORM=surfaceless`` is set by default).
Needed system packages (Debian): ``libosmesa6`` for OSMesa (``OSMESA_LIBRARY``
defaults to /usr/lib/x86_64-linux-gnu/libOSMesa.so.8); ``libegl1 libegl-mesa0
libgl1 libgl1-mesa-dri`` for EGL. No display and no GPU are needed.
"""
from __future__ import annotations

import os
from typing import Iterable, Iterator

import numpy as np

from psigraph.errors import PsigraphError

from .arkit import BLENDSHAPE_LABELS
from .head import HeadModel
from .deform import HeadPoser
from .heads import load_head

OSMESA_LIB = "/usr/lib/x86_64-linux-gnu/libOSMesa.so.8"
#: the fragment shader's line that reads the material (FaceRenderer._part_programs writes the
#: skin's and the hair's value in its place, for their own programs)
MAT_LINE = "float mat = v_col.a;"
_backend: str | None = None


class RenderError(PsigraphError):
    """No off-screen GL backend could be started, or a render worker failed."""

    code = "render.failed"


def gl_backend() -> str:
    """Select (once per process) and return the vispy off-screen backend name."""
    global _backend
    if _backend is not None:
        return _backend
    # llvmpipe rasterising in the calling thread costs the least CPU here (render, prepare and
    # encode already run in three threads); override with LP_NUM_THREADS=N.
    os.environ.setdefault("LP_NUM_THREADS", "0")
    import vispy
    forced = os.environ.get("PSIGRAPH_GL", "").strip().lower()
    order = [forced] if forced else ["osmesa", "egl"]
    errors = []
    for name in order:
        try:
            if name == "osmesa":
                if "OSMESA_LIBRARY" not in os.environ and os.path.exists(OSMESA_LIB):
                    os.environ["OSMESA_LIBRARY"] = OSMESA_LIB
            elif name == "egl":
                os.environ.setdefault("EGL_PLATFORM", "surfaceless")
            else:
                raise RenderError(f"unknown PSIGRAPH_GL={name!r} (use osmesa or egl)")
            vispy.use(app=name)
            from vispy import app
            app.use_app(name)
            _backend = name
            return name
        except Exception as exc:  # try the next backend
            errors.append(f"{name}: {exc}")
    raise RenderError("no off-screen GL backend: " + "; ".join(errors)
                      + " (apt-get install libosmesa6, or libegl1 libegl-mesa0 libgl1-mesa-dri)")


VERT = """
uniform mat4 u_model; uniform mat4 u_view; uniform mat4 u_proj;
uniform float u_lipz;
uniform vec4 u_mouth;                      // the inner-lip opening this frame: centre x, y, half width, half height
uniform vec3 u_eyeL; uniform vec3 u_eyeR;  // the corneas' centres this frame (catch lights on a round cornea)
attribute vec3 a_pos; attribute vec3 a_nrm; attribute vec3 a_col; attribute float a_mat;
attribute vec3 a_rest;  // rest-pose position (procedural hair strands, T-zone sheen stay put on the head)
varying vec4 v_n;      // view-space normal, object-space z (mouth depth)
varying vec4 v_col;    // colour, material id
varying vec4 v_aux;    // hair: angle round the z axis, strand wave; T-zone weight; rest x (lashes)
varying vec3 v_p;      // rest-pose position (skin pores)
varying vec4 v_e;      // eyes: the cornea's normal; skin and hair: the strands' direction (view space);
                       // w: the light reaching this point inside the mouth (see mouth_light)
// How much light reaches a point inside the mouth: the form factor of the lip opening (taken as a
// disc of radius a = sqrt(half width * half height) at the lips' depth) seen from the point, d
// behind it and rho to the side (the opening's ellipse scaled to that disc), for a surface facing
// the opening; a surface turned away from the opening (the sides of the back teeth, the cheeks'
// lining) gets less: a Lambert term toward a point in front of the opening's centre, one opening
// radius out (where the light comes from). Per vertex: it varies smoothly.
float mouth_light(vec3 p, vec3 n) {
    float behind = u_lipz - 0.05 - p.z;        // the front teeth sit 5 mm behind the inner lip line
    vec3 to = vec3(u_mouth.xy - p.xy, max(behind, 0.0));
    float a = sqrt(u_mouth.z * u_mouth.w);
    float rho = a * length(to.xy / max(u_mouth.zw, vec2(0.004)));
    float z2 = to.z * to.z, r2 = rho * rho, a2 = a * a;
    float f = 0.5 * (1.0 - (z2 + r2 - a2) / sqrt(max((z2 + r2 + a2) * (z2 + r2 + a2) - 4.0 * a2 * r2, 1e-12)));
    f *= 0.3 + 0.7 * max(dot(n, normalize(to + vec3(0.0, 0.0, a))), 0.0);   // light comes in from the front
    return mix(f, 1.0, smoothstep(0.0, -0.04, behind));      // in front of the teeth (a tongue out): outside
}
void main() {
    vec4 vp = u_view * (u_model * vec4(a_pos, 1.0));
    vec3 p = a_rest;
    v_p = p;
    float th = p.x / (abs(p.y + 0.35) + 0.2);     // ~ the angle round the z axis (no atan): strands front to back
    float tz = smoothstep(0.30, 0.08, abs(p.x)) * smoothstep(-0.45, -0.1, p.y) * smoothstep(0.6, 0.85, p.z);
    v_aux = vec4(th, 0.9 * sin(p.z * 23.0 + th * 9.0) + 0.7 * sin(p.z * 61.0 - th * 37.0), tz, p.x);
    mat3 nm = mat3(u_view) * mat3(u_model);
    v_n = vec4(nm * a_nrm, a_pos.z);
    v_col = vec4(a_col, a_mat);
    vec3 e;
    if (a_mat > 0.5 && a_mat < 1.5 || a_mat > 4.5 && a_mat < 5.5)
        e = nm * normalize(a_pos - (a_pos.x > 0.0 ? u_eyeL : u_eyeR));
    else                                        // hair combed front to back
        e = normalize(cross(vec3(1.0, 0.0, 0.0), v_n.xyz) + vec3(0.0, 1e-3, 0.0));
    // the inside of the head (skin seen from behind) faces the other way
    v_e = vec4(e, mouth_light(a_pos, a_mat < 0.5 ? -a_nrm : a_nrm));
    gl_Position = u_proj * vp;
}
"""

def _glsl_interp(name: str, xs, ys) -> str:
    """A GLSL function ``float name(float x)``: numpy's piecewise-linear interp of (xs, ys)."""
    terms = "".join(f" + {(y1 - y0):.4f} * clamp((x - {x0:.4f}) / {(x1 - x0):.4f}, 0.0, 1.0)"
                    for x0, x1, y0, y1 in zip(xs[:-1], xs[1:], ys[:-1], ys[1:]))
    return f"float {name}(float x) {{ return {ys[0]:.4f}{terms}; }}\n"


def collar_glsl() -> str:
    """The GLSL of the shirt collar's edge (ict_paint.COLLAR_FRONT / COLLAR_BACK, cm of the asset)."""
    from .ict_paint import COLLAR_BACK, COLLAR_FRONT
    return _glsl_interp("collar_front", *COLLAR_FRONT) + _glsl_interp("collar_back", *COLLAR_BACK)


FRAG = """
uniform float u_lipz;
uniform vec3 u_lid;                      // upper-lid skin (linear): what shows between thin lashes
uniform vec4 u_shirt;                    // the shirt (linear rgb; a = 1 if worn)
uniform vec4 u_asset;                    // render units to the asset cm: p * x - (y, z, w)
varying vec4 v_n; varying vec4 v_col;    // colour arrives linear (converted once on the CPU)
varying vec4 v_aux;                      // per-vertex parts of the hair strands, T-zone, lashes (see VERT)
varying vec3 v_p;                        // rest-pose position (skin pores)
varying vec4 v_e;                        // the cornea's normal or the strands' direction; mouth light (see VERT)
// materials: 0 skin, 1 eye (sclera, tear film), 2 teeth, 3 tongue/gums, 4 mouth lining,
//            5 iris (behind the cornea: glossy), 6 eyelashes; 0..0.45 = skin to hair
// three-point lighting: warm key (upper left, specular), dim cool fill (right), rim from behind
const vec3 L0 = vec3(-0.6400, 0.4800, 0.6000); const vec3 C0 = vec3(1.16, 1.07, 0.97);
const vec3 L1 = vec3(0.8052, 0.0537, 0.5905);  const vec3 C1 = vec3(0.16, 0.15, 0.15);
const vec3 L2 = vec3(0.3420, 0.4397, -0.8305); const vec3 C2 = vec3(0.45, 0.45, 0.48);
const vec3 H0 = vec3(-0.3578, 0.2683, 0.8944);   // half vector of the key light and the view (0, 0, 1)
const vec3 H1 = vec3(0.4515, 0.0301, 0.8918);    // half vector of the fill light: the second catch light
const vec3 HE = vec3(-0.2425, 0.1455, 0.9592);   // the key's catch light in the eyes, a little lower than its
                                                 // true reflection, which the upper lid would hide
vec3 wrapped(float ndl, vec3 w) { return max((vec3(ndl) + w) / (1.0 + w), 0.0); }
// hair strands: clumps across the direction the hair is combed (front to back, round the z axis);
// three incommensurate scales so no regular rib shows; each fades out as its period nears the
// pixel's width (fw: the angle's change across a pixel), so fine strands blend instead of aliasing
float strands(vec2 a, float fw) {
    vec3 k = clamp(1.0 - fw * vec3(170.0, 437.0, 1013.0) * 0.35, 0.0, 1.0);
    return 0.5 + 0.2 * k.x * sin(a.x * 170.0 + a.y) + 0.16 * k.y * sin(a.x * 437.0 + 1.7 * a.y + 2.0)
               + 0.1 * k.z * sin(a.x * 1013.0 - 0.6 * a.y);
}
// skin pores and micro-relief (rest position p, in head units ~ dm): three fine ripples in
// unrelated directions (quasi-periodic: no grid shows), faded out as they near the pixel's size
// (fw) so they never alias; 0 on average
float pores(vec3 p, float fw) {
    float k = clamp(1.0 - fw * 520.0 * 0.3, 0.0, 1.0);
    if (k <= 0.0) return 0.0;            // too fine for the image (small renders): skip the sines
    return k * 0.6 * (sin(dot(p, vec3(331.0, 167.0, 59.0))) + sin(dot(p, vec3(-143.0, 389.0, 97.0)))
                    + sin(dot(p, vec3(211.0, -263.0, 301.0))));
}
""" + collar_glsl() + """
// cm below the shirt collar's top edge at rest position p (< 0 above it: skin)
float collar_depth(vec3 p) {
    vec3 c = p * u_asset.x - u_asset.yzw;
    float ax = abs(c.x);
    return (c.z > 0.0 ? collar_front(ax) : collar_back(ax)) - c.y;
}
void main() {
    vec3 base = v_col.rgb;
    float mat = v_col.a;
    if (!gl_FrontFacing && mat < 0.5) {   // seen through the mouth: the inside of the head, dark red, graded
        gl_FragColor = vec4(pow(vec3(0.020, 0.004, 0.005) + vec3(0.16, 0.035, 0.04) * smoothstep(0.02, 0.8, v_e.w), vec3(1.0/2.2)), 1.0);
        return;
    }
    if (mat > 5.5 && mat < 6.5) {         // lashes: the card cut into strands that taper to the tip
        // coverage of the strands in this pixel (box-filtered across the pixel's width, so lashes
        // too thin for the image blend into the lid instead of breaking into aliased sticks);
        // dense at the root (the lash line), thinning toward the tips
        float t = base.r;
        float x = v_aux.w * 180.0;
        float half_w = mix(0.28, 0.13, smoothstep(0.05, 0.45, t)) * (1.0 - 0.8 * t);
        float fw = max(fwidth(x), 1e-4);
        float cov = clamp((half_w - abs(fract(x) - 0.5)) / fw + 0.5, 0.0, 1.0);
        cov = mix(cov, 2.0 * half_w, smoothstep(0.15, 0.5, fw)) * (1.0 - 0.9 * t * t);   // the tips fade
        if (cov < 0.06) discard;
        base = mix(u_lid, vec3(0.010, 0.007, 0.006), cov);
    }
    vec3 n = normalize(v_n.xyz);
    if (!gl_FrontFacing) n = -n;
    // per-channel wrap: red light wraps further round the terminator (a subsurface look)
    vec3 wrap = vec3(0.10); float shin = 24.0; float ks = 0.06;
    float hair = clamp(mat / 0.45, 0.0, 1.0);
    float st = 0.5;
    float rim = 1.0;
    if (mat < 0.5) {
        // T-zone (forehead, nose): a soft sheen; hair: matte, strands varying the colour
        float tz = v_aux.z;
        // the lips (their colour far redder than the skin's): wet, a tighter, brighter highlight
        float lip = (1.0 - hair) * smoothstep(0.36, 0.27, base.g / max(base.r, 1e-3));
        // pores and micro-relief: they vary the colour and the sheen, so highlights break up instead
        // of gliding like wax (fy: the rest position's change across a pixel, one derivative for both)
        float fy = fwidth(v_p.y);
        float pr = (1.0 - hair) * pores(v_p, fy);
        if (u_shirt.a > 0.0 && v_p.y * u_asset.x - u_asset.z < -9.5) {   // the shirt: its edge per pixel,
            float d = collar_depth(v_p);                                     // a dark band, its shadow on the neck
            float cover = clamp(d / max(1.5 * fy * u_asset.x, 1e-3) + 0.5, 0.0, 1.0) * (1.0 - hair);
            vec3 cloth = u_shirt.rgb * (1.0 - 0.25 * smoothstep(2.0, 1.4, d)) * (1.0 - 0.1 * smoothstep(0.0, 3.0, d));
            base = mix(base * (1.0 - 0.4 * smoothstep(-0.8, 0.0, d)), cloth, cover);
            lip *= 1.0 - cover;
        }
        base *= 1.0 - 0.04 * pr;
        wrap = mix(vec3(0.34, 0.18, 0.13), vec3(0.15), hair);
        shin = mix(mix(16.0 + 14.0 * tz, 70.0, lip), 6.0, hair);
        ks = mix((0.035 + 0.07 * tz) * (1.0 + 0.7 * pr) + 0.22 * lip, 0.012, hair);
        rim = 1.0 - 0.75 * hair;
        // strands at full contrast from half cover on: thin hair at the hairline shows as strands over
        // the skin (a feathered edge), not as a smooth painted gradient
        if (hair > 0.0) { st = strands(v_aux.xy, fwidth(v_aux.x)); base *= mix(1.0, 0.7 + 0.6 * st, min(2.2 * hair, 1.0)); }
    }
    else if (mat < 1.5) { shin = 140.0; ks = 0.55; wrap = vec3(0.35); }
    else if (mat < 2.5) { shin = 30.0; ks = 0.10; wrap = vec3(0.45); }   // enamel: a soft sheen, not metal
    else if (mat < 3.5) { shin = 22.0; ks = 0.30; wrap = vec3(0.12); }   // wet
    else if (mat > 4.5 && mat < 5.5) { shin = 160.0; ks = 1.8; }   // crisp catch lights, a few pixels even at 480 px
    else if (mat > 5.5 && mat < 6.5) { shin = 8.0; ks = 0.0; wrap = vec3(0.5); }
    float ndl0 = dot(n, L0);
    bool eye = mat > 0.5 && mat < 1.5 || mat > 4.5 && mat < 5.5;
    vec3 ns = n;                          // eyes: catch lights from the round cornea, not the flat iris disc
    if (eye) ns = normalize(v_e.xyz);
    float spec = ndl0 > 0.0 ? pow(max(dot(ns, eye ? HE : H0), 0.0), shin) * ks : 0.0;
    float e1 = max(dot(ns, H1), 0.0);                           // eyes: the fill light's catch light too
    e1 *= e1; e1 *= e1; e1 *= e1; e1 *= e1; e1 *= e1; e1 *= e1; e1 *= e1; e1 *= e1;   // ^256, no pow
    spec += eye ? 0.35 * ks * e1 : 0.0;
    float sheen = 0.0;
    if (mat < 0.5 && hair > 0.0 && ndl0 > 0.0) {   // hair: a sheen band across the strands (Kajiya-Kay)
        float th = dot(normalize(v_e.xyz), H0);          // the strands' direction (combed front to back)
        sheen = max(1.0 - th * th, 0.0);
        sheen *= sheen; sheen *= sheen; sheen *= sheen; sheen *= sheen; sheen *= sheen; sheen *= sheen;   // (sin)^128
        sheen *= hair * st;
    }
    vec3 acc = C0 * (base * wrapped(ndl0, wrap) + vec3(spec))
             + C1 * base * wrapped(dot(n, L1), wrap) + rim * C2 * base * wrapped(dot(n, L2), wrap);
    acc += C0 * sheen * (2.5 * base + vec3(0.012));       // tinted by the hair (dark hair shines warm)
    float hemi = 0.5 + 0.5 * n.y;
    acc += base * mix(vec3(0.05, 0.04, 0.04), vec3(0.10, 0.11, 0.13), hemi);
    if (mat < 0.5) {                  // skin: a faint Fresnel sheen at grazing angles
        float g = 1.0 - max(n.z, 0.0);
        g *= g;
        acc += vec3(0.03, 0.03, 0.035) * (g * g * (1.0 - hair));
    }
    if (mat > 3.5 && mat < 4.5) { acc = base * (0.35 + 0.25 * max(n.z, 0.0)); }
    if (mat > 1.5 && mat < 4.5) {     // teeth/tongue/lining: only the light the lip opening lets in
        // the nose, lips and cheeks shade the inside further: what gets little light gets almost none
        // (the wet tongue, lying just behind the lower teeth, keeps more of its light)
        vec2 edge = mat < 2.5 ? vec2(0.0, 0.4) : mat < 3.5 ? vec2(0.0, 0.55) : vec2(0.02, 0.8);
        float ml = smoothstep(edge.x, edge.y, v_e.w);
        vec3 floor_ = mat < 2.5 ? vec3(0.07, 0.05, 0.04) : vec3(0.02, 0.008, 0.008);   // deep: warm, not grey
        acc *= floor_ + (1.0 - floor_) * ml;
    }
    gl_FragColor = vec4(pow(acc, vec3(1.0/2.2)), 1.0);
}
"""


#: the mouth opening of a head without landmarks (the procedural head's slit, half open)
STILL_MOUTH = (0.0, -0.60, 0.215, 0.06)
#: the opening's half height never goes below this (0.5 mm): light still seeps between shut lips
MIN_HALF_GAP = 0.005


def mouth_opening(lm) -> tuple:
    """(centre x, centre y, half width, half height) of the inner-lip opening from the 68 landmark
    positions ``lm`` (inner lips 60–67, model units)."""
    from .landmarks import INNER_LIP_PAIRS
    x0, x1 = float(lm[60, 0]), float(lm[64, 0])
    up = np.mean([lm[a, 1] for a, _ in INNER_LIP_PAIRS])
    low = np.mean([lm[b, 1] for _, b in INNER_LIP_PAIRS])
    return (0.5 * (x0 + x1), float(0.5 * (up + low)), 0.5 * abs(x1 - x0), max(0.5 * float(up - low), MIN_HALF_GAP))


def lip_depth(lm) -> float:
    """Mean z of the inner lips (landmarks 61–63, 65–67) of the 68 landmark positions ``lm``."""
    return float(np.mean(np.asarray(lm, np.float64)[[61, 62, 63, 65, 66, 67], 2]))


def lid_rgb(m: HeadModel) -> tuple:
    """Linear colour of the upper lids (landmarks 37, 38, 43, 44; skin tone without landmarks): the
    shader blends thin lashes into it."""
    if m.landmarks is None:
        from .head import SKIN_RGB
        rgb = SKIN_RGB
    else:
        rgb = m.colors[m.landmarks[[37, 38, 43, 44]]].mean(0)
    return tuple(float(c) for c in np.power(np.asarray(rgb, np.float64), 2.2))


def shirt_uniforms(m: HeadModel) -> tuple:
    """(``u_shirt``: the shirt's linear colour and 1, or zeros without one; ``u_asset``: the scale
    and offset from render units to the asset's cm, where the collar is drawn)."""
    shirt = getattr(m, "shirt", None)
    if shirt is None:
        return (0.0, 0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0)
    rgb, off = shirt
    from .ict import CM
    return tuple(float(c) ** 2.2 for c in rgb) + (1.0,), (1.0 / CM,) + tuple(off)


def _perspective(fovy_deg, aspect, near, far):
    f = 1.0 / np.tan(np.radians(fovy_deg) / 2)
    m = np.zeros((4, 4), np.float32)
    m[0, 0], m[1, 1] = f / aspect, f
    m[2, 2] = (far + near) / (near - far)
    m[2, 3] = 2 * far * near / (near - far)
    m[3, 2] = -1
    return m


class FaceRenderer:
    """Render blendshape rows of the procedural head to RGBA images (off-screen)."""

    def __init__(self, width: int = 640, height: int = 640, *, distance: float = 7.4,
                 fov: float = 20.0, target=(0.0, 0.0, 0.0), elevation: float = 4.0,
                 azimuth: float = 0.0, background=(0.16, 0.17, 0.2), ssaa: int = 1,
                 detail: float | None = None, model: HeadModel | None = None,
                 head: str | None = None, persona: str | None = None):
        gl_backend()
        from vispy import app, gloo
        self.width, self.height, self.ssaa = int(width), int(height), max(1, int(ssaa))
        self.bg = tuple(background) + (1.0,) * (4 - len(background))
        if model is None and detail is not None:
            from .head import build_head
            model = build_head(detail)
        self.m = model or load_head(head, persona)
        m = self.m
        W, H = self.width * self.ssaa, self.height * self.ssaa
        self._canvas = app.Canvas(show=False, size=(W, H))
        self._gloo = gloo
        self._fbo = gloo.FrameBuffer(gloo.Texture2D((H, W, 4)), gloo.RenderBuffer((H, W), "depth"))
        self._prog = gloo.Program(VERT, FRAG)
        self._vpos = gloo.VertexBuffer(m.vertices.astype(np.float32))
        self._vnrm = gloo.VertexBuffer(np.zeros_like(m.vertices, np.float32))
        self._prog["a_pos"] = self._vpos
        self._prog["a_nrm"] = self._vnrm
        self._prog["a_col"] = gloo.VertexBuffer(np.power(m.colors.astype(np.float32), 2.2))   # sRGB → linear
        self._prog["a_mat"] = gloo.VertexBuffer(m.material.astype(np.float32).reshape(-1, 1))
        self._prog["a_rest"] = gloo.VertexBuffer(m.vertices.astype(np.float32))
        self._ibo = gloo.IndexBuffer(m.faces.astype(np.uint32))
        self._prog["u_lipz"] = float(m.lip_z)       # per frame: the inner lips' depth (see _mouth)
        self._prog["u_mouth"] = STILL_MOUTH
        self._prog["u_lid"] = lid_rgb(m)
        self._prog["u_shirt"], self._prog["u_asset"] = shirt_uniforms(m)
        self._view, self._proj, eye = camera(W / H, distance=distance, fov=fov, target=target,
                                             elevation=elevation, azimuth=azimuth)
        self._prog["u_proj"] = self._proj.T.copy()
        self._prog["u_view"] = self._view.T.copy()
        self._prog["u_model"] = np.eye(4, dtype=np.float32)
        # vertex-normal accumulation as a sparse (V × F) matrix
        from scipy.sparse import csr_matrix
        F = m.faces.astype(np.int64)
        nf = len(F)
        rows = F.ravel()
        cols = np.repeat(np.arange(nf), 3)
        self._acc = csr_matrix((np.ones(3 * nf, np.float32), (rows, cols)), shape=(len(m.vertices), nf))
        pair = np.repeat(np.arange(nf), 2)
        signs = np.tile(np.array([1.0, -1.0], np.float32), nf)
        self._edge1 = csr_matrix((signs, (pair, F[:, [1, 0]].ravel())), shape=(nf, len(m.vertices)))
        self._edge2 = csr_matrix((signs, (pair, F[:, [2, 0]].ravel())), shape=(nf, len(m.vertices)))
        self._F0 = np.ascontiguousarray(F[:, 0])
        self._F = F
        self._Fu = m.faces.astype(np.uint32)
        self._cull = m.cullable if m.cullable is not None else np.zeros(nf, bool)
        self._eye = eye.astype(np.float64)
        self.cull = True
        self._poser = HeadPoser(m)
        for s, c in {"L": (0.0, 0.0, 0.0), "R": (0.0, 0.0, 0.0), **self._poser.cornea_centers(neutral_row())}.items():
            self._prog[f"u_eye{s}"] = c
        self._interior = m.interior if m.landmarks is not None else None
        # faces grouped by part (each part in mesh order): skin, hair (whole faces of one material
        # value below 0.5, at least 2 % of the faces each), the rest; each of the first gets its own
        # program (_part_programs)
        fm = m.material.astype(np.float32)[F]
        one = (fm[:, 0] == fm[:, 1]) & (fm[:, 1] == fm[:, 2])
        vals, counts = np.unique(fm[one & (fm[:, 0] < 0.5), 0], return_counts=True)
        self._part_values = [float(x) for x, c in zip(vals, counts) if c >= nf // 50] if MAT_LINE in FRAG else []
        part = np.full(nf, len(self._part_values))
        for k, val in enumerate(self._part_values):
            part[one & (fm[:, 0] == np.float32(val))] = k
        self._part_order = np.argsort(part, kind="stable")
        self._Fu_parts = self._Fu[self._part_order]
        self._part_bounds = np.searchsorted(part[self._part_order], np.arange(len(self._part_values) + 2))
        self._parts = None
        self._shut_gap = 1.0 / m.mm_per_unit           # 1 mm: only a dark line shows between the lips

    # ---------------------------------------------------------------- per frame
    def vertices(self, row: np.ndarray) -> np.ndarray:
        """Deformed vertices (blendshapes, gaze, head pose) for one row (BLENDSHAPE_LABELS order),
        in model space (before the model matrix :meth:`prepare` returns)."""
        return self._poser.vertices(row)[0]

    def normals(self, v: np.ndarray) -> np.ndarray:
        """Per-vertex normals of deformed vertices ``v`` (area-weighted face normals)."""
        return self._normals(v)[0]

    def _normals(self, v):
        """(vertex normals, face normals) of vertices ``v``: edges as sparse differences (cheaper
        than gathering three corners per face), cross products in place, area-weighted sums."""
        a, b = self._edge1 @ v, self._edge2 @ v
        fn = np.empty_like(a)
        np.multiply(a[:, 1], b[:, 2], out=fn[:, 0]); fn[:, 0] -= a[:, 2] * b[:, 1]
        np.multiply(a[:, 2], b[:, 0], out=fn[:, 1]); fn[:, 1] -= a[:, 0] * b[:, 2]
        np.multiply(a[:, 0], b[:, 1], out=fn[:, 2]); fn[:, 2] -= a[:, 1] * b[:, 0]
        n = self._acc @ fn
        n *= (1.0 / np.sqrt(np.maximum(np.einsum("ij,ij->i", n, n), 1e-24)))[:, None]
        return n.astype(np.float32, copy=False), fn

    def prepare(self, row) -> tuple:
        """CPU part of a frame: (vertices, normals, model matrix, visible faces, mouth opening) — no GL calls."""
        v, M = self._poser.vertices(np.asarray(row, np.float64))
        n, fn = self._normals(v)
        faces, parts = None, None
        if self.cull:                          # drop faces turned away from the camera (CPU culling)
            R, t = M[:3, :3].astype(np.float64), M[:3, 3].astype(np.float64)
            eye_m = (R.T @ (self._eye - t)).astype(np.float32)
            facing = np.einsum("ij,ij->i", fn, eye_m - v[self._F0]) > 0
            keep = facing | ~self._cull
            if self._interior is not None and self._lips_shut(v):
                keep &= ~self._interior          # hidden behind closed lips: not worth rasterising
            kept = keep[self._part_order]        # grouped by part: skin, hair, the rest (_part_programs)
            faces = self._Fu_parts[kept]
            parts = tuple(int(np.count_nonzero(kept[a:b])) for a, b in zip(self._part_bounds, self._part_bounds[1:]))
        return v, n, M, faces, self._mouth(v), self._poser.cornea_centers(row), parts

    def _mouth(self, v) -> tuple:
        """The inner-lip opening of vertices ``v`` (centre x, y, half width, half height) and the inner
        lips' depth z, which set how much light reaches the teeth, tongue and lining (the shader's
        ``u_mouth`` and ``u_lipz``: lips pushed forward, as in /o u/, leave the teeth deeper in shadow)."""
        if self.m.landmarks is None:
            return STILL_MOUTH + (float(self.m.lip_z),)
        lm = v[self.m.landmarks]
        return mouth_opening(lm) + (lip_depth(lm),)

    def _lips_shut(self, v) -> bool:
        """Inner lips within 1 mm at all three landmark pairs (61-67, 62-66, 63-65)."""
        from .landmarks import INNER_LIP_PAIRS
        lm = self.m.landmarks
        return all(v[lm[a], 1] - v[lm[b], 1] < self._shut_gap for a, b in INNER_LIP_PAIRS)

    def landmarks(self, row) -> np.ndarray:
        """The 68 landmarks of one row projected to pixels: (68, 2) x right, y down (top-left origin)."""
        from .landmarks import project
        v, M = self._poser.vertices(np.asarray(row, np.float64))
        return project(v[self.m.landmarks], M, self._view, self._proj, self.width, self.height)

    def draw(self, prepared) -> np.ndarray:
        """GL part of a frame: upload, draw and read back an (H, W, 4) uint8 image."""
        gloo = self._gloo
        v, n, M, faces = prepared[:4]
        self._canvas.set_current()          # this renderer's GL context (several may live in one process)
        self._vpos.set_data(v)
        self._vnrm.set_data(n)
        if faces is not None:
            self._ibo.set_data(faces)
        self._prog["u_model"] = M.T.copy()
        if len(prepared) > 5:
            self._prog["u_mouth"] = prepared[4][:4]
            self._prog["u_lipz"] = prepared[4][4]
            for s, c in prepared[5].items():
                self._prog[f"u_eye{s}"] = c
        W, H = self.width * self.ssaa, self.height * self.ssaa
        with self._fbo:
            gloo.set_viewport(0, 0, W, H)
            gloo.set_state(depth_test=True, cull_face=os.environ.get("PSIGRAPH_CULL") == "1", blend=False)
            gloo.set_clear_color(self.bg)
            gloo.clear(color=True, depth=True)
            self._draw_faces(faces, prepared[6] if len(prepared) > 6 else None)
            img = self._fbo.read()
        if self.ssaa > 1:
            s = self.ssaa
            img = img.reshape(self.height, s, self.width, s, 4).mean(axis=(1, 3)).round().astype(np.uint8)
        return np.ascontiguousarray(img)

    def _part_programs(self) -> list:
        """[(program, index buffer)] for each part but the last (the skin's, the hair's), built at the
        first draw. Each program has that part's one material value written into the shader
        (:data:`MAT_LINE`), so the branches on the material fold away when it is compiled: llvmpipe
        would otherwise run every branch (eyes, mouth, lashes) for every fragment of the skin and
        hair, most of the image."""
        if self._parts is None:
            self._parts, self._part_uniforms = [], {}
            for val in self._part_values:
                prog = self._gloo.Program(VERT, FRAG.replace(MAT_LINE, f"float mat = {val!r};"))
                for kind, _, name in self._prog.variables:
                    if kind == "attribute":
                        prog[name] = self._prog[name]
                self._parts.append((prog, self._gloo.IndexBuffer(np.zeros((1, 3), np.uint32))))
        return self._parts

    def _draw_faces(self, faces, counts) -> None:
        """Draw ``faces`` (index triples, grouped by part with ``counts`` faces in each, as prepare()
        returns them; None: all, in ``self._ibo``): the skin and the hair each with its own program,
        the rest with the full one. Only the program changes, not the pixels."""
        parts = self._part_programs() if faces is not None and counts else []
        if not parts:
            self._prog.draw("triangles", self._ibo)
            return
        changed = []                             # the full program's uniforms set since the last frame
        for kind, _, name in self._prog.variables:
            if kind == "uniform":
                try:
                    value = self._prog[name]
                except KeyError:                 # never set: the shader's default
                    continue
                if not np.array_equal(self._part_uniforms.get(name), value):
                    self._part_uniforms[name] = np.array(value, copy=True)
                    changed.append((name, value))
        start = 0
        for (prog, ibo), n in zip(parts, counts):
            for name, value in changed:
                prog[name] = value
            if n:
                ibo.set_data(faces[start:start + n])
                prog.draw("triangles", ibo)
            start += n
        if start < len(faces):
            self._ibo.set_data(faces[start:])
            self._prog.draw("triangles", self._ibo)

    def render(self, row) -> np.ndarray:
        """One blendshape row → (height, width, 4) uint8 RGBA image."""
        return self.draw(self.prepare(row))

    def render_many(self, rows: Iterable, prefetch: int = 4) -> Iterator[np.ndarray]:
        """Render rows in order; the CPU part of the next frames runs in a worker thread."""
        import queue
        import threading
        q: queue.Queue = queue.Queue(maxsize=max(1, prefetch))
        stop = threading.Event()

        def work():
            try:
                for row in rows:
                    if stop.is_set():
                        return
                    q.put(("ok", self.prepare(row)))
                q.put(("end", None))
            except BaseException as exc:  # handed to the consumer
                q.put(("err", exc))

        th = threading.Thread(target=work, name="psigraph-face-prepare", daemon=True)
        th.start()
        try:
            while True:
                kind, item = q.get()
                if kind == "end":
                    return
                if kind == "err":
                    raise item
                yield self.draw(item)
        finally:
            stop.set()
            while th.is_alive():
                try:
                    q.get_nowait()
                except queue.Empty:
                    th.join(0.01)

    def close(self) -> None:
        try:
            self._canvas.close()
        except Exception:  # pragma: no cover
            pass


def camera(aspect: float = 1.0, *, distance: float = 7.4, fov: float = 20.0, target=(0.0, 0.0, 0.0),
           elevation: float = 4.0, azimuth: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(view, projection, eye position) of the renderer's camera (no GL needed)."""
    el, az = np.radians(elevation), np.radians(azimuth)
    eye = np.array(target) + distance * np.array([np.sin(az) * np.cos(el), np.sin(el), np.cos(az) * np.cos(el)])
    return _look_at(eye, np.array(target, float)), _perspective(fov, aspect, 1.0, 40.0), eye


def _look_at(eye, target, up=np.array([0.0, 1.0, 0.0])):
    f = target - eye
    f = f / np.linalg.norm(f)
    s = np.cross(f, up); s /= np.linalg.norm(s)
    u = np.cross(s, f)
    m = np.eye(4, dtype=np.float32)
    m[0, :3], m[1, :3], m[2, :3] = s, u, -f
    m[:3, 3] = -m[:3, :3] @ eye
    return m


def neutral_row() -> np.ndarray:
    """A blendshape row with every weight at 0 (the rest face)."""
    return np.zeros(len(BLENDSHAPE_LABELS))


def row_from(weights: dict) -> np.ndarray:
    """A blendshape row from a dict of named weights (others 0)."""
    r = neutral_row()
    for k, val in weights.items():
        r[BLENDSHAPE_LABELS.index(k)] = val
    return r


def render_frames(blendshape_rows: Iterable, size=(640, 640), **kw) -> Iterator[np.ndarray]:
    """Render an iterable of blendshape rows (BLENDSHAPE_LABELS order) to RGBA arrays."""
    w, h = (size, size) if np.isscalar(size) else size
    r = FaceRenderer(w, h, **kw)
    try:
        yield from r.render_many(blendshape_rows)
    finally:
        r.close()
