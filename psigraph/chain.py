"""The speech/face chain contract: the names every family of the chain agrees on.

psi_core, the speech nodes, the face nodes, the Koopman monitor, the memory and
the commands that drive them (``say``, ``replay``, ``serve``) never import one
another; they meet here. A name used by two families lives in this module:

* **state labels** — ``phase:<osc>`` and ``amp:<osc>`` per oscillator, then the
  articulatory (tract) channels :data:`TRACT_CHANNELS` with their rest values;
* **roles** — the named oscillators a speaking face reads (syllable, jaw, …) and
  the psi_core layout that provides them (:data:`SPEAK_ROLES`);
* **event kinds** of the gestural score and of the monitors;
* **parts** — what a node *is* in the chain (``Node.ROLE``), so a command finds
  the text input or the audio file sink by what it does, never by node id;
* the **rate names** the chain runs at (values live in the graph's timebase).
"""
from __future__ import annotations

# ---- rates (names; the graph's ``rates`` give the Hz) -----------------------------
AUDIO, CONTROL, VIDEO, MICRO, MESO, MACRO = "audio", "control", "video", "micro", "meso", "macro"

# ---- ψ-state labels ----------------------------------------------------------------
PHASE, AMP = "phase:", "amp:"


def phase_label(osc: str) -> str:
    """State label of an oscillator's phase (radians in [0, 2π))."""
    return PHASE + osc


def amp_label(osc: str) -> str:
    """State label of an oscillator's amplitude."""
    return AMP + osc


#: articulatory channels that follow the oscillator labels in psi_core's ``state``
TRACT_CHANNELS: tuple[str, ...] = (
    "f0", "F1", "F2", "F3", "F4", "F5", "B1", "B2", "B3", "B4", "B5",
    "AV", "AH", "AF", "FF", "FB", "AB", "AN",
    "jaw", "lip_ap", "lip_round", "lip_spread", "tongue_tip", "viseme",
    "valence", "arousal", "dominance", "loud",
)
TRACT_INDEX: dict[str, int] = {name: i for i, name in enumerate(TRACT_CHANNELS)}

#: rest pose of the tract (silence, mouth nearly closed, neutral emotion)
TRACT_REST: dict[str, float] = {
    "f0": 120.0, "F1": 500.0, "F2": 1500.0, "F3": 2500.0, "F4": 3450.0, "F5": 4500.0,
    "B1": 80.0, "B2": 90.0, "B3": 150.0, "B4": 250.0, "B5": 300.0,
    "AV": 0.0, "AH": 0.0, "AF": 0.0, "FF": 4000.0, "FB": 2000.0, "AB": 0.0, "AN": 0.0,
    "jaw": 0.05, "lip_ap": 0.1, "lip_round": 0.0, "lip_spread": 0.0, "tongue_tip": 0.0,
    "viseme": 0.0, "valence": 0.0, "arousal": 0.0, "dominance": 0.0, "loud": 0.7,
}
EMOTION_CHANNELS = ("valence", "arousal", "dominance")

# ---- roles: named oscillators of a speaking face ------------------------------------
SYLLABLE, JAW, BREATH, BLINK, SMILE, BROW = "syllable", "jaw", "breath", "blink", "smile", "brow"
HEAD_PITCH, HEAD_YAW, HEAD_ROLL = "head_pitch", "head_yaw", "head_roll"
FACE_ROLES = (SYLLABLE, BREATH, BLINK, SMILE, BROW, HEAD_PITCH, HEAD_YAW, HEAD_ROLL)
EXPRESSION_ROLES = (SMILE, BROW)

#: psi_core bands of the seed configuration (micro 25 ms, meso 250 ms, macro 2 s)
SEED_BANDS = [
    {"name": MICRO, "count": 128, "period_ms": 25.0, "spread_hz": 0.3},
    {"name": MESO, "count": 32, "period_ms": 250.0, "spread_hz": 0.1},
    {"name": MACRO, "count": 8, "period_ms": 2000.0, "spread_hz": 0.02},
]

