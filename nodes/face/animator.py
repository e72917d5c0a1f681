"""ψ-state (control rate) → ARKit blendshape weights, head pose, gaze and viseme at video rate.

:class:`AnimatorCore` is the pure, runtime-free processor (tested on its own);
the ``face_animator`` node in :mod:`.node` wraps it, and :func:`animate` runs
it over a whole track exactly as the node does (for benchmarks and tests).

**Which control rows a frame reads.** A frame at master time t uses the control
rows *strictly before* t — the rows the voice has used by then (the voice gives
row k the weight (t − kP)/P, which is 0 at t = kP) — and shows the state *at* t,
extrapolating from the newest of them with a minmod-limited slope
(:func:`read_control`). The voice interpolates one tick behind
(value(t) = c[k−1] + (c[k] − c[k−1])·(t − kP)/P, docs/SPEECH_CHAIN.md §3) because
click-free audio needs a value between ticks; a 60 Hz frame is a single sample and
need not, and copying that tick of latency made every frame 5 ms (0.3 frame) later
than the state it shows. The face therefore shows the shared rows up to one tick
*before* the voice sounds them: the direction of natural speech (the mouth moves
before the sound), and less than the half frame (8.3 ms) a frame stays on screen.
The limiter (the smaller of the last two slopes, 0 when they disagree in sign)
keeps steps, and turning points once they show in the rows, from overshooting.

Before the first row the state is the **rest pose** (:func:`rest_row`: the tract's
rest values, oscillator amplitudes 0), and the smoothing filters start there too —
not at a copy of the first row, which the planner may already have moved to the
first vowel while the audio is still silent: the face starts at rest, and frame 0
shows it.

Random-looking motion (blinks, saccades, head drift) comes from a
counter-based hash of (seed, stream, counter), so the output never depends on
how time is split into blocks.

**Reactions** (:meth:`AnimatorCore.add_event`, docs/LISTENING_REPLY.md) are timed by the
events the face receives, at the first frame at or after each event, and shaped over fixed
durations: a ``surprise`` raises the brows for ``surprise_ms`` (120 ms); while listening (the
state's voicing ``AV`` not audible for 0.5 s, and the speaker heard within ``frown_window_s``: a syllable
onset or phrase boundary), the ``frown_after``-th surprise within ``frown_window_s`` shows a
"processing" micro-frown instead; while speaking it reports a ``pause`` of ``pause_ms`` for the
voice; a ``phrase_boundary`` nods (head pitch) and blinks (listeners blink
at the speaker's pauses); ``turn_end_predicted`` takes a breath before answering (lips part, head
lifts a little, 450 ms); ``syllable_onset`` events pace the gaze: while the speaker talks, the
eyes make their small saccades on the speaker's syllables instead of on the hashed schedule.
Every reaction shown is reported (:meth:`AnimatorCore.take_reactions`) for the node's
``reactions`` output (psigraph.chain.REACTION).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from psigraph import chain
from psigraph.timebase import DEFAULT_RATES

from .arkit import BLENDSHAPE_LABELS, INDEX, VISEME_INDEX, VISEMES, tract_viseme

#: values used when the state lacks a tract channel (different from the rest pose on purpose:
#: lips apart, no viseme label, so a state without a tract still shows a plausible mouth)
TRACT_DEFAULTS = {"jaw": 0.0, "lip_ap": 0.6, "lip_round": 0.0, "lip_spread": 0.0, "tongue_tip": 0.0,
                  "viseme": -1.0, "AV": 0.0, "valence": 0.0, "arousal": 0.0, "dominance": 0.0,
                  "loud": 0.0}
assert set(TRACT_DEFAULTS) <= set(chain.TRACT_CHANNELS)
ROLES = chain.FACE_ROLES
#: state labels that move the mouth: the tract's jaw, or (no tract) the syllable oscillator
MOUTH_LABELS = ("jaw", chain.phase_label(chain.SYLLABLE))
#: event kinds the face reacts to
REACTING_KINDS = (chain.SURPRISE, chain.PHRASE_BOUNDARY, chain.SYLLABLE_ONSET, chain.TURN_END_PREDICTED)
BREATH_MS = 450.0                  # the in-breath before answering …
BREATH_JAW = 0.08                  # … parts the lips (jawOpen) …
BREATH_RAD = math.radians(1.5)     # … and lifts the head a little
SPEAKING_AV = 0.05                 # voicing above this (psigraph.kernels.prosody.AUDIBLE) …
SPEAKING_HOLD_S = 0.5              # … within this: the avatar is speaking (its turn, not only its vowels)
LISTEN_HOLD_S = 1.0                # syllable onsets this recent: the speaker is talking, saccades follow them
ONSET_SACCADE_P = 0.2              # chance that a syllable onset carries a saccade (≈ one a second at 5 syll/s)
NOD_RAD = math.radians(6.0)        # depth of a listener nod (head pitch)
FROWN_BROW = 0.6                   # browDown of the "processing" micro-frown
_MASK = (1 << 64) - 1
_MINUTE = 60.0                     # seconds (blink rates are per minute)

#: ARKit weights a viseme adds on top of the tract's mouth (phonetic postures the tract's five
#: channels do not carry); blended in with time constant VISEME_TAU_S, so a label change does not snap:
#: sil — the lips meet over the resting jaw (mouthClose acts in proportion to jawOpen; faded out as
#: the jaw opens past rest, REST_SEAL_JAW: a pause with the jaw open keeps the lips apart);
#: PP — the lips pressed and rolled in (the seal of /p b m/ shows); FF — the lower lip tucks under
#: the upper teeth; TH — the tongue tip out between the teeth, just past the lips;
#: DD/nn — tongue up behind the teeth, the lips relaxed and a little apart; kk — more jaw, lips neutral;
#: CH (ch, sh, j, zh) — lips rounded and pushed forward, teeth near together and showing;
#: SS — teeth close, lips spread; RR — lips slightly rounded.
VISEME_SHAPES = {
    "sil": {"mouthClose": 1.0},
    "FF": {"mouthRollLower": 0.75, "mouthUpperUp_L": 0.3, "mouthUpperUp_R": 0.3, "mouthShrugLower": 0.2},
    "PP": {"mouthPress_L": 0.5, "mouthPress_R": 0.5, "mouthRollLower": 0.25, "mouthRollUpper": 0.3},
    "TH": {"tongueOut": 0.8, "mouthUpperUp_L": 0.15, "mouthUpperUp_R": 0.15},
    "DD": {"mouthUpperUp_L": 0.1, "mouthUpperUp_R": 0.1, "mouthLowerDown_L": 0.1, "mouthLowerDown_R": 0.1},
    "nn": {"mouthUpperUp_L": 0.05, "mouthUpperUp_R": 0.05},
    "kk": {"jawOpen": 0.08, "mouthLowerDown_L": 0.1, "mouthLowerDown_R": 0.1},
    "CH": {"mouthFunnel": 0.2, "mouthPucker": 0.15, "mouthShrugUpper": 0.25},
    "SS": {"mouthStretch_L": 0.3, "mouthStretch_R": 0.3, "mouthUpperUp_L": 0.15, "mouthUpperUp_R": 0.15,
           "mouthLowerDown_L": 0.12, "mouthLowerDown_R": 0.12},
    "RR": {"mouthPucker": 0.2, "mouthFunnel": 0.15},
}
VISEME_TAU_S = 0.02
REST_SEAL_JAW = (0.12, 0.05)
_VISEME_KEYS = tuple(sorted({k for shapes in VISEME_SHAPES.values() for k in shapes}))


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


def _raise_shape(x):
    """Brow raise over its duration: fast rise (first quarter), hold, fall (last 30 %)."""
    return _ss(0.0, 0.25, x) * (1.0 - _ss(0.7, 1.0, x))


def _hold_shape(x):
    """A held expression: in over the first 20 %, out over the last 40 %."""
    return _ss(0.0, 0.2, x) * (1.0 - _ss(0.6, 1.0, x))


def _nod_shape(x):
    """A nod: head down and back up (a raised cosine)."""
    return 0.5 * (1.0 - math.cos(2.0 * math.pi * x))


def _clip(x, lo=0.0, hi=1.0):
    return lo if x < lo else hi if x > hi else x


def rest_row(labels) -> np.ndarray:
    """The state at rest for these channel labels: tract rest values (:data:`psigraph.chain.TRACT_REST`),
    oscillator amplitudes and phases 0, anything else 0."""
    return np.array([float(chain.TRACT_REST.get(lab, 0.0)) for lab in labels], dtype=np.float64)


def step_columns(labels) -> tuple:
    """Columns read as labels (held, never extrapolated): the viseme index."""
    return tuple(i for i, lab in enumerate(labels) if lab == "viseme")


def phase_columns(labels) -> tuple:
    """Columns holding phases in [0, 2π) (extrapolated along the circle)."""
    return tuple(i for i, lab in enumerate(labels) if str(lab).startswith(chain.PHASE))


def interp_control(rows: np.ndarray, k_first: int, times: np.ndarray, period: int,
                   step_cols=(), phase_cols=()) -> np.ndarray:
    """Control rows (k_first, k_first+1, …) read at master ``times`` as the voice reads them (SPEECH_CHAIN §3):
    value(t) = c[k−1] + (c[k] − c[k−1])·(t − kP)/P, k = ⌊t/P⌋, one tick behind.

    Row k−1 below the first available row is replaced by the first row. Columns in
    ``step_cols`` (labels such as ``viseme``) take the nearer of rows k−1 and k instead;
    ``phase_cols`` (``phase:*``) interpolate along the shorter arc and wrap to [0, 2π).
    Used to render test audio; the face itself reads with :func:`read_control`.
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


