"""Syllabification of ARPAbet phone strings by maximal onset with English-legal onsets.

Each vowel is one syllable nucleus. Consonants between two vowels go to the following syllable
as long as they form a legal English onset (``S T R``, ``P L``, ``K W``...), the rest stay in the
coda of the preceding syllable. Consonants before the first vowel / after the last vowel belong
to the first / last syllable. A word without vowels becomes one (nucleus-less) syllable.
"""
from __future__ import annotations

from dataclasses import dataclass

from .g2p import is_vowel, strip_stress

__all__ = ["Syll", "syllabify", "LEGAL_ONSETS", "is_legal_onset"]

_SINGLE = "B CH D DH F G HH JH K L M N P R S SH T TH V W Y Z ZH".split()   # every consonant but NG
_CLUSTERS = """
P R, P L, B R, B L, T R, D R, K R, K L, G R, G L, F R, F L, TH R, SH R, V R,
T W, D W, K W, G W, S W, TH W,
P Y, B Y, K Y, G Y, F Y, HH Y, M Y, V Y, N Y,
S P, S T, S K, S M, S N, S L, S F,
S P R, S P L, S T R, S K R, S K W, S K L, S P Y, S K Y, S M Y
"""
LEGAL_ONSETS = frozenset({()} | {(c,) for c in _SINGLE} |
                         {tuple(x.split()) for x in _CLUSTERS.replace("\n", " ").split(",") if x.strip()})


def is_legal_onset(cons: tuple[str, ...]) -> bool:
    """True if the consonant sequence (no stress digits) can begin an English syllable."""
    return tuple(cons) in LEGAL_ONSETS


@dataclass(frozen=True)
class Syll:
    """One syllable: phone index range ``[start, stop)`` into the word's phone list, the nucleus
    index (-1 if none) and stress 0/1/2 (-1 if no vowel)."""

    start: int
    stop: int
    nucleus: int
    stress: int


def syllabify(phones) -> list[Syll]:
    """Split a word's ARPAbet phones (with stress digits) into syllables."""
    phones = list(phones)
    if not phones:
        return []
    nuclei = [k for k, p in enumerate(phones) if is_vowel(p)]
    if not nuclei:
        return [Syll(0, len(phones), -1, -1)]
    starts = [0]
    for a, b in zip(nuclei, nuclei[1:]):
        cons = [strip_stress(p) for p in phones[a + 1:b]]
        split = b          # default: empty onset (vowel hiatus)
        for k in range(len(cons) + 1):   # longest legal onset = smallest k
            if is_legal_onset(tuple(cons[k:])):
                split = a + 1 + k
                break
        starts.append(split)
    stops = starts[1:] + [len(phones)]
    out = []
    for s, e, n in zip(starts, stops, nuclei):
        d = phones[n][-1]
        out.append(Syll(s, e, n, int(d) if d.isdigit() else 0))
    return out