#: psi_core roles of the speak graph (graphs/speak.yaml writes them out)
SPEAK_ROLES = [
    {"name": SYLLABLE, "period_ms": 250.0, "band": MESO, "pull": 1.0, "amp": 0.0},
    {"name": JAW, "period_ms": 250.0, "band": MESO, "pull": 0.5, "amp": 0.0},
    {"name": BREATH, "period_ms": 4000.0, "band": MACRO, "pull": 0.2, "amp": 1.0},
    {"name": BLINK, "period_ms": 4000.0, "amp": 1.0, "noise": 0.8},
    {"name": SMILE, "period_ms": 6000.0, "amp": 0.0},
    {"name": BROW, "period_ms": 5000.0, "amp": 0.0},
    {"name": HEAD_PITCH, "period_ms": 3100.0, "band": MACRO, "pull": 0.1, "amp": 1.0},
    {"name": HEAD_YAW, "period_ms": 4700.0, "band": MACRO, "pull": 0.1, "amp": 1.0},
    {"name": HEAD_ROLL, "period_ms": 5900.0, "band": MACRO, "pull": 0.1, "amp": 1.0},
]

#: harmonic-grammar constraints of the speak graph
SPEAK_CONSTRAINTS = [
    {"lock": [JAW, SYLLABLE], "weight": 2.0},
    {"kind": "sad_slows", "band": MESO, "weight": 0.25},
]


def speak_core_params(**overrides) -> dict:
    """psi_core params of the speak graph (for scripts and tests that build it in Python)."""
    import copy
    return {"bands": copy.deepcopy(SEED_BANDS), "roles": copy.deepcopy(SPEAK_ROLES),
            "constraints": copy.deepcopy(SPEAK_CONSTRAINTS), **overrides}


#: observables the Koopman monitor watches in the speak graph (phase labels give cos and sin)
SPEAK_OBSERVABLES = [phase_label(SYLLABLE), phase_label(JAW), phase_label(BREATH), phase_label(HEAD_YAW)]

# ---- event kinds ---------------------------------------------------------------------
# gestural score (prosody_planner → psi_core)
FORCE, SYLLABLE_EVENT, EMOTION, UTTERANCE, END, TARGET, KICK, PHONE = (
    "force", "syllable", "emotion", "utterance", "end", "target", "kick", "phone")
# monitors (surprise_detector → face, sinks)
SURPRISE = "surprise"
# listening (listener → psi_core, face_animator, sinks, hosts). Payloads: SYLLABLE_ONSET {"strength"};
# PHRASE_BOUNDARY {"pause_s"}; TURN_END_PREDICTED {"lead_s": predicted seconds to the end of the turn};
# REACTION {"what": "brow" | "frown" | "nod" | "pause", "ms"} (what the face did, for sinks and hosts)
SYLLABLE_ONSET = "syllable_onset"
PHRASE_BOUNDARY = "phrase_boundary"
TURN_END_PREDICTED = "turn_end_predicted"
REACTION = "reaction"
# a viseme change on the face (face_animator → sinks, hosts): payload {"viseme": OVR index}
VISEME = "viseme"
# emotional memory (psi_memory → prosody_planner.tone): how to say what comes next. Payload keys, each
# optional: "emotion" [v, a, d]; the targets "f0_level_hz" (median f0 of voiced speech), "f0_range_st"
# (its 5–95 % range), "rate_sps" (syllables per second of speaking time), "pause_s" (mean pause),
# measured as psigraph.kernels.prosody measures them; "phase_offsets" {expression role: rad} (the
# role's phase minus its nominal rotation 2π t / period, t = seconds since the run started)
TONE = "tone"
# (listening adds) "articulation": a gain on mouth movement (1 = as planned, 1.2 = 20 % larger jaw/lip
# excursions), set by adaptive comprehension after repeated surprise
TONE_KEYS = ("emotion", "f0_level_hz", "f0_range_st", "rate_sps", "pause_s", "phase_offsets", "articulation")

# ---- parts: what a node is in the chain (Node.ROLE) ----------------------------------
TEXT_INPUT = "text_input"        # has a ``text`` param; the utterance to say
PROSODY = "prosody"              # has ``emotion``, ``persona``, ``rate`` params
VOICE = "voice"                  # has a ``persona`` param; outputs ``audio``
FACE = "face"                    # outputs ``blendshapes`` at the video rate
AUDIO_FILE = "audio_file"        # sink with a ``path`` param, input ``x``
FRAMES_FILE = "frames_file"      # sink with ``path``; inputs ``blendshapes``, ``events``
VIDEO_FILE = "video_file"        # sink with ``path``; inputs ``frames``, ``audio``
AUDIO_DEVICE = "audio_device"    # plays input ``x`` on the sound card (the real-time runner feeds it)
RENDER = "render"                # blendshapes → RGBA frames
EVENTS = "events"                # emits ``surprise`` and other monitor events
AUDIO_SOURCE = "audio_source"    # outputs ``audio`` from a file or an input device (``path``/``device``)
LISTENER = "listener"            # input ``audio``; outputs listening features and events
