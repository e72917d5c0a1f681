"""How the animator's ARKit weights drive the ICT head's shapes: gains and couplings.

The ICT-FaceKit shapes are scans of one actor's full-range expressions, and face_animator's
weights are calibrated for ARKit's captures: at the animator's emotion and viseme weights
several ICT shapes barely move (a smile without a cheek raise, sad ≈ neutral, /p b m/ lips that
touch but do not press). :func:`shape_mix` returns the (S, S) matrix the poser applies to a row
(``weights = mix @ row``): a gain per shape and a few anatomical couplings (a smile raises the
cheeks and narrows the eyes; a frown pulls the lower lip; pressed lips roll in a little; lowered
brows narrow the eyes, lift the upper lids into a glare and pull the inner brows down; rounded lips push the lower lip up over the
lower teeth, which ICT's funnel shape would bare).
``jawOpen`` and ``mouthClose`` keep gain 1 (the lip-gap calibration rests on them).
"""
from __future__ import annotations

import numpy as np

#: gain per shape (both sides where a name has _L/_R)
GAINS = {"mouthSmile": 1.2, "mouthFrown": 1.7, "mouthShrugLower": 1.5, "browInnerUp": 1.7,
         "mouthPress": 2.0, "mouthRollLower": 1.4, "mouthPucker": 1.3, "mouthFunnel": 1.25,
         "mouthStretch": 1.4, "cheekSquint": 1.2, "mouthUpperUp": 1.5, "browDown": 1.9, "noseSneer": 1.5}
#: (target, source, weight): target += weight · source (per side for _L/_R names)
COUPLINGS = (("cheekSquint", "mouthSmile", 0.55), ("eyeSquint", "mouthSmile", 0.40),
             ("mouthLowerDown", "mouthFrown", 0.15), ("mouthRollLower", "mouthPress", 0.12),
             ("mouthRollUpper", "mouthPress", 0.10), ("eyeSquint", "browDown", 0.25), ("browInnerUp", "browDown", -0.35),
             ("eyeWide", "browDown", 0.6),   # a glare: the upper lids lift into the lowered brows
             ("mouthShrugLower", "mouthFunnel", 0.5))


def _sided(names: tuple, base: str) -> list[str]:
    return [n for n in (base, f"{base}_L", f"{base}_R") if n in names]


def shape_mix(names: tuple) -> np.ndarray:
    """(S, S) mixing matrix over ``names`` (the head's shape names)."""
    pos = {n: k for k, n in enumerate(names)}
    mix = np.eye(len(names))
    for base, g in GAINS.items():
        for n in _sided(names, base):
            mix[pos[n], pos[n]] = g
    for target, source, w in COUPLINGS:
        for t in _sided(names, target):
            s = t.replace(target, source)
            # a one-sided target (browInnerUp) takes the mean of a two-sided source (browDown_L/_R)
            srcs = [s] if s in pos else [f"{s}_{side}" for side in ("L", "R") if f"{s}_{side}" in pos]
            for src in srcs:
                mix[pos[t], pos[src]] += w / len(srcs)
    return mix


#: shapes that give way as the same side's eye closes (the upper lid meets the raised lower lid
#: instead of passing through it; a glare or a surprise does not hold the lid open)
BLINK_RELAXES = ("cheekSquint", "eyeSquint", "eyeWide")


def blink_pairs(names: tuple) -> list[tuple[int, int]]:
    """(squint shape index, eyeBlink index of the same side) pairs over ``names``."""
    pos = {n: k for k, n in enumerate(names)}
    return [(pos[f"{b}_{s}"], pos[f"eyeBlink_{s}"]) for b in BLINK_RELAXES for s in ("L", "R")
            if f"{b}_{s}" in pos and f"eyeBlink_{s}" in pos]


def mix_weights(mix: np.ndarray, row_weights: np.ndarray, pairs: list) -> np.ndarray:
    """Shape weights of one row: ``mix @ row_weights``, the squints relaxed by the blinks."""
    w = mix @ row_weights
    for sq, bl in pairs:
        w[sq] *= 1.0 - min(max(w[bl], 0.0), 1.0)
    return w