def _minmod(a, b):
    """The smaller-magnitude of two slopes when they agree in sign, else 0 (no new extrema)."""
    return np.where(a * b > 0.0, np.sign(a) * np.minimum(np.abs(a), np.abs(b)), 0.0)


def read_control(rows: np.ndarray, k_first: int, times: np.ndarray, period: int, prior=None,
                 step_cols=(), phase_cols=()) -> np.ndarray:
    """The control state at master ``times``, from the rows strictly before each time (see the module docstring).

    ``rows`` are ticks k_first, k_first+1, …; a time t uses tick k = ⌈t/P⌉ − 1 and the two before it:
    value = c[k] + minmod(c[k] − c[k−1], c[k−1] − c[k−2])·(t − kP)/P. Ticks below 0 are ``prior``
    (the rest pose; by default the first row); ticks in [0, k_first) must not be needed.
    ``step_cols`` hold c[k]; ``phase_cols`` extrapolate along the circle and wrap to [0, 2π).
    """
    rows = np.asarray(rows, dtype=np.float64)
    times = np.asarray(times, dtype=np.int64)
    if len(times) == 0:
        return np.zeros((0, rows.shape[1] if rows.ndim == 2 else 0))
    k = -(-times // period) - 1
    frac = ((times - k * period) / period)[:, None]
    if prior is None:
        prior = rows[0]
    prior = np.asarray(prior, dtype=np.float64)
    width = len(prior)

    def at(kk):
        i = kk - k_first
        before = kk < 0
        if np.any(~before & ((i < 0) | (i >= len(rows)))):
            raise ValueError("control rows do not cover the requested times")
        out = np.empty((len(kk), width))
        out[before] = prior
        out[~before] = rows[i[~before]]
        return out

    a, b, c = at(k), at(k - 1), at(k - 2)
    d1, d0 = a - b, b - c
    for col in phase_cols:
        d1[:, col] = np.mod(d1[:, col] + np.pi, 2 * np.pi) - np.pi
        d0[:, col] = np.mod(d0[:, col] + np.pi, 2 * np.pi) - np.pi
    out = a + _minmod(d1, d0) * frac
    for col in phase_cols:
        out[:, col] = np.mod(out[:, col], 2 * np.pi)
    for col in step_cols:
        out[:, col] = a[:, col]
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
    surprises: list = field(default_factory=list)      # onset frames of brow raises
    blinks: list = field(default_factory=list)         # onset frames (kept for measurements; capped)
    pending: list = field(default_factory=list)        # listening events not shown yet: (frame, seq, kind, payload)
    seq: int = 0
    heard: list = field(default_factory=list)          # frames of recent surprises (repeats make a frown)
    frowns: list = field(default_factory=list)         # onset frames of "processing" frowns
    nods: list = field(default_factory=list)           # onset frames of nods
    breaths: list = field(default_factory=list)        # onset frames of in-breaths before answering
    last_onset: int = -10 ** 9                         # frame of the speaker's last syllable onset
    last_heard: int = -10 ** 9                         # … or phrase boundary (the face is listening)
    last_voiced: int = -10 ** 9                        # the last frame the avatar's own voicing was audible
    onset_no: int = 0
    saccade_at: int = -1                               # frame of a saccade on a syllable onset
    reactions: list = field(default_factory=list)      # (frame, what, ms) shown since the caller last took them


class AnimatorCore:
    """Pure per-frame face animation from interpolated ψ-state channels."""

    def __init__(self, labels, *, fps: float = DEFAULT_RATES[chain.VIDEO], seed: int = 0, blink_rate: float = 15.0,
                 blink_ms: float = 150.0, expressivity: float = 1.0, head_motion: float = 1.0,
                 jaw_gain: float = 1.0, surprise_ms: float = 120.0, blink_source: str = "auto",
                 frown_after: int = 2, frown_window_s: float = 4.0, frown_ms: float = 600.0,
                 nod_ms: float = 500.0, nod_rad: float = NOD_RAD, pause_ms: float = 40.0):
        self.labels = tuple(labels)
        self.fps, self.seed = float(fps), int(seed) & _MASK
        self.blink_rate, self.blink_ms = blink_rate, blink_ms
        self.expr, self.head, self.jaw_gain = expressivity, head_motion, jaw_gain
        self.surprise_ms, self.frown_ms, self.nod_ms, self.pause_ms = surprise_ms, frown_ms, nod_ms, pause_ms
        self.surprise_frames = self._frames_of(surprise_ms)
        self.frown_frames, self.nod_frames = self._frames_of(frown_ms), self._frames_of(nod_ms)
        self.breath_frames = self._frames_of(BREATH_MS)
        self.frown_after, self.frown_window = int(frown_after), self._frames_of(1000.0 * frown_window_s)
        self.nod_rad = float(nod_rad)
        pos = {n: i for i, n in enumerate(self.labels)}
        self.ch = {n: pos.get(n, -1) for n in TRACT_DEFAULTS}
        self.phase = {r: pos.get(chain.phase_label(r), -1) for r in ROLES}
        self.amp = {r: pos.get(chain.amp_label(r), -1) for r in ROLES}
        self.use_osc_blink = blink_source == "oscillator" or (blink_source == "auto" and self.phase[chain.BLINK] >= 0)
        self.rest = rest_row(self.labels)
        self.state = AnimState(smooth=self._rest_filters())

    def _rest_filters(self) -> dict:
        """The smoothing filters' state at the rest pose (not at the first input: the face starts at rest)."""
        r, g = self.rest, self._get
        vis = self._viseme(r, self._jaw(r))
        rest_shapes = VISEME_SHAPES.get(VISEMES[vis], {})
        return {"v": g(r, "valence"), "a": g(r, "arousal"), "d": g(r, "dominance"),
                "pp": 1.0 if vis == VISEME_INDEX["PP"] else 0.0, "loud": g(r, "loud"),
                **{"vis:" + k: rest_shapes.get(k, 0.0) for k in _VISEME_KEYS}}

    # ------------------------------------------------------------------ helpers
    def _frames_of(self, ms: float) -> int:
        return max(1, int(round(ms * self.fps / 1000.0)))

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
        y = s[key]
        y = y + a * (x - y)
        s[key] = y
        return y

    def _draw_blink(self, after: int) -> int:
        st = self.state
        mean = _MINUTE / max(self.blink_rate, 1e-3)
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
            ph = self._role(row, chain.BLINK)
            if ph is not None:
                p = ph[0] % (2 * math.pi)
                prev = st.prev_blink_phase
                st.prev_blink_phase = p
                refractory = f - st.blink_start > 0.4 * _MINUTE / max(self.blink_rate, 1e-3) * self.fps
                if prev == prev and p < prev - math.pi and refractory and ph[1] > 0.05:
                    fired = True
        if not fired and f >= st.next_blink:
            fired = True
        if fired and f - st.blink_start >= st.blink_len:
            self._start_blink(f)
            if self.use_osc_blink and self._role(row, chain.BLINK) is not None:
                # the oscillator times the blinks; the hashed schedule only fills long gaps
                st.next_blink = f + int(2.5 * _MINUTE / max(self.blink_rate, 1e-3) * self.fps)
            else:
                st.next_blink = self._draw_blink(f)
        tau = f - st.blink_start
        if 0 <= tau < st.blink_len:
            x = (tau + 0.5) / st.blink_len
            return _ss(0.0, 0.38, x) if x < 0.38 else 1.0 - _ss(0.38, 1.0, x)
        return 0.0

    def _gaze(self, f: int):
        st = self.state
        if f - st.last_onset < self.fps * LISTEN_HOLD_S:
            due = st.saccade_at == f                      # the speaker's syllables pace the eyes
        else:
            due = f >= st.next_saccade
        if due:
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
        self.add_event(chain.SURPRISE, frame)

    def add_event(self, kind: str, frame: int, payload=None) -> None:
        """A listening event (``surprise``, ``phrase_boundary``, ``syllable_onset``) to react to from video
        frame ``frame`` on (other kinds are ignored)."""
        if kind in REACTING_KINDS:
            st = self.state
            st.seq += 1
            st.pending.append((int(frame), st.seq, kind, payload))
            st.pending.sort(key=lambda x: (x[0], x[1]))

    def take_reactions(self) -> list:
        """The reactions shown since the last call: ``[(frame, what, ms)]`` (what: brow, frown, nod, pause, breath)."""
        out, self.state.reactions = self.state.reactions, []
        return out

    def _react(self, f: int, row) -> None:
        """Start the reactions to the events due at frame ``f``."""
        st = self.state
        if self._get(row, "AV") > SPEAKING_AV:
            st.last_voiced = f
        while st.pending and st.pending[0][0] <= f:
            _, _, kind, _ = st.pending.pop(0)
            if kind == chain.SURPRISE:
                speaking = f - st.last_voiced < self.fps * SPEAKING_HOLD_S
                listening = not speaking and f - st.last_heard < self.frown_window
                if listening:                           # a listener's surprises: repeated ones puzzle
                    st.heard = [h for h in st.heard if f - h < self.frown_window] + [f]
                if listening and len(st.heard) >= self.frown_after:
                    st.frowns.append(f)
                    st.reactions.append((f, "frown", self.frown_ms))
                else:
                    st.surprises.append(f)
                    st.reactions.append((f, "brow", self.surprise_ms))
                if speaking:
                    st.reactions.append((f, "pause", self.pause_ms))
            elif kind == chain.PHRASE_BOUNDARY:
                st.last_heard = f
                st.nods.append(f)
                st.reactions.append((f, "nod", self.nod_ms))
                if f - st.blink_start >= st.blink_len:
                    self._start_blink(f)
            elif kind == chain.TURN_END_PREDICTED:
                if not st.breaths or f - st.breaths[-1] >= self.breath_frames:
                    st.breaths.append(f)
                    st.reactions.append((f, "breath", BREATH_MS))
            elif kind == chain.SYLLABLE_ONSET:
                st.last_onset = st.last_heard = f
                n = st.onset_no
                st.onset_no += 1
                if hash01(self.seed, 24, n) < ONSET_SACCADE_P:
                    st.saccade_at = f                   # a saccade on this syllable

    def _pulses(self, key: str, f: int, frames: int, shape) -> float:
        """The largest of the pulses started at the frames in ``state.<key>`` (expired ones are dropped)."""
        st = self.state
        level, keep = 0.0, []
        for s0 in getattr(st, key):
            tau = f - s0
            if tau < frames:
                keep.append(s0)
            if 0 <= tau < frames:
                level = max(level, shape((tau + 0.5) / frames))
        setattr(st, key, keep)
        return level

    def frames(self, values: np.ndarray, first_frame: int) -> np.ndarray:
        """Animate consecutive frames; ``values`` are the ψ-state rows already read at video times."""
        out = np.zeros((len(values), len(BLENDSHAPE_LABELS)))
        for j in range(len(values)):
            self._frame(values[j], first_frame + j, out[j])
        self.state.frame = first_frame + len(values)
        return out

    def _jaw(self, row) -> float:
        """The tract's jaw, or (no tract) the syllable oscillator's opening."""
        if self.ch["jaw"] >= 0:
            return float(row[self.ch["jaw"]])
        syl = self._role(row, chain.SYLLABLE)
        return 0.0 if syl is None else 0.5 * syl[1] * (1 - math.cos(syl[0]))

    def _viseme(self, row, jaw) -> int:
        """OVR viseme index: the planner's label when the state has one, else guessed from the tract."""
        g = self._get
        vis = g(row, "viseme")
        if self.ch["viseme"] >= 0 and 0 <= vis < 15:
            return int(round(vis))
        return VISEME_INDEX[tract_viseme(jaw, g(row, "lip_ap"), g(row, "lip_round"), g(row, "lip_spread"),
                                         g(row, "tongue_tip"), g(row, "AV"))]

    def _frame(self, row, f, o):
        I, g, E = INDEX, self._get, self.expr
        lip_ap, rnd, spr = g(row, "lip_ap"), g(row, "lip_round"), g(row, "lip_spread")
        loud = g(row, "loud")
        jaw = self._jaw(row)
        v = self._smooth("v", g(row, "valence"), 0.15)
        a = self._smooth("a", g(row, "arousal"), 0.15)
        d = self._smooth("d", g(row, "dominance"), 0.15)

        # --- mouth from the tract ---
        jaw_open = _clip(self.jaw_gain * jaw)
        vis_i = self._viseme(row, jaw)
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
        o[I["mouthLowerDown_L"]] = o[I["mouthLowerDown_R"]] = 0.2 * wide
        o[I["mouthStretch_L"]] = o[I["mouthStretch_R"]] = 0.55 * spr
        shapes = VISEME_SHAPES.get(VISEMES[vis_i], {})
        # emotions that part the lips at rest (surprise drops the jaw, a smile parts the lips a little)
        pos_v = _clip(v)
        surpr = _clip((a - 0.3) / 0.7) * _clip(2 * (0.5 - d)) * (1 - _clip(-v))
        expr_jaw = E * 0.28 * surpr
        if vis_i == VISEME_INDEX["sil"]:
            seal = _ss(*REST_SEAL_JAW, jaw_open + expr_jaw + 0.05 * E * pos_v)
            shapes = {k: w * seal for k, w in shapes.items()}
        for k in _VISEME_KEYS:                  # the viseme's own posture, eased in and out
            o[I[k]] = _clip(o[I[k]] + self._smooth("vis:" + k, shapes.get(k, 0.0), VISEME_TAU_S))

        # --- emotion and expression roles ---
        neg_v = _clip(-v)
        smile = 0.95 * pos_v
        r = self._role(row, chain.SMILE)
        if r is not None:
            smile += 0.35 * _clip(r[1]) * (0.6 + 0.4 * math.cos(r[0]))
        smile = E * smile + 0.2 * spr
        sad = neg_v * _clip(1 - 1.2 * _clip(d)) * (1 - 0.5 * _clip(a))
        anger = neg_v * _clip(1.5 * d) * (0.6 + 0.4 * _clip(a))
        brow_raise = 0.0
        r = self._role(row, chain.BROW)
        if r is not None:
            brow_raise = 0.35 * _clip(r[1]) * (0.5 + 0.5 * math.cos(r[0]))
        # reactions: surprise → 120 ms brow raise + eyes wide; repeated → a "processing" frown
        self._react(f, row)
        ev = self._pulses("surprises", f, self.surprise_frames, _raise_shape)
        frown = self._pulses("frowns", f, self.frown_frames, _hold_shape)
        nod = self._pulses("nods", f, self.nod_frames, _nod_shape)
        inhale = self._pulses("breaths", f, self.breath_frames, _nod_shape)
        for s in ("L", "R"):
            asym = 1.0 + (0.04 if s == "L" else -0.04)
            o[I[f"mouthSmile_{s}"]] = _clip(smile * asym)
            o[I[f"cheekSquint_{s}"]] = _clip(0.9 * E * pos_v + 0.3 * anger * E)
            o[I[f"mouthFrown_{s}"]] = _clip(E * (0.75 * sad + 0.2 * anger))
            o[I[f"browDown_{s}"]] = _clip(E * 1.3 * anger + FROWN_BROW * frown)
            o[I[f"noseSneer_{s}"]] = _clip(E * 0.25 * anger)
            o[I[f"browOuterUp_{s}"]] = _clip(E * (1.2 * surpr + 0.1 * sad) + brow_raise + 0.9 * ev)
            o[I[f"eyeWide_{s}"]] = _clip(E * 1.0 * surpr + 0.15 * _clip(a) * (1 - anger) + 0.9 * ev)
            o[I[f"eyeSquint_{s}"]] = _clip(E * (0.4 * pos_v + 0.8 * anger) + 0.5 * FROWN_BROW * frown)
            o[I[f"mouthPress_{s}"]] = _clip(o[I[f"mouthPress_{s}"]] + 0.6 * E * anger + 0.4 * FROWN_BROW * frown)
        o[I["browInnerUp"]] = _clip(E * (1.1 * sad + 1.0 * surpr) * (1 - _clip(1.3 * anger)) + brow_raise + 0.9 * ev)
        o[I["mouthShrugLower"]] = _clip(0.55 * E * sad)
        for s in ("L", "R"):                     # a smile lifts the upper lip off the teeth
            o[I[f"mouthUpperUp_{s}"]] = _clip(o[I[f"mouthUpperUp_{s}"]] + 0.3 * E * pos_v)
        o[I["mouthPucker"]] = _clip(o[I["mouthPucker"]] + 0.15 * E * sad)         # with shrugLower: a slight pout
        o[I["jawOpen"]] = _clip(o[I["jawOpen"]] + expr_jaw + 0.1 * ev + BREATH_JAW * inhale)
        o[I["mouthClose"]] *= 1.0 - inhale

        # --- blinks, gaze, head ---
        b = self._blink(f, row)
        o[I["eyeBlink_L"]] = o[I["eyeBlink_R"]] = max(b, 0.0)
        gx, gy = self._gaze(f)
        o[I["gazeX"]], o[I["gazeY"]] = gx, gy
        h = self.head
        if self.phase[chain.HEAD_YAW] >= 0:            # the core's head roles lead; drift only adds texture
            h = 0.5 * h
        pitch = 0.035 * self._drift(f, 0) * h
        yaw = 0.05 * self._drift(f, 1) * h
        roll = 0.025 * self._drift(f, 2) * h
        for role, k in ((chain.HEAD_PITCH, 0), (chain.HEAD_YAW, 1), (chain.HEAD_ROLL, 2)):
            r = self._role(row, role)
            if r is not None:
                delta = 0.06 * self.head * r[1] * math.sin(r[0])
                if k == 0:
                    pitch += delta
                elif k == 1:
                    yaw += delta
                else:
                    roll += delta
        br = self._role(row, chain.BREATH)
        breath = math.sin(br[0]) * _clip(br[1]) if br is not None else math.sin(2 * math.pi * 0.25 * f / self.fps)
        pitch += 0.012 * h * breath - 0.03 * h * self._smooth("loud", loud, 0.25)
        pitch += self.nod_rad * nod - BREATH_RAD * inhale              # listener nod; in-breath lifts the head
        o[I["headPitch"]], o[I["headYaw"]], o[I["headRoll"]] = pitch, yaw, roll
        o[I["viseme"]] = vis_i


def animate(rows, labels, *, period: int, frame_period: int, fps: float, n_frames: int | None = None,
            seed: int = 0, **kw) -> np.ndarray:
    """Blendshape rows of video frames 0…n−1 from control rows 0, 1, … — what the ``face_animator`` node
    computes (any block size), in one call. ``period``/``frame_period``: master samples per control tick /
    per video frame; by default every frame whose time lies before the end of the rows."""
    rows = np.asarray(rows, dtype=np.float64)
    if n_frames is None:
        n_frames = -(-len(rows) * period // frame_period)
    core = AnimatorCore(labels, fps=fps, seed=seed, **kw)
    times = np.arange(n_frames, dtype=np.int64) * frame_period
    vals = read_control(rows, 0, times, period, core.rest, step_columns(labels), phase_columns(labels))
    return core.frames(vals, 0)
