"""Segment durations by the Klatt (1976) / MITalk rules.

Each phone has an inherent duration ``D_inh`` and a minimum ``D_min`` (ms). Context rules
multiply a factor ``K`` and the duration is ``D = K·(D_inh − D_min) + D_min`` (incompressibility),
then divided by the speaking-rate factor. Rules (numbers from Klatt 1976/1979, MITalk ch. 9):

1. phrase-final lengthening: vowel and coda consonants of the phrase-final syllable ×1.4;
2. non-phrase-final shortening: other vowels ×0.6;
3. non-word-final shortening: vowels not in the word-final syllable ×0.85;
4. polysyllabic shortening: vowels in words of 2+ syllables ×0.8;
5. non-word-initial consonant shortening ×0.85;
6. unstressed shortening: unstressed vowels ×0.5 with ``D_min`` halved, secondary-stressed ×0.7,
   consonants of unstressed syllables ×0.7; function words count as unstressed;
7. emphasis lengthening: vowel of an emphasized syllable ×1.4;
8. postvocalic context: a vowel before a voiceless stop ×0.7, voiced fricative ×1.6 (×1.2 open
   word-final), voiced stop ×1.2, nasal ×0.85, in every position (Klatt's rule; halving it
   outside phrase-final position left "tap"/"tab" at 1.12, below the 1.3–1.5 of natural
   speech); pre-fortis clipping also shortens the vowel's incompressible part (``D_min``
   ×:data:`PRE_FORTIS_CLIP`) before a voiceless stop, giving a voiced/voiceless ratio ≈ 1.35;
9. clusters: vowel after vowel ×0.7, before vowel ×1.2; consonant between consonants ×0.5,
   before or after a consonant ×0.7;
10. aspiration: a stressed vowel after a voiceless stop in the same syllable +25 ms.

Pauses at phrase breaks: :data:`PAUSE_MINOR_S` / :data:`PAUSE_MAJOR_S` divided by the rate.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Seg", "INHERENT_MS", "segment_durations", "pause_duration", "PAUSE_MINOR_S",
           "PAUSE_MAJOR_S", "RATE_CALIBRATION"]

# (D_inh, D_min) in ms.  /æ/, /ɪ/, /p/, /b/ as quoted in the project facts file (§1.9); the rest
# from Klatt's (1979) table, except the affricates: closure + frication (a /t/-like closure and
# a short /ʃ/), since the voice renders both inside the one phone.
INHERENT_MS: dict[str, tuple[float, float]] = {
    "AA": (240, 100), "AE": (240, 105), "AH": (140, 60), "AO": (240, 100), "AW": (260, 100),
    "AY": (250, 150), "EH": (150, 70), "ER": (180, 80), "EY": (180, 100), "IH": (160, 65),
    "IY": (155, 55), "OW": (220, 80), "OY": (280, 150), "UH": (160, 60), "UW": (210, 70),
    "B": (100, 60), "CH": (140, 90), "D": (75, 50), "DH": (50, 30), "F": (100, 80), "G": (80, 60),
    "HH": (80, 20), "JH": (120, 75), "K": (80, 60), "L": (80, 40), "M": (70, 60), "N": (60, 50),
    "NG": (95, 60), "P": (100, 60), "R": (80, 30), "S": (105, 60), "SH": (105, 80), "T": (75, 50),
    "TH": (90, 60), "V": (60, 40), "W": (80, 60), "Y": (80, 40), "Z": (75, 40), "ZH": (70, 40),
}
PRE_FORTIS_CLIP = 0.85
PAUSE_MINOR_S = 0.20
PAUSE_MAJOR_S = 0.40
# The rules alone give ~215 words/min on the Harvard dev sentences at rate 1.0; this factor
# slows them to ~185 words/min (sentences ≈ 2.5 s), the middle of the 150–200 wpm target.
RATE_CALIBRATION = 0.87

_VOWELS = {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"}
_VL_STOP = {"P", "T", "K", "CH"}
_VL_FRIC = {"F", "TH", "S", "SH", "HH"}
_V_STOP = {"B", "D", "G", "JH"}
_V_FRIC = {"V", "DH", "Z", "ZH"}
_NASAL = {"M", "N", "NG"}


@dataclass(frozen=True)
class Seg:
    """Context of one phone for the duration rules (built by the planner).

    ``stress`` is the stress of the phone's syllable (0/1/2); ``coda``: consonant after the
    nucleus of its syllable; ``prev``/``next``: neighbouring phones in the same phrase ("" at edges).
    """

    ph: str
    stress: int
    vowel: bool
    word_initial: bool = False
    word_final_syl: bool = False
    phrase_final_syl: bool = False
    word_syllables: int = 1
    coda: bool = False
    function_word: bool = False
    emphasis: bool = False
    prev: str = ""
    next: str = ""
    next_in_word: bool = False
    onset_after_voiceless_stop: bool = False


def _post_vocalic(nxt: str, next_in_word: bool, word_final_syl: bool) -> float:
    if not nxt or not next_in_word:
        return 1.2 if word_final_syl else 1.0       # open syllable
    if nxt in _VL_STOP:
        return 0.7
    if nxt in _VL_FRIC:
        return 0.85
    if nxt in _V_FRIC:
        return 1.6
    if nxt in _V_STOP:
        return 1.2
    if nxt in _NASAL:
        return 0.85
    return 1.0


def _duration_ms(s: Seg) -> float:
    inh, dmin = INHERENT_MS.get(s.ph, (80.0, 40.0))
    k = 1.0
    stress = 0 if s.function_word else s.stress
    if s.vowel:
        k *= 1.4 if s.phrase_final_syl else 0.6
        if not s.word_final_syl:
            k *= 0.85
        if s.word_syllables >= 2:
            k *= 0.8
        if stress == 0:
            k *= 0.5
            dmin *= 0.5
        elif stress == 2:
            k *= 0.7
        if s.emphasis and stress == 1:
            k *= 1.4
        pv = _post_vocalic(s.next, s.next_in_word, s.word_final_syl)
        k *= pv
        if s.next in _VL_STOP and s.next_in_word:
            dmin *= PRE_FORTIS_CLIP
        if s.prev in _VOWELS:
            k *= 0.7
        if s.next in _VOWELS:
            k *= 1.2
    else:
        if s.phrase_final_syl and s.coda:
            k *= 1.4
        if not s.word_initial:
            k *= 0.85
        if stress == 0:
            k *= 0.7
        pc = s.prev not in _VOWELS and s.prev != ""
        nc = s.next not in _VOWELS and s.next != ""
        if pc and nc:
            k *= 0.5
        elif pc or nc:
            k *= 0.7
    d = k * (inh - dmin) + dmin
    if s.vowel and stress >= 1 and s.onset_after_voiceless_stop:
        d += 25.0
    return d


def segment_durations(segs, rate: float = 1.0) -> list[float]:
    """Durations in seconds of each :class:`Seg` at speaking-rate factor ``rate`` (>0; 2 = twice as fast)."""
    if rate <= 0:
        raise ValueError(f"segment_durations: rate must be > 0, got {rate}")
    scale = 1.0 / (rate * RATE_CALIBRATION * 1000.0)
    return [_duration_ms(s) * scale for s in segs]


def pause_duration(level: int, rate: float = 1.0) -> float:
    """Silence at a phrase break: level 1 (minor) or 2 (major), in seconds, scaled by 1/rate."""
    base = PAUSE_MAJOR_S if level >= 2 else PAUSE_MINOR_S
    return base / max(rate, 1e-6)
