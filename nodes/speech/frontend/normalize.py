"""Text normalization: raw text → a list of speakable word tokens and phrase-break tokens.

Handles numbers (cardinals, ordinals, decimals, negatives, years, currency, percent, times,
dates, phone numbers, versions), abbreviations, symbols, URLs and e-mail addresses, accents
(folded to ASCII), and drops emoji and other unspeakable characters (reported in ``messages``).

Punctuation becomes break tokens: ``, ; : — ( )`` a minor break (level 1), ``. ! ?`` a major
break (level 2) that records the sentence type: ``statement``, ``yn-question``,
``wh-question`` or ``exclamation``.

Unusable input: :func:`normalize` never raises; it returns no words and a message.
:func:`psigraph.nodes.speech.frontend.plan.plan_utterance` raises :class:`UnspeakableTextError`
when there is nothing to say (e.g. ``psigraph say ""``, ``"!!!"``, or only emoji).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from psigraph.errors import PsigraphError

from .language import language_warning, skipped_warning
from .numwords import cardinal, cardinal_str, decimal, digits, ordinal, ordinal_str, year

__all__ = ["Token", "Normalized", "normalize", "text_warnings", "UnspeakableTextError",
           "STATEMENT", "YN_QUESTION", "WH_QUESTION", "EXCLAMATION", "SPELL", "EMPH"]

STATEMENT, YN_QUESTION, WH_QUESTION, EXCLAMATION = "statement", "yn-question", "wh-question", "exclamation"
SPELL = "\ue000"   # private-use marker: the next letter is spoken as a letter name
EMPH = "\ue001"    # private-use marker: the next word is emphasized
_WH = {"what", "who", "whom", "whose", "which", "when", "where", "why", "how"}


class UnspeakableTextError(PsigraphError):
    """The text has no speakable words (empty, only punctuation, only emoji or unknown script)."""


@dataclass(frozen=True)
class Token:
    """One normalized token. ``kind`` is ``"word"`` or ``"break"``.

    Words: ``text`` is the spelling (ASCII letters, ``'`` and ``-``; original case kept),
    ``spell`` means "say it letter by letter". Breaks: ``text`` is the punctuation,
    ``level`` 1 (minor) or 2 (major), ``sentence_type`` set on major breaks.
    ``emphasis``: the word was marked with Markdown ``*...*`` / ``**...**``.
    """

    kind: str
    text: str
    spell: bool = False
    level: int = 0
    sentence_type: str = ""
    emphasis: bool = False      # marked *like this* or **like this** in the source

    @property
    def is_break(self) -> bool:
        return self.kind == "break"


@dataclass
class Normalized:
    """Result of :func:`normalize`: tokens, per-sentence types, dropped characters, messages and
    warnings.

    ``skipped``: stretches of text in other scripts that were dropped (``['世界']``).
    ``warnings``: one-line messages for the user (psigraph speaks English): skipped text in other
    scripts, Latin-script text that looks like another language (see :mod:`.language`).
    ``messages``: informational notes (every dropped character, words read by rule, ...).
    """

    text: str
    tokens: list[Token] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def words(self) -> list[Token]:
        return [t for t in self.tokens if t.kind == "word"]

    @property
    def sentence_types(self) -> list[str]:
        return [t.sentence_type for t in self.tokens if t.kind == "break" and t.level == 2]


# ----------------------------------------------------------------------------- characters
_CHAR_MAP = {
    "\u2018": "'", "\u2019": "'", "\u02bc": "'", "`": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2013": " - ", "\u2014": " , ", "\u2015": " , ", "\u2026": " , ", "\u2212": "-",
    "\u00bd": " one half ", "\u00bc": " one quarter ", "\u00be": " three quarters ",
    "\u00b0": " degrees ", "\u00d7": " times ", "\u00f7": " divided by ", "\u00b1": " plus or minus ",
    "\u00a7": " section ", "\u00a9": " copyright ", "\u00ae": "", "\u2122": "",
    "\u20ac": "€", "\u00a3": "£", "\u00a5": "¥", "\u00a2": " cents ",
    "\u00df": "ss", "\u00e6": "ae", "\u00c6": "AE", "\u0153": "oe", "\u0152": "OE",
    "\u00f8": "o", "\u00d8": "O", "\u0142": "l", "\u0141": "L", "\u00f0": "d", "\u00fe": "th",
    "\u00bf": " ", "\u00a1": " ", "\u00b2": " squared ", "\u00b3": " cubed ",
    "\u2192": " to ", "\u2264": " at most ", "\u2265": " at least ", "\u2248": " about ",
    "\u2260": " not equal to ", "\u00b7": " ", "\u2022": " , ", "\u00b5": " micro",
}
_GREEK = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho "
          "sigma sigma tau upsilon phi chi psi omega").split()
for _k, _name in enumerate(_GREEK):   # α..ω and Α..Ω (U+03C2 is final sigma)
    _CHAR_MAP[chr(0x03B1 + _k)] = f" {_name} "
    if _k != 17:
        _CHAR_MAP[chr(0x0391 + _k)] = f" {_name} "
_CHAR_MAP["\u03bc"] = " mu "
_KEEP_ASCII = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                  " .,;:!?'\"()[]{}-/&%+@#$=<>~*_\\|^")
_SILENT = {"\u200d", "\u200c", "\u200b", "\ufeff", "\u00ad"}   # joiners, soft hyphen


_GREEK_WORD = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff][\u0370-\u03ff\u1f00-\u1fff\u0300-\u036f]*"
                         r"[\u0370-\u03ff\u1f00-\u1fff]")


def _is_script_char(ch: str) -> bool:
    """A letter or number of a writing system (not an emoji, symbol or control character)."""
    return unicodedata.category(ch)[0] in "LN"


def _fold_chars(text: str, dropped: list[str], skipped: list[str] | None = None) -> str:
    """Map every character to ASCII (or the money signs €£¥), dropping what cannot be said.

    ``dropped`` collects every dropped character; ``skipped`` (if given) the dropped stretches of
    text in other scripts (``'世界'``, ``'Привет'``), neighbours separated by blanks merged.
    Single Greek letters are read by name (α → alpha); Greek words (two or more letters) are
    text in another script and skipped.
    """
    text = unicodedata.normalize("NFC", text)
    greek = bytearray(len(text)) if re.search("[\u0370-\u03ff\u1f00-\u1fff]", text) else None
    if greek is not None:
        for m in _GREEK_WORD.finditer(text):
            greek[m.start():m.end()] = b"\x01" * (m.end() - m.start())
    out: list[str] = []
    run: list[str] = []            # the current stretch of skipped script text
    gap = False                    # blanks seen after it (merged if more skipped text follows)

    def close():
        nonlocal gap
        if run and skipped is not None:
            skipped.append("".join(run))
        run.clear()
        gap = False

    for i, ch in enumerate(text):
        if greek is not None and greek[i]:
            dropped.append(ch)
            out.append(" ")
            if gap and run:
                run.append(" ")
            run.append(ch)
            gap = False
        elif ch in _KEEP_ASCII or ch in "€£¥":
            if ch == " " and run:
                gap = True
            else:
                close()
            out.append(ch)
        elif ch in _CHAR_MAP:
            close()
            out.append(_CHAR_MAP[ch])
        elif ch in "\n\r\t\v\f" or unicodedata.category(ch).startswith("Z"):
            if run:
                gap = True
            out.append("\n" if ch == "\n" else " ")
        elif ch in _SILENT or unicodedata.category(ch) in ("Mn", "Me", "Cf") \
                or 0xFE00 <= ord(ch) <= 0xFE0F or 0x1F3FB <= ord(ch) <= 0x1F3FF:
            if run and not gap and unicodedata.category(ch) in ("Mn", "Me"):
                run.append(ch)     # a vowel sign or accent of the skipped text: show it with it
            continue   # combining marks, variation selectors, skin tones: part of a dropped glyph
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            if base and all(c in _KEEP_ASCII for c in base):
                close()
                out.append(base)
            elif unicodedata.category(ch) == "Nd":
                close()
                out.append(str(unicodedata.digit(ch)))
            else:
                dropped.append(ch)
                out.append(" ")
                if _is_script_char(ch) or (run and not gap and unicodedata.category(ch) == "Mc"):
                    if gap and run:
                        run.append(" ")
                    run.append(ch)
                    gap = False
                else:
                    close()
    close()
    return "".join(out)


# ----------------------------------------------------------------------------- rewriting helpers
def _spell(s: str) -> str:
    """Letters of ``s`` as spelled-letter markers, digits as words."""
    parts = []
    for c in s:
        if c.isalpha():
            parts.append(SPELL + c.lower())
        elif c.isdigit():
            parts.append(digits(c))
    return " ".join(parts)


def _say_chunk(s: str) -> str:
    """A URL / e-mail chunk: pronounceable alphabetic runs as words, others spelled."""
    out = []
    for run in re.findall(r"[A-Za-z]+|\d+", s):
        if run.isdigit():
            out.append(cardinal(int(run)) if len(run) <= 4 and not run.startswith("0") else digits(run))
        elif len(run) >= 3 and re.search(r"[aeiouy]", run, re.I) and not re.search(r"[^aeiouy]{4}", run, re.I):
            out.append(run.lower())
        else:
            out.append(_spell(run))
    return " ".join(out)


_URL_SEP = {".": "dot", "/": "slash", "-": "dash", "_": "underscore", "@": "at", ":": "colon",
            "?": "question mark", "=": "equals", "&": "and", "#": "hash", "~": "tilde", "+": "plus"}


def _say_address(s: str) -> str:
    pieces = re.split(r"([./\-_@:?=&#~+])", s)
    out = []
    for p in pieces:
        if not p:
            continue
        if p in _URL_SEP:
            out.append(_URL_SEP[p])
        else:
            out.append(_say_chunk(p))
    return " " + " ".join(o for o in out if o) + " "


def _url(m: re.Match) -> str:
    s = m.group(0)
    s = re.sub(r"^https?://", "", s, flags=re.I)
    if s.lower().startswith("www."):
        s = s[4:]
        return " " + _spell("www") + " dot" + _say_address(s)
    return _say_address(s.rstrip("/"))


_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]
_MONTH_RE = (r"(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
             r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")


def _month(name_or_num) -> str | None:
    if isinstance(name_or_num, int):
        return _MONTHS[name_or_num - 1] if 1 <= name_or_num <= 12 else None
    for m in _MONTHS:
        if m.lower().startswith(name_or_num.lower()[:3]):
            return m
    return None


def _date(mo: int, d: int, y: str | None) -> str | None:
    name = _month(mo)
    if name is None or not 1 <= d <= 31:
        return None
    out = f" {name} {ordinal(d)}"
    if y:
        yi = int(y)
        if len(y) == 2:
            yi += 2000 if yi < 50 else 1900
        out += f" , {year(yi)}"
    return out + " "


def _time(h: int, mi: int, ampm: str | None) -> str | None:
    if h > 24 or mi > 59:
        return None
    if mi == 0:
        s = cardinal(h) + ("" if ampm else " o'clock")
    elif mi < 10:
        s = f"{cardinal(h)} oh {cardinal(mi)}"
    else:
        s = f"{cardinal(h)} {cardinal(mi)}"
    if ampm:
        s += " " + _spell(ampm[0] + "m")
    return f" {s} "


_CURRENCY = {"$": ("dollar", "dollars", "cent", "cents"), "€": ("euro", "euros", "cent", "cents"),
             "£": ("pound", "pounds", "penny", "pence"), "¥": ("yen", "yen", "", "")}
_SCALE_WORDS = {"k": "thousand", "thousand": "thousand", "m": "million", "mn": "million",
                "million": "million", "b": "billion", "bn": "billion", "billion": "billion",
                "t": "trillion", "trillion": "trillion"}


def _money(m: re.Match) -> str:
    sym, amount, scale = m.group(1), m.group(2), m.group(3)
    one, many, cent1, cents = _CURRENCY[sym]
    amount = amount.replace(",", "")
    if scale:
        return f" {decimal(amount)} {_SCALE_WORDS[scale.lower()]} {many} "
    whole, _, frac = amount.partition(".")
    whole = whole or "0"
    w_one, w_zero = whole.lstrip("0") == "1", whole.strip("0") == ""
    parts = []
    if not w_zero or not frac:
        parts.append(f"{cardinal_str(whole)} {one if w_one else many}")
    if frac and cent1:
        c = int((frac + "0")[:2])
        if c:
            parts.append(f"{cardinal(c)} {cent1 if c == 1 else cents}")
    elif frac:
        parts = [f"{decimal(amount)} {many}"]
    return " " + " and ".join(parts) + " "


_UNITS = {"km": ("kilometer", "kilometers"), "kg": ("kilogram", "kilograms"), "g": ("gram", "grams"),
          "cm": ("centimeter", "centimeters"), "mm": ("millimeter", "millimeters"), "m": ("meter", "meters"),
          "ms": ("millisecond", "milliseconds"), "s": ("second", "seconds"), "mph": ("mile per hour", "miles per hour"),
          "kph": ("kilometer per hour", "kilometers per hour"), "hz": ("hertz", "hertz"),
          "khz": ("kilohertz", "kilohertz"), "mhz": ("megahertz", "megahertz"), "ghz": ("gigahertz", "gigahertz"),
          "kb": ("kilobyte", "kilobytes"), "mb": ("megabyte", "megabytes"), "gb": ("gigabyte", "gigabytes"),
          "tb": ("terabyte", "terabytes"), "lb": ("pound", "pounds"), "lbs": ("pound", "pounds"),
          "oz": ("ounce", "ounces"), "ft": ("foot", "feet"), "db": ("decibel", "decibels"),
          "kw": ("kilowatt", "kilowatts"), "v": ("volt", "volts"), "w": ("watt", "watts")}

_ABBREV = {  # case-sensitive, with the trailing period
    "Mr.": "mister", "Mrs.": "missus", "Ms.": "miz", "Prof.": "professor", "Jr.": "junior",
    "Sr.": "senior", "Mt.": "mount", "Ave.": "avenue", "Blvd.": "boulevard", "Rd.": "road",
    "Inc.": "incorporated", "Ltd.": "limited", "Corp.": "corporation", "Co.": "company",
    "Dept.": "department", "Gov.": "governor", "Sen.": "senator", "Rep.": "representative",
    "Gen.": "general", "Capt.": "captain", "Lt.": "lieutenant", "Sgt.": "sergeant",
    "approx.": "approximately",
    "etc.": "et cetera", "vs.": "versus", "Vs.": "versus", "e.g.": "for example",
    "i.e.": "that is", "E.g.": "for example", "I.e.": "that is", "cf.": "compare", "fig.": "figure",
    "Fig.": "figure", "min.": "minutes", "max.": "maximum", "est.": "established",
}
_TITLE_LIKE = {"Mr.", "Mrs.", "Ms.", "Prof.", "Mt.", "Gov.", "Sen.", "Rep.", "Gen.", "Capt.",
               "Lt.", "Sgt.", "e.g.",
               "i.e.", "E.g.", "I.e.", "cf.", "fig.", "Fig.", "vs.", "Vs.", "approx."}


# Context tests look at a bounded window next to a match (``pattern.match(text, pos)`` /
# ``search(text, pos, endpos)``), never at a slice of the rest of the text: slicing per match made
# normalisation quadratic in the text length (found by fuzzing: 12,000 × "Dr. " took minutes).
_CTX = 80
_NEXT_CAP = re.compile(r"\s+[A-Z]")
_AT_END = re.compile(r"\s*[\"')\]]*\s*$")
_END_OR_CAP = re.compile(r"\s*$|\s+[A-Z]")
_PREV_CAP_WORD = re.compile(r"\b[A-Z][a-z]+\s+$")
_PREV_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+)[A-Z][a-z]+\s+$")
_NUM_TAIL = re.compile(r"[\d.,]+$")
_NUM_NEXT = re.compile(r"\s*\d")


def _abbrev(m: re.Match, text: str) -> str:
    ab = m.group(0)
    w0 = max(0, m.start() - _CTX)
    next_cap = _NEXT_CAP.match(text, m.end()) is not None
    at_end = _AT_END.match(text, m.end()) is not None
    prev_cap = _PREV_CAP_WORD.search(text, w0, m.start()) is not None and \
        _PREV_SENTENCE_START.search(text, w0, m.start()) is None   # "Main St." (not sentence-initial)
    if ab in ("Dr.", "St."):
        if next_cap and not (ab == "St." and prev_cap):
            word = "doctor" if ab == "Dr." else "saint"
            return f" {word} "
        word = "drive" if ab == "Dr." else "street"
    elif ab == "No." or ab == "no.":
        if _NUM_NEXT.match(text, m.end()):
            return " number "
        return m.group(0)   # the word "no" ending a sentence
    else:
        word = _ABBREV[ab]
        if ab in _TITLE_LIKE:
            return f" {word} "
    # abbreviations that can end a sentence keep the period when they do
    return f" {word}. " if (at_end or next_cap) else f" {word} "


def _number(m: re.Match) -> str:
    sign, whole, frac, suffix = m.group(1) or "", m.group(2), m.group(3) or "", m.group(4) or ""
    plain = whole.replace(",", "")
    if not frac and not sign and "," not in whole and len(plain) <= 15:
        if len(plain) > 1 and plain.startswith("0"):
            return f" {digits(plain)} "
        n = int(plain)
        if len(plain) == 4 and (1100 <= n <= 1999 or 2010 <= n <= 2099):
            words = year(n)
            if suffix == "s":                   # 1990s -> nineteen nineties
                return " " + _plural_number(words) + " "
            return f" {words} "
        if suffix == "s":
            return " " + _plural_number(cardinal(n)) + " "
    if len(plain) > 15:
        return f" {digits(plain)} "
    words = decimal(("-" if sign else "") + plain + frac)
    if suffix == "s":
        words = _plural_number(words)
    return f" {words} "


def _plural_number(words: str) -> str:
    if words.endswith("y"):
        return words[:-1] + "ies"
    if words.endswith("x"):
        return words + "es"
    return words + "s"


# ordered list of (pattern, replacement); replacement may be a function of (match, text)
def _rules():
    R = []

    def add(pat, rep, flags=0):
        R.append((re.compile(pat, flags), rep))

    add(r"</?[A-Za-z][^<>]*>", lambda m, t: " ")                     # HTML/XML tags
    add(r"(?<=\d)\s*[*×]\s*(?=\d)", lambda m, t: " times ")
    add(r"\[([^\]\n]{1,300})\]\([^)\s]{1,2000}\)", lambda m, t: m.group(1))   # Markdown link: its text
    add(r"(\*\*?)(?=[^\s*])([^*\n]+?)(?<=[^\s*])\1",                       # Markdown *emphasis*
        lambda m, t: re.sub(r"(?<![A-Za-z'])(?=[A-Za-z])", EMPH, m.group(2)))
    add(r"(?<=\d)\s*micro\s?s\b", lambda m, t: " microseconds ")
    add(r"(?<=\d)\.\.\.?(?=-?\d)", lambda m, t: " to ")
    add(r"\bdegrees\s+C\b", lambda m, t: "degrees celsius")
    add(r"\bdegrees\s+F\b", lambda m, t: "degrees fahrenheit")
    add(r"\b(?:https?://|www\.)[^\s\"'<>]+[^\s\"'<>.,;:!?)\]]", lambda m, t: _url(m), re.I)
    add(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]+(?:\.[\w-]+)+\b", lambda m, t: _say_address(m.group(0)))
    add(r"(?<![\d-])\(?(\d{3})\)?[-. ](\d{3})-(\d{4})\b",
        lambda m, t: f" {digits(m.group(1))} , {digits(m.group(2))} , {digits(m.group(3))} ")
    add(r"(?<![\d-])\b(\d{3})-(\d{4})\b", lambda m, t: f" {digits(m.group(1))} , {digits(m.group(2))} ")
    add(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b",
        lambda m, t: _date(int(m.group(2)), int(m.group(3)), m.group(1)) or m.group(0).replace("-", " "))
    add(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b",
        lambda m, t: _date(int(m.group(1)), int(m.group(2)), m.group(3)) or m.group(0).replace("/", " "))
    add(r"\b(\d{1,2}):(\d{2})(?::\d{2})?(?:\s?([aApP])\.?\s?[mM]\b\.?)?",
        lambda m, t: _keep_period(m, t, _time(int(m.group(1)), int(m.group(2)), m.group(3))
                                  or m.group(0).replace(":", " ")))
    add(r"\b(\d{1,2})\s?([aApP])\.?\s?[mM]\b\.?",
        lambda m, t: _keep_period(m, t, _time(int(m.group(1)), 0, m.group(2)))
        if int(m.group(1)) <= 12 else m.group(0))
    add(r"\b" + _MONTH_RE + r"\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(\d{4})\b)?",
        lambda m, t: _date(_MONTHS.index(_month(m.group(1))) + 1, int(m.group(2)), m.group(3)) or m.group(0))
    add(r"\b(\d+)\s?[-]\s?(\d+)\b(?!\.\d)", lambda m, t: f" {m.group(1)} to {m.group(2)} ")
    add(r"#(?=\s*\d)", lambda m, t: " number ")
    add(r"(?<![\w.])No\.(?=\s*\d)", lambda m, t: " number ")     # before the digits become words
    add(r"~(?=\s*\d)", lambda m, t: " about ")
    add(r"\b(\d{4}|\d{1,3}0)s\b", lambda m, t: _number(re.match(r"()(\d+)()(s)", m.group(0))))
    add(r"([$€£¥])\s?(\d[\d,]*(?:\.\d+)?)(?:\s?(thousand|million|billion|trillion|bn|mn|[kmbt])\b)?",
        lambda m, t: _money(m), re.I)
    add(r"(?<![\d,.])((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s?%", lambda m, t: f" {decimal(m.group(1))} percent ")
    add(r"\b(\d{1,3}(?:,\d{3})+|\d+)(?:st|nd|rd|th)\b", lambda m, t: f" {ordinal_str(m.group(1).replace(',', ''))} ",
        re.I)
    add(r"\b[vV](\d+(?:\.\d+)*)\b",
        lambda m, t: " version " + " point ".join(cardinal_str(p) if len(p) < 2 or not p.startswith("0")
                                                  else digits(p) for p in m.group(1).split(".")) + " ")
    add(r"\b(\d+(?:\.\d+){2,})\b",
        lambda m, t: " " + " point ".join(cardinal_str(p) for p in m.group(1).split(".")) + " ")
    add(r"'(\d\d)s\b", lambda m, t: " " + _plural_number(cardinal(int(m.group(1)))) + " ")
    add(r"\b(\d{1,3})/(\d{1,3})\b", lambda m, t: _fraction(int(m.group(1)), int(m.group(2))))
    add(r"(\d)\s?(km|kg|cm|mm|ms|mph|kph|[kKMG]?Hz|[kKMGT]B|lbs?|oz|ft|dB|kW)\b",
        lambda m, t: m.group(1) + " " + _unit(m, t))
    add(r"([A-Za-z])(\d)", lambda m, t: f"{m.group(1)} {m.group(2)}")
    add(r"(\d)([A-Za-z])", lambda m, t: f"{m.group(1)} {m.group(2)}")
    add(r"(?<![\w.])(-)?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(s)?\b(?!\.\d)", lambda m, t: _number(m))
    add(r"\b(?:e\.g|i\.e|E\.g|I\.e)\.", lambda m, t: f" , {_ABBREV[m.group(0)]} , ")
    add(r"\d+", lambda m, t: f" {cardinal_str(m.group(0))} ")
    add(r"(?:\b[A-Za-z]\.){2,12}(?![A-Za-z])", lambda m, t: _dotted(m, t))
    add(r"(?<![\w.])(?:Dr|St|No|no|" + "|".join(re.escape(a[:-1]) for a in _ABBREV if a not in
                                              ("e.g.", "i.e.", "E.g.", "I.e.")) + r")\.",
        lambda m, t: _abbrev(m, t))
    add(r"\bw/(?=\s)", lambda m, t: " with ")
    add(r"\band/or\b", lambda m, t: " and or ")
    add(r"&", lambda m, t: " and ")
    add(r"\+", lambda m, t: " plus ")
    add(r"(?<=\s)=(?=\s)|=", lambda m, t: " equals ")
    add(r"@", lambda m, t: " at ")
    add(r"#(?=\s*\d)", lambda m, t: " number ")
    add(r"#(?=[A-Za-z])", lambda m, t: " hashtag ")
    add(r"%", lambda m, t: " percent ")
    add(r"~(?=\s*\d)", lambda m, t: " about ")
    add(r"(?<=\s)<(?=\s)", lambda m, t: " less than ")
    add(r"(?<=\s)>(?=\s)", lambda m, t: " greater than ")
    add(r"(?<=[A-Za-z])/(?=[A-Za-z])", lambda m, t: " slash ")
    add(r"\$", lambda m, t: " dollars ")
    add(r"€", lambda m, t: " euros ")
    add(r"£", lambda m, t: " pounds ")
    add(r"¥", lambda m, t: " yen ")
    add(r"\s+-+\s+|--+|\s-(?=[A-Za-z])|(?<=[A-Za-z])-\s", lambda m, t: " , ")
    return R


def _keep_period(m: re.Match, t: str, spoken: str) -> str:
    """If the match swallowed a sentence-final period ("5 p.m."), give it back."""
    if m.group(0).endswith(".") and _END_OR_CAP.match(t, m.end()):
        return spoken + " . "
    return spoken


def _fraction(a: int, b: int) -> str:
    if b == 0:
        return f" {cardinal(a)} slash zero "
    special = {(1, 2): "one half", (1, 4): "one quarter", (3, 4): "three quarters"}
    if (a, b) in special:
        return f" {special[(a, b)]} "
    if b <= 10 and b > 2:
        den = ordinal(b) + ("s" if a != 1 else "")
        return f" {cardinal(a)} {den} "
    return f" {cardinal(a)} over {cardinal(b)} "


def _unit(m: re.Match, t: str) -> str:
    u = m.group(2)
    one, many = _UNITS.get(u.lower(), (u, u))
    start = m.start(1)
    num = _NUM_TAIL.search(t, max(0, start - _CTX), start + 1)
    singular = num is not None and num.group(0) == "1" and (num.start() == 0 or not t[num.start() - 1].isdigit())
    return (one if singular else many) + " "


def _dotted(m: re.Match, t: str) -> str:
    """U.S. / a.m. / U.K. → spelled letters; keep a sentence-final period."""
    s = m.group(0)
    letters = _spell(s.replace(".", ""))
    if _END_OR_CAP.match(t, m.end()):
        return f" {letters}. "
    return f" {letters} "


_RULES = None


def _apply_rules(text: str) -> str:
    global _RULES
    if _RULES is None:
        _RULES = _rules()
    for pat, rep in _RULES:
        text = pat.sub(lambda m: rep(m, text), text) if pat.search(text) else text
    return text


# ----------------------------------------------------------------------------- tokenizing
_TOKEN_RE = re.compile(SPELL + r"[a-z]|" + EMPH + r"?[A-Za-z]+(?:'[A-Za-z]+)*(?:-[A-Za-z]+(?:'[A-Za-z]+)*)*"
                       r"|[.!?]+|[,;:()\[\]{}|\n]|\S")
_MAJOR = set(".!?")
_MINOR = set(",;:()[]{}|")


def _sentence_type(punct: str, first_word: str) -> str:
    if "?" in punct:
        return WH_QUESTION if first_word.lower() in _WH else YN_QUESTION
    if "!" in punct:
        return EXCLAMATION
    return STATEMENT


def normalize(text: str, *, report: bool = True) -> Normalized:
    """Normalize ``text`` into word and break tokens (see the module docstring).

    ``report``: add a message listing dropped characters (emoji, unknown scripts, stray symbols)
    and the warnings about text psigraph cannot read (other scripts, other languages).
    Never raises for any string; empty/unspeakable input gives no word tokens and a message.
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize: expected str, got {type(text).__name__}")
    res = Normalized(text=text)
    dropped: list[str] = []
    s = _fold_chars(text, dropped, res.skipped)
    s = re.sub(r"[^\S\n]+", " ", s)               # runs of blanks → one space (keeps newlines)
    s = re.sub(r"\n\s*\n+", " . ", s)          # blank line = paragraph = sentence end
    s = re.sub(r"\n[ \t]*(?:[-*+]|\d{1,2}[.)])[ \t]+", " . ", s)   # list items start sentences
    s = s.replace("\n", " ")
    s = _apply_rules(" " + s + " ")
    tokens: list[Token] = []
    sentence_first = ""
    for raw in _TOKEN_RE.findall(s):
        if raw.startswith(SPELL):
            tokens.append(Token("word", raw[1:], spell=True))
        elif raw[0].isalpha() or raw[0] == EMPH:
            word = raw.lstrip(EMPH).strip("'-")
            if word:
                tokens.append(Token("word", word, emphasis=raw[0] == EMPH))
        elif raw[0] in _MAJOR:
            ellipsis = len(raw) >= 2 and set(raw) == {"."}
            tokens.append(Token("break", raw, level=1 if ellipsis else 2))
        elif raw[0] in _MINOR:
            tokens.append(Token("break", raw, level=1))
        elif raw in ("'", '"', "*", "_", "^", "\\", "-", "<", ">", "~", "/", "#", "`", "="):
            continue   # quotes and markup: silent
        else:
            dropped.append(raw)
    # merge runs of breaks, drop leading ones, type the sentences, end with a major break
    merged: list[Token] = []
    for tok in tokens:
        if tok.kind == "break":
            if not merged:
                continue
            if merged[-1].kind == "break":
                prev = merged.pop()
                punct = prev.text + tok.text if tok.level == prev.level == 2 else (
                    tok.text if tok.level >= prev.level else prev.text)
                tok = Token("break", punct, level=max(prev.level, tok.level))
        merged.append(tok)
    if merged and merged[-1].kind == "word":
        merged.append(Token("break", ".", level=2))
    elif merged and merged[-1].level == 1:
        last = merged.pop()
        merged.append(Token("break", last.text, level=2))
    out: list[Token] = []
    for tok in merged:
        if tok.kind == "word" and (not out or out[-1].kind == "break" and out[-1].level == 2):
            sentence_first = tok.text
        if tok.kind == "break" and tok.level == 2:
            tok = Token("break", tok.text, level=2, sentence_type=_sentence_type(tok.text, sentence_first))
        out.append(tok)
    res.tokens = out
    res.dropped = dropped
    if dropped and report:
        shown = "".join(dict.fromkeys(dropped))[:20]
        res.messages.append(f"dropped {len(dropped)} unspeakable character{'s' if len(dropped) > 1 else ''}: "
                            f"{shown!r}")
    if report:
        res.warnings = [w for w in (skipped_warning(res.skipped), language_warning(text)) if w]
    if not res.words:
        res.messages.append("no speakable words in the text" + (f" {text[:40]!r}" if text.strip() else " (empty)"))
    return res


def text_warnings(text: str) -> list[str]:
    """The warnings a user should see before ``text`` is spoken, one line each (empty for plain
    English): text in other scripts that will be skipped, Latin-script text that looks like
    another language (read with English rules). Never raises for a string; see :mod:`.language`.

    >>> text_warnings("Hello 世界")
    ["skipped 2 Chinese characters it cannot read: '世界' (psigraph speaks English)"]
    """
    return normalize(text).warnings
