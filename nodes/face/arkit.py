"""ARKit blendshape names, the OVR 15-viseme set and the phone/tract → viseme mapping."""
from __future__ import annotations

#: The 52 ARKit blendshape names (facecap/_L _R spelling), in ARKit's customary order.
ARKIT_NAMES: tuple[str, ...] = (
    "browInnerUp", "browDown_L", "browDown_R", "browOuterUp_L", "browOuterUp_R",
    "eyeLookUp_L", "eyeLookUp_R", "eyeLookDown_L", "eyeLookDown_R", "eyeLookIn_L", "eyeLookIn_R",
    "eyeLookOut_L", "eyeLookOut_R", "eyeBlink_L", "eyeBlink_R", "eyeSquint_L", "eyeSquint_R",
    "eyeWide_L", "eyeWide_R", "cheekPuff", "cheekSquint_L", "cheekSquint_R", "noseSneer_L",
    "noseSneer_R", "jawOpen", "jawForward", "jawLeft", "jawRight", "mouthFunnel", "mouthPucker",
    "mouthLeft", "mouthRight", "mouthRollUpper", "mouthRollLower", "mouthShrugUpper",
    "mouthShrugLower", "mouthClose", "mouthSmile_L", "mouthSmile_R", "mouthFrown_L", "mouthFrown_R",
    "mouthDimple_L", "mouthDimple_R", "mouthUpperUp_L", "mouthUpperUp_R", "mouthLowerDown_L",
    "mouthLowerDown_R", "mouthPress_L", "mouthPress_R", "mouthStretch_L", "mouthStretch_R", "tongueOut",
)
assert len(ARKIT_NAMES) == 52 and len(set(ARKIT_NAMES)) == 52

#: Extra channels of the animator output after the 52 weights (head angles in radians, gaze in [-1, 1]).
EXTRA_CHANNELS: tuple[str, ...] = ("headPitch", "headYaw", "headRoll", "gazeX", "gazeY", "viseme")
#: Channel labels of ``face_animator.blendshapes``.
BLENDSHAPE_LABELS: tuple[str, ...] = ARKIT_NAMES + EXTRA_CHANNELS
INDEX: dict[str, int] = {n: i for i, n in enumerate(BLENDSHAPE_LABELS)}

#: OVR / OpenXR 15 viseme ids, index = viseme number.
VISEMES: tuple[str, ...] = ("sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR",
                            "aa", "E", "ih", "oh", "ou")
VISEME_INDEX: dict[str, int] = {v: i for i, v in enumerate(VISEMES)}

#: ARPAbet phone (stress digits stripped) → OVR viseme.
PHONE_TO_VISEME: dict[str, str] = {
    "P": "PP", "B": "PP", "M": "PP",
    "F": "FF", "V": "FF",
    "TH": "TH", "DH": "TH",
    "T": "DD", "D": "DD",
    "K": "kk", "G": "kk", "NG": "kk", "HH": "kk",
    "CH": "CH", "JH": "CH", "SH": "CH", "ZH": "CH",
    "S": "SS", "Z": "SS",
    "N": "nn", "L": "nn",
    "R": "RR", "ER": "RR",
    "AA": "aa", "AE": "aa", "AH": "aa", "AY": "aa", "AW": "aa",
    "EH": "E", "EY": "E",
    "IH": "ih", "IY": "ih", "Y": "ih",
    "AO": "oh", "OW": "oh", "OY": "oh",
    "UH": "ou", "UW": "ou", "W": "ou",
    "SIL": "sil", "SP": "sil", "": "sil",
}


def phone_viseme(phone: str) -> str:
    """OVR viseme of an ARPAbet phone ("AA1" → "aa"); unknown phones map to "sil"."""
    p = phone.strip().upper().rstrip("012")
    return PHONE_TO_VISEME.get(p, "sil")


def viseme_name(index: float) -> str:
    """Viseme id for a (possibly float) index; out of range → "sil"."""
    i = int(round(float(index)))
    return VISEMES[i] if 0 <= i < len(VISEMES) else "sil"


def tract_viseme(jaw: float, lip_ap: float, lip_round: float, lip_spread: float,
                 tongue_tip: float, voiced: float = 1.0) -> str:
    """A viseme guessed from tract channels alone (used when the state has no ``viseme`` channel)."""
    if voiced < 0.05 and jaw < 0.08 and lip_ap > 0.15:
        return "sil"
    if lip_ap < 0.12:
        return "PP"
    if lip_round > 0.5:
        return "ou" if jaw < 0.3 else "oh"
    if tongue_tip > 0.5:
        return "DD" if jaw > 0.15 else "nn"
    if jaw > 0.55:
        return "aa"
    if lip_spread > 0.5:
        return "ih" if jaw < 0.25 else "E"
    if jaw > 0.3:
        return "E"
    return "SS"
