"""ψ-state (control rate) → ARKit blendshape weights, head pose, gaze and viseme at video rate.

:class:`AnimatorCore` is the pure, runtime-free processor (tested on its own);
the ``face_animator`` node in :mod:`.node` wraps it. Control channels are read at
video times exactly as the voice reads them (docs/SPEECH_CHAIN.md §3): value(t) =
c[k−1] + (c[k] − c[k−1])·(t − k·P)/P with k = ⌊t/P⌋, which keeps lips and sound
together by construction. Random-looking motion (blinks, saccades, head drift)
comes from a counter-based hash of (seed, stream, counter), so the output never
depends on how time is split into blocks.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .arkit import BLENDSHAPE_LABELS, INDEX, VISEME_INDEX, tract_viseme

TRACT_DEFAULTS = {"jaw": 0.0, "lip_ap": 0.6, "lip_round": 0.0, "lip_spread": 0.0, "tongue_tip": 0.0,
                  "viseme": -1.0, "AV": 0.0, "valence": 0.0, "arousal": 0.0, "dominance": 0.0,
                  "loud": 0.0}
ROLES = ("syllable", "breath", "blink", "smile", "brow", "head_pitch", "head_yaw", "head_roll")
_MASK = (1 << 64) - 1


def hash01(seed: int, stream: int, i: int) -> float:
    """Uniform [0, 1) from (seed, stream, counter) by splitmix64 — no RNG state."""
    z = (seed * 0x9E3779B97F4A7C15 + stream * 0xD1B54A32D192ED03 + i * 0xBF58476D1CE4E5B9 + 0x632BE59BD9B4E019) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    z ^= z >> 31
    return (z >> 11) * (1.0 / 9007199254740992.0)


def _ss(e0, e1, x):
    t = min(max((x - e0) / (e1 - e0), 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


def _clip(x, lo=0.0, hi=1.0):
    return lo if x < lo else hi if x > hi else x


def interp_control(rows: np.ndarray, k_first: int, times: np.ndarray, period: int,
                   step_cols=(), phase_cols=()) -> np.ndarray:
    """Control rows (k_first, k_first+1, …) read at master ``times`` by SPEECH_CHAIN §3.

    Row k−1 below the first available row is replaced by the first row. Columns in
    ``step_cols`` (labels such as ``viseme``) take the nearer of rows k−1 and k instead;
    ``phase_cols`` (``phase:*``) interpolate along the shorter arc and wrap to [0, 2π).
    """
    k = times // period
    frac = (times - k * period) / period
    i1 = k - k_first
    i0 = np.maximum(i1 - 1, 0)
    if len(rows) == 0 or i1.max(initial=0) >= len(rows) or i1.min(initial=0) < 0:
        raise ValueError("control rows do not cover the requested times")
    out = rows[i0] + (rows[i1] - rows[i0]) * frac[:, None]
    for c in step_cols:
        out[:, c] = np.where(frac >= 0.5, rows[i1, c], rows[i0, c])
    for c in phase_cols:
        d = np.mod(rows[i1, c] - rows[i0, c] + np.pi, 2 * np.pi) - np.pi
        out[:, c] = np.mod(rows[i0, c] + d * frac, 2 * np.pi)
    return out


@dataclass
class AnimState:
    """Everything carried from frame to frame (picklable)."""

    frame: int = 0                       # next video frame index
    next_blink: int = -1                 # frame of the next scheduled blink onset (-1: not drawn)
    blink_no: int = 0
    blink_start: int = -10 ** 9
    blink_len: int = 9
    last_osc_blink: int = -10 ** 9
    prev_blink_phase: float = float("nan")
    next_saccade: int = 0
    saccade_no: int = 0
    gaze: tuple = (0.0, 0.0)
    gaze_target: tuple = (0.0, 0.0)
    smooth: dict = field(default_factory=dict)
    surprises: list = field(default_factory=list)      # onset frames
    blinks: list = field(default_factory=list)         # onset frames (kept for measurements; capped)


class AnimatorCore:
    """Pure per-frame face animation from interpolated ψ-state channels."""

    def __init__(self, labels, *, fps: float = 60.0, seed: int = 0, blink_rate: float = 15.0,
                 blink_ms: float = 150.0, expressivity: float = 1.0, head_motion: float = 1.0,
                 jaw_gain: float = 1.0, surprise_ms: float = 120.0, blink_source: str = "auto"):
        self.labels = tuple(labels)
        self.fps, self.seed = float(fps), int(seed) & _MASK
        self.blink_rate, self.blink_ms = blink_rate, blink_ms
        self.expr, self.head, self.jaw_gain = expressivity, head_motion, jaw_gain
        self.surprise_frames = max(1, int(round(surprise_ms * fps / 1000.0)))
        pos = {n: i for i, n in enumerate(self.labels)}
        self.ch = {n: pos.get(n, -1) for n in TRACT_DEFAULTS}
        self.phase = {r: pos.get(f"phase:{r}", -1) for r in ROLES}
        self.amp = {r: pos.get(f"amp:{r}", -1) for r in ROLES}
        self.use_osc_blink = blink_source == "oscillator" or (blink_source == "auto" and self.phase["blink"] >= 0)
        self.state = AnimState()

    # ------------------------------------------------------------------ helpers
    def _get(self, row, name):
        i = self.ch[name]
        return float(row[i]) if i >= 0 else TRACT_DEFAULTS[name]

    def _role(self, row, role):
        """(phase, amp) of an oscillator role, or None if the state has no such role."""
        ip, ia = self.phase[role], self.amp[role]
        if ip < 0:
            return None
        return float(row[ip]), (float(row[ia]) if ia >= 0 else 1.0)

    def _smooth(self, key, x, tau_s):
        s = self.state.smooth
        a = 1.0 - math.exp(-1.0 / (self.fps * tau_s))
        y = s.get(key, x)
        y = y + a * (x - y)
        s[key] = y
        return y

    def _draw_blink(self, after: int) -> int:
        st = self.state
        mean = 60.0 / max(self.blink_rate, 1e-3)
        u1, u2 = hash01(self.seed, 11, st.blink_no), hash01(self.seed, 12, st.blink_no)
        g = math.sqrt(-2.0 * math.log(max(u1, 1e-12))) * math.cos(2 * math.pi * u2)
        interval = mean * math.exp(0.35 * g - 0.35 ** 2 / 2)
        interval = min(max(interval, 0.35 * mean), 2.5 * mean)
        return after + max(1, int(round(interval * self.fps)))

    def _start_blink(self, f: int):
        st = self.state
        u = hash01(self.seed, 13, st.blink_no)
        dur_s = self.blink_ms / 1000.0 * (0.72 + 0.56 * u)          # ±28 % → 100–200 ms at 150
        st.blink_len = max(3, int(round(dur_s * self.fps)))
        st.blink_start = f
        st.blink_no += 1
        st.blinks.append(f)
        if len(st.blinks) > 10000:
            del st.blinks[:5000]

    def _blink(self, f: int, row) -> float:
        st = self.state
        if st.next_blink < 0:
            st.next_blink = self._draw_blink(f - int(self.fps * 1.0))
        fired = False
        if self.use_osc_blink:
            ph = self._role(row, "blink")
            if ph is not None:
                p = ph[0] % (2 * math.pi)
                prev = st.prev_blink_phase
                st.prev_blink_phase = p
                refractory = f - st.blink_start > 0.4 * 60.0 / max(self.blink_rate, 1e-3) * self.fps
                if prev == prev and p < prev - math.pi and refractory and ph[1] > 0.05:
                    fired = True
        if not fired and f >= st.next_blink:
            fired = True
        if fired and f - st.blink_start >= st.blink_len:
            self._start_blink(f)
            if self.use_osc_blink and self._role(row, "blink") is not None:
                # the oscillator times the blinks; the hashed schedule only fills long gaps
                st.next_blink = f + int(2.5 * 60.0 / max(self.blink_rate, 1e-3) * self.fps)
            else:
                st.next_blink = self._draw_blink(f)
        tau = f - st.blink_start
        if 0 <= tau < st.blink_len:
            x = (tau + 0.5) / st.blink_len
            return _ss(0.0, 0.38, x) if x < 0.38 else 1.0 - _ss(0.38, 1.0, x)
        return 0.0

    def _gaze(self, f: int):
        st = self.state
        if f >= st.next_saccade:
            n = st.saccade_no
            st.saccade_no += 1
            st.gaze_target = (0.25 * (2 * hash01(self.seed, 21, n) - 1), 0.15 * (2 * hash01(self.seed, 22, n) - 1))
            st.next_saccade = f + int(self.fps * (0.8 + 2.2 * hash01(self.seed, 23, n)))
        gx, gy = st.gaze
        tx, ty = st.gaze_target
        a = 0.5                                                        # ~50 ms saccade
        st.gaze = (gx + a * (tx - gx), gy + a * (ty - gy))
        return st.gaze

    def _drift(self, f: int, stream: int) -> float:
        """Smooth head drift: a sum of sinusoids with hash-random phases (a function of time only)."""
        t = f / self.fps
        acc = 0.0
        for j, (hz, amp) in enumerate(((0.11, 1.0), (0.23, 0.6), (0.47, 0.3))):
            acc += amp * math.sin(2 * math.pi * (hz * t + hash01(self.seed, 30 + stream, j)))
        return acc / 1.9

    # ------------------------------------------------------------------ main
    def add_surprise(self, frame: int) -> None:
        """Schedule a surprise reaction starting at video frame ``frame``."""
        self.state.surprises.append(int(frame))

    def frames(self, values: np.ndarray, first_frame: int) -> np.ndarray:
        """Animate consecutive frames; ``values`` are the ψ-state rows already read at video times."""
        out = np.zeros((len(values), len(BLENDSHAPE_LABELS)))
        for j in range(len(values)):
            self._frame(values[j], first_frame + j, out[j])
        self.state.frame = first_frame + len(values)
        return out

    def _frame(self, row, f, o):
        I, g, E = INDEX, self._get, self.expr
        jaw, lip_ap, rnd, spr = g(row, "jaw"), g(row, "lip_ap"), g(row, "lip_round"), g(row, "lip_spread")
        tip, av, loud = g(row, "tongue_tip"), g(row, "AV"), g(row, "loud")
        if self.ch["jaw"] < 0:                      # no tract: syllable oscillator opens the jaw
            syl = self._role(row, "syllable")
            jaw = 0.0 if syl is None else 0.5 * syl[1] * (1 - math.cos(syl[0]))
        v = self._smooth("v", g(row, "valence"), 0.15)
        a = self._smooth("a", g(row, "arousal"), 0.15)
        d = self._smooth("d", g(row, "dominance"), 0.15)

        # --- mouth from the tract ---
        jaw_open = _clip(self.jaw_gain * jaw)
        vis = g(row, "viseme")
        vis_i = int(round(vis)) if self.ch["viseme"] >= 0 and 0 <= vis < 15 else \
            VISEME_INDEX[tract_viseme(jaw, lip_ap, rnd, spr, tip, av)]
        # 1 when the lips are sealed (/p b m/): from the aperture, or the planner's PP label
        pp = self._smooth("pp", 1.0 if vis_i == VISEME_INDEX["PP"] else 0.0, 0.012)
        closure = max(_ss(0.22, 0.03, lip_ap), 0.9 * pp)
        o[I["jawOpen"]] = jaw_open
        o[I["mouthClose"]] = closure
        o[I["mouthPress_L"]] = o[I["mouthPress_R"]] = 0.35 * closure
        o[I["mouthFunnel"]] = rnd * _ss(0.08, 0.4, jaw)
        o[I["mouthPucker"]] = rnd * (1.0 - 0.6 * _ss(0.08, 0.4, jaw)) * (1 - closure * 0.5)
        wide = _ss(0.45, 1.0, lip_ap) * (1 - rnd)
        o[I["mouthUpperUp_L"]] = o[I["mouthUpperUp_R"]] = 0.35 * wide
        o[I["mouthLowerDown_L"]] = o[I["mouthLowerDown_R"]] = 0.45 * wide
        o[I["mouthStretch_L"]] = o[I["mouthStretch_R"]] = 0.55 * spr
        if vis_i == VISEME_INDEX["FF"]:
            o[I["mouthRollLower"]] = 0.55
            o[I["mouthUpperUp_L"]] += 0.15
            o[I["mouthUpperUp_R"]] += 0.15
        if vis_i == VISEME_INDEX["TH"]:
            o[I["tongueOut"]] = 0.25

        # --- emotion and expression roles ---
        pos_v, neg_v = _clip(v), _clip(-v)
        smile = 0.75 * pos_v
        r = self._role(row, "smile")
        if r is not None:
            smile += 0.35 * _clip(r[1]) * (0.6 + 0.4 * math.cos(r[0]))
        smile = E * smile + 0.2 * spr
        sad = neg_v * _clip(1 - 1.2 * _clip(d)) * (1 - 0.5 * _clip(a))
        anger = neg_v * _clip(1.5 * d) * (0.6 + 0.4 * _clip(a))
        surpr = _clip((a - 0.3) / 0.7) * _clip(2 * (0.5 - d)) * (1 - neg_v)
        brow_raise = 0.0
        r = self._role(row, "brow")
        if r is not None:
            brow_raise = 0.35 * _clip(r[1]) * (0.5 + 0.5 * math.cos(r[0]))
        # surprise events: 120 ms brow raise + eyes wide
        st = self.state
        ev = 0.0
        keep = []
        for s0 in st.surprises:
            tau = f - s0
            if tau < self.surprise_frames:
                keep.append(s0)
            if 0 <= tau < self.surprise_frames:
                x = (tau + 0.5) / self.surprise_frames
                ev = max(ev, _ss(0.0, 0.25, x) * (1.0 - _ss(0.7, 1.0, x)))
        st.surprises = keep
        for s in ("L", "R"):
            asym = 1.0 + (0.04 if s == "L" else -0.04)
            o[I[f"mouthSmile_{s}"]] = _clip(smile * asym)
            o[I[f"cheekSquint_{s}"]] = _clip(0.6 * E * pos_v + 0.3 * anger * E)
            o[I[f"mouthFrown_{s}"]] = _clip(E * (0.65 * sad + 0.3 * anger))
            o[I[f"browDown_{s}"]] = _clip(E * 1.3 * anger)
            o[I[f"noseSneer_{s}"]] = _clip(E * 0.6 * anger)
            o[I[f"browOuterUp_{s}"]] = _clip(E * (1.0 * surpr + 0.1 * sad) + brow_raise + 0.9 * ev)
            o[I[f"eyeWide_{s}"]] = _clip(E * 0.7 * surpr + 0.15 * _clip(a) * (1 - anger) + 0.9 * ev)
            o[I[f"eyeSquint_{s}"]] = _clip(E * (0.35 * pos_v + 0.5 * anger))
            o[I[f"mouthPress_{s}"]] = _clip(o[I[f"mouthPress_{s}"]] + 0.3 * E * anger)
        o[I["browInnerUp"]] = _clip(E * (0.85 * sad + 0.8 * surpr) * (1 - _clip(1.3 * anger)) + brow_raise + 0.9 * ev)
        o[I["mouthShrugLower"]] = _clip(0.35 * E * sad)
        o[I["jawOpen"]] = _clip(o[I["jawOpen"]] + 0.12 * E * surpr + 0.1 * ev)

        # --- blinks, gaze, head ---
        b = self._blink(f, row)
        o[I["eyeBlink_L"]] = o[I["eyeBlink_R"]] = max(b, 0.0)
        gx, gy = self._gaze(f)
        o[I["gazeX"]], o[I["gazeY"]] = gx, gy
        h = self.head
        if self.phase["head_yaw"] >= 0:            # the core's head roles lead; drift only adds texture
            h = 0.5 * h
        pitch = 0.035 * self._drift(f, 0) * h
        yaw = 0.05 * self._drift(f, 1) * h
        roll = 0.025 * self._drift(f, 2) * h
        for role, k in (("head_pitch", 0), ("head_yaw", 1), ("head_roll", 2)):
            r = self._role(row, role)
            if r is not None:
                delta = 0.06 * self.head * r[1] * math.sin(r[0])
                if k == 0:
                    pitch += delta
                elif k == 1:
                    yaw += delta
                else:
                    roll += delta
        br = self._role(row, "breath")
        breath = math.sin(br[0]) * _clip(br[1]) if br is not None else math.sin(2 * math.pi * 0.25 * f / self.fps)
        pitch += 0.012 * h * breath - 0.03 * h * self._smooth("loud", loud, 0.25)
        o[I["headPitch"]], o[I["headYaw"]], o[I["headRoll"]] = pitch, yaw, roll
        o[I["viseme"]] = vis_i
