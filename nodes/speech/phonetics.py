"""ARPAbet phones → tract targets (formants, bandwidths, sources, lips, visemes).

Vowel formants: Hillenbrand et al. 1995 (men) blended with Klatt 1980 Table II;
diphthongs carry an onset and an offset target. Consonants: Klatt 1980 Table III
(sonorants, nasals, fricative/burst spectra) and F2 locus equations
(F2_onset = slope·F2_vowel + intercept) for the place of articulation.
Amplitudes are linear 0..1 (1 ≈ a strong vowel, Klatt AV 60 dB).
"""
from __future__ import annotations

__all__ = ["VOWELS", "CONSONANTS", "VISEMES", "VISEME_OF", "vowel_targets", "consonant_targets",
           "locus_f2", "is_vowel", "kind_of", "PLACE", "VOICED", "base", "nasal_coupling",
           "NASAL_POLE_HZ", "NASAL_ZERO_SPAN", "NASAL_ZERO_HZ", "NASAL_MURMUR_F1"]

VISEMES = ("sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "ih", "oh", "ou")

VISEME_OF = {
    "sil": "sil", "P": "PP", "B": "PP", "M": "PP", "F": "FF", "V": "FF", "TH": "TH", "DH": "TH",
    "T": "DD", "D": "DD", "K": "kk", "G": "kk", "NG": "kk", "HH": "kk",
    "CH": "CH", "JH": "CH", "SH": "CH", "ZH": "CH", "S": "SS", "Z": "SS",
    "N": "nn", "L": "nn", "R": "RR", "ER": "RR", "W": "ou", "Y": "ih",
    "AA": "aa", "AE": "aa", "AH": "aa", "AY": "aa", "AW": "aa",
    "EH": "E", "EY": "E", "IH": "ih", "IY": "ih",
    "AO": "oh", "OW": "oh", "OY": "oh", "UH": "ou", "UW": "ou",
}

# vowel: (F1, F2, F3, B1, B2, B3), optional offset (F1, F2, F3), jaw, round, spread
# /ɛ æ ɑ/ take Peterson & Barney's men's values (the facts file's Praat table): Hillenbrand's
# /æ/ is raised toward /ɛ/ (F1 588 vs 580) and his /ɑ/ F2 sits above /ʌ/'s, so a steady-state
# synthesiser without their trajectories lost "bat"/"bet" and "lock"/"luck" (F1 and F2 apart)
VOWELS: dict[str, dict] = {
    "IY": dict(on=(300, 2250, 2980), off=None, bw=(50, 100, 150), jaw=0.15, rnd=0.0, spr=0.8),
    "IH": dict(on=(420, 1950, 2600), off=None, bw=(55, 100, 140), jaw=0.25, rnd=0.0, spr=0.5),
    "EY": dict(on=(480, 1900, 2600), off=(340, 2150, 2700), bw=(60, 100, 160), jaw=0.35, rnd=0.0, spr=0.5),
    "EH": dict(on=(530, 1850, 2500), off=None, bw=(65, 100, 150), jaw=0.45, rnd=0.0, spr=0.3),
    "AE": dict(on=(660, 1730, 2450), off=None, bw=(75, 110, 160), jaw=0.65, rnd=0.0, spr=0.3),
    "AA": dict(on=(750, 1100, 2500), off=None, bw=(100, 80, 160), jaw=0.8, rnd=0.0, spr=0.0),
    "AO": dict(on=(600, 950, 2500), off=None, bw=(90, 80, 140), jaw=0.6, rnd=0.5, spr=0.0),
    "AH": dict(on=(620, 1220, 2550), off=None, bw=(80, 70, 140), jaw=0.55, rnd=0.0, spr=0.0),
    "OW": dict(on=(540, 1050, 2450), off=(420, 850, 2350), bw=(80, 70, 90), jaw=0.45, rnd=0.7, spr=0.0),
    "UH": dict(on=(460, 1120, 2430), off=None, bw=(65, 90, 140), jaw=0.3, rnd=0.5, spr=0.0),
    "UW": dict(on=(340, 1150, 2250), off=(320, 900, 2200), bw=(65, 90, 140), jaw=0.2, rnd=0.9, spr=0.0),
    "ER": dict(on=(480, 1350, 1650), off=None, bw=(90, 70, 110), jaw=0.35, rnd=0.3, spr=0.0),
    "AY": dict(on=(720, 1250, 2550), off=(420, 1950, 2600), bw=(90, 80, 150), jaw=0.75, rnd=0.0, spr=0.2),
    "AW": dict(on=(720, 1250, 2550), off=(460, 950, 2400), bw=(90, 80, 150), jaw=0.75, rnd=0.5, spr=0.0),
    "OY": dict(on=(560, 880, 2450), off=(420, 1900, 2550), bw=(80, 80, 140), jaw=0.55, rnd=0.6, spr=0.2),
}

PLACE = {"P": "lab", "B": "lab", "M": "lab", "F": "labdent", "V": "labdent", "W": "lab",
         "TH": "dent", "DH": "dent", "T": "alv", "D": "alv", "N": "alv", "S": "alv", "Z": "alv",
         "L": "alv", "R": "pal", "SH": "pal", "ZH": "pal", "CH": "pal", "JH": "pal", "Y": "pal",
         "K": "vel", "G": "vel", "NG": "vel", "HH": "glot"}
VOICED = frozenset("B D G V DH Z ZH JH M N NG L R W Y".split())

# F2 locus equations (slope, intercept) after Sussman et al.; F3 onset per place
_LOCUS = {"lab": (0.75, 150.0, 2150.0), "labdent": (0.6, 450.0, 2300.0),
          "dent": (0.5, 800.0, 2600.0), "alv": (0.4, 1050.0, 2700.0),
          "pal": (0.5, 1100.0, 2400.0), "vel": (0.75, 650.0, 2200.0), "glot": (1.0, 0.0, 0.0)}

# consonant manner table: kind and source/filter targets
#   kind: stop, fric, affr, nasal, liquid, glide, aspirate
CONSONANTS: dict[str, dict] = {
    # labial bursts are low and diffuse (falling spectrum; Blumstein & Stevens 1979): a broad
    # band low in frequency, not the flat 0.9/4 kHz band that peaked near /k/'s 2.3 kHz
    "P": dict(kind="stop", burst=(500.0, 1800.0, 0.4), asp=0.9),
    "B": dict(kind="stop", burst=(500.0, 1800.0, 0.25), asp=0.0),
    "T": dict(kind="stop", burst=(4200.0, 2500.0, 0.9), asp=0.9),
    "D": dict(kind="stop", burst=(4000.0, 2500.0, 0.6), asp=0.0),
    "K": dict(kind="stop", burst=(2000.0, 600.0, 1.0), asp=0.9),
    "G": dict(kind="stop", burst=(2000.0, 600.0, 0.8), asp=0.0),
    "CH": dict(kind="affr", fric=(3300.0, 2200.0, 0.9)),
    "JH": dict(kind="affr", fric=(3300.0, 2200.0, 0.35)),   # ~8 dB weaker than /tʃ/ (voiced: less airflow)
    "F": dict(kind="fric", fric=(5000.0, 7000.0, 0.14), formants=(340, 1100, 2200)),
    "V": dict(kind="fric", fric=(5000.0, 7000.0, 0.08), formants=(300, 1100, 2200)),
    "TH": dict(kind="fric", fric=(6000.0, 6000.0, 0.11), formants=(340, 1400, 2600)),
    "DH": dict(kind="fric", fric=(6000.0, 6000.0, 0.05), formants=(300, 1400, 2600)),
    "S": dict(kind="fric", fric=(5500.0, 1800.0, 0.6), formants=(320, 1600, 2700)),
    "Z": dict(kind="fric", fric=(5500.0, 1800.0, 0.4), formants=(280, 1600, 2700)),
    "SH": dict(kind="fric", fric=(3300.0, 2200.0, 0.9), formants=(320, 1750, 2300)),
    "ZH": dict(kind="fric", fric=(3300.0, 2200.0, 0.6), formants=(300, 1750, 2300)),
    "HH": dict(kind="aspirate"),
    # nasals: "formants" are the oral transition at the closure and the release (F1 450, F2/F3 at
    # the place's locus); the murmur in between raises F1 to NASAL_MURMUR_F1 (see there).
    # Narrower B2/B3 keep the murmur's upper formants audible
    "M": dict(kind="nasal", formants=(450, 1100, 2150), bw=(130, 100, 120)),
    "N": dict(kind="nasal", formants=(450, 1500, 2500), bw=(130, 100, 120)),
    "NG": dict(kind="nasal", formants=(450, 2000, 2400), bw=(130, 100, 120)),
    "L": dict(kind="liquid", formants=(340, 1050, 2880), bw=(60, 120, 200)),
    "R": dict(kind="liquid", formants=(320, 1060, 1400), bw=(70, 100, 120)),
    "W": dict(kind="glide", formants=(290, 650, 2150), bw=(60, 80, 150)),
    "Y": dict(kind="glide", formants=(260, 2100, 3000), bw=(50, 120, 200)),
}

# Nasal branch (kernels._harmonics): a fixed pole at NASAL_POLE_HZ and a zero at
# NASAL_POLE_HZ + NASAL_ZERO_SPAN·AN. The zero is the resonance of the closed oral side-branch,
# so it rises as the closure moves back and the branch shortens (Fujimura 1962; Stevens 1998):
# ≈ 1.0 kHz for /m/, 1.9 kHz for /n/, 2.8 kHz for /ŋ/. AN = 0 puts the zero on the pole (no
# nasal coupling); a nasal's AN target places its zero.
NASAL_POLE_HZ = 270.0
# The murmur's cascade F1: its second low resonance, 280 Hz above the nasal pole. At 450 Hz (the
# transition's F1) the pole pair fell 24 dB/octave from 270 Hz and left the murmur's 0.5–2 kHz
# band 26–31 dB below an open vowel's (a /b d/ voice bar; eSpeak NG 14–28 dB); at 550 Hz it is
# 18–22 dB below, the murmur ~5 dB below the vowel overall and ~15 dB stronger below 400 Hz
# than in 0.5–2 kHz (still a low, nasal spectrum). Stepped in at the closure and out at the
# release, so the vowel's F1 transitions stay those of a closure.
NASAL_MURMUR_F1 = 550.0
NASAL_ZERO_SPAN = 730.0
NASAL_ZERO_HZ = {"M": 1000.0, "N": 1900.0, "NG": 2800.0}


def nasal_coupling(ph: str) -> float:
    """The AN target of a nasal consonant (places its anti-resonance by place of articulation)."""
    return (NASAL_ZERO_HZ[base(ph)] - NASAL_POLE_HZ) / NASAL_ZERO_SPAN


F4, F5 = 3450.0, 4400.0
B4, B5 = 250.0, 300.0


def base(ph: str) -> str:
    """Strip an ARPAbet stress digit."""
    return ph.rstrip("012")


def is_vowel(ph: str) -> bool:
    return base(ph) in VOWELS


def kind_of(ph: str) -> str:
    """'vowel', 'sil' or the consonant manner ('stop', 'fric', 'affr', 'nasal', 'liquid', 'glide', 'aspirate')."""
    b = base(ph)
    if b in VOWELS:
        return "vowel"
    if b in CONSONANTS:
        return CONSONANTS[b]["kind"]
    return "sil"


def viseme_index(ph: str) -> int:
    return VISEMES.index(VISEME_OF.get(base(ph), "sil"))


def vowel_targets(ph: str, part: str = "on", stress: int = 1) -> dict:
    """Formant/articulator targets of a vowel (``part`` 'on' or 'off' for diphthongs)."""
    v = VOWELS[base(ph)]
    f = v["off"] if (part == "off" and v["off"]) else v["on"]
    f1, f2, f3 = f
    if stress == 0 and base(ph) not in ("IY", "UW", "ER"):
        # reduced vowels drift toward schwa
        f1 = 0.75 * f1 + 0.25 * 500.0
        f2 = 0.75 * f2 + 0.25 * 1500.0
    b1, b2, b3 = v["bw"]
    return {"F1": f1, "F2": f2, "F3": f3, "F4": F4, "F5": F5, "B1": b1, "B2": b2, "B3": b3,
            "B4": B4, "B5": B5, "jaw": v["jaw"], "lip_ap": 0.25 + 0.7 * v["jaw"],
            "lip_round": v["rnd"], "lip_spread": v["spr"], "tongue_tip": 0.1}


def locus_f2(ph: str, f2_vowel: float) -> tuple[float, float]:
    """(F2, F3) at the consonant for a neighbouring vowel F2 (locus equations)."""
    slope, icpt, f3 = _LOCUS[PLACE.get(base(ph), "alv")]
    f2 = slope * f2_vowel + icpt
    if PLACE.get(base(ph)) == "vel":          # velar pinch: F3 just above F2
        f3 = max(f2 + 350.0, 2300.0)
    return f2, f3


def consonant_targets(ph: str, f2_vowel: float = 1500.0, transition: bool = False) -> dict:
    """Formant/articulator targets during a consonant, given the adjacent vowel's F2
    (``transition``: a nasal's oral transition at closure and release instead of its murmur)."""
    b = base(ph)
    c = CONSONANTS[b]
    kind, place = c["kind"], PLACE.get(b, "alv")
    out = {"F4": F4, "F5": F5, "B4": B4, "B5": B5}
    if "formants" in c and kind in ("nasal", "liquid", "glide"):
        f1, f2, f3 = c["formants"]
        if kind == "nasal":
            f2, f3 = locus_f2(b, f2_vowel)
            if not transition:
                f1 = NASAL_MURMUR_F1
        bw = c.get("bw", (60, 100, 150))
        out.update(F1=f1, F2=f2, F3=f3, B1=bw[0], B2=bw[1], B3=bw[2])
    elif kind != "aspirate":
        f2, f3 = locus_f2(b, f2_vowel)
        out.update(F1=250.0 if kind in ("stop", "affr") else 300.0, F2=f2, F3=f3,
                   B1=90.0, B2=110.0, B3=160.0)
    closed = {"lab": 0.0, "labdent": 0.15, "dent": 0.25, "alv": 0.3, "pal": 0.3, "vel": 0.35,
              "glot": 0.4}[place]
    out["lip_ap"] = 0.1 if b == "W" else closed
    out["jaw"] = 0.1 if place in ("lab", "labdent") else 0.2
    out["lip_round"] = 0.8 if b in ("W", "SH", "ZH", "CH", "JH", "R") else 0.0
    out["lip_spread"] = 0.3 if b in ("S", "Z", "Y") else 0.0
    out["tongue_tip"] = 1.0 if place in ("alv", "dent") else 0.2
    return out
