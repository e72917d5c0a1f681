"""Is this English? Cheap checks behind the front-end's warnings (psigraph speaks English only).

Two kinds of text cannot be read properly and are reported as one-line warnings:

1. **Other scripts** (CJK, Cyrillic, Arabic, Hebrew, Devanagari, Greek words, ...): the
   normaliser skips these characters; :func:`skipped_warning` names them and their script.
2. **Latin-script text in another language** (French, German, Spanish, ...): it would be read
   with English rules. :func:`language_warning` looks at each word of the raw text (before
   accents are folded) and counts two kinds of evidence:

   - *foreign function words*: the most frequent function words of French, German, Spanish,
     Italian, Portuguese and Dutch (the classic stop-word language identifier). Words that are
     also English function words (``a``, ``in``, ``so``, ``was``, ...) count for neither side, and
     words that are common English words (``son``, ``car``, ``die``, ``hat``, ...) are left out
     of the lists;
   - *foreign spellings*: a word with letters English does not use (é, ü, ñ, ç, ...) whose
     accent-folded form is not an English word of the shipped CMU lexicon (or a regular
     inflection of one). Loanwords like café, naïve, résumé fold to lexicon words and do not count;
     ß never occurs in English.

   A text (or, for mixed texts, one sentence of at least 5 words) is flagged when foreign words
   are at least two, at least a quarter of its words (two fifths for one sentence), and
   outnumber its English function words (twice over for one sentence); foreign spellings alone
   flag a text only if it has no English function word at all (loanwords come with English
   grammar around them). The language is named when one language's evidence clearly leads
   (and no letter points outside the six); otherwise the warning says the text does not look
   like English.

All of this is linear in the text length and needs no model; it is a warning, never an error.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter

__all__ = ["language_warning", "skipped_warning", "describe_skipped", "script_of", "ENGLISH_ONLY"]

ENGLISH_ONLY = "psigraph speaks English"

# Most frequent function words (and greetings) per language, minus common English words
# (son, car, plus, ma, ton, die, den, war, hat, gut, man, bin, con, lo, yo, hay, come, dove, ...).
_STOP_TEXT = {
    "French": """le la les un une de des du au aux et est sont être été était étaient ce cet cette ces qui que
        quoi dont où je tu il elle nous vous ils elles ne pas très avec dans sur mais ou donc ni mes tes sa
        ses notre votre leur leurs moi toi lui eux y en à ça aussi bien comme tout toute tous toutes rien
        oui merci bonjour bonsoir salut beaucoup suis sommes êtes ont avez avons peut chez pourquoi quand
        alors puis ici parce même avoir faire aujourd'hui a on me se te""",
    "German": """der das und ist ich nicht ein eine einen einem einer zu mit auf für sich dem des von es wir
        ihr sind auch aber oder wenn noch nur kann wird bei nach wie mir mich dich uns schon sehr hier
        heute ja nein danke bitte hallo ihm ihn ihnen sein seine haben habe werden wurde kein keine zum zur
        vom beim ob dass daß weil doch über sie dann denn jetzt immer alle alles viel mehr ganz wo was am
        an in so also will aus diese dieser dieses können konnte muss soll bereits sowie durch gegen ohne
        zwischen bis seit""",
    "Spanish": """el la los las una unos unas del que de y en es se su por para como pero más muy tú él ella
        ellos ellas nosotros usted ustedes está están estoy estás esta este esto ese eso esa soy eres somos
        fue ser tiene tengo tener hola gracias buenos buenas días bien mucho también porque cuando donde
        dónde qué cómo sí ni nos le les tu sus otro otra todo todos nada algo aquí hacer puede quiero sobre
        entre no a me te he desde hasta cada estos estas debe pueden sin""",
    "Italian": """il gli le la un uno una di del della dello delle degli dei nel nella alla che è sono sei
        siamo siete hai abbiamo hanno essere avere questo questa quello quella anche molto più perché
        quando ciao grazie prego io tu lui noi voi loro mio mia tuo tua suo sua cosa sempre ancora bene
        tutto tutti niente sì ci ne si dal dalla sul sulla nei negli alle agli dai ogni altro altri può deve
        nessun nessuna questi queste non per in a i""",
    "Portuguese": """os uma não que de na para por se é eu você ele ela nós vocês eles elas muito também
        obrigado obrigada olá mas isso isto este esta está estou são ser ter tem tenho sim bom dia das
        ao pelo pela seu sua foi ou já há até nem do as no""",
    "Dutch": """de het een en van ik je niet te zijn voor ook maar naar hij zij wij jij dit bij geen heb
        hebben heeft goed hallo graag alstublieft ja nee mijn jouw uw ons kan moet zal worden werd uit als
        toch waar waarom dus nu deze wordt kunnen door moeten tussen onder zonder is in""",
}
_STOP = {lang: frozenset(_STOP_TEXT[lang].split()) for lang in _STOP_TEXT}
# Elided articles and pronouns (l'homme, j'ai, c'est, dell'anno) are as telling as the words.
_ELISION = {"French": re.compile(r"^(?:[jlcdnmst]|qu|jusqu|lorsqu|puisqu)['’]\w"),
            "Italian": re.compile(r"^(?:[lc]|dell|nell|all|dall|sull|un|quest|quell)['’]\w")}
# Letters that suggest a language (used only to name it, on words English would not spell so).
_LETTERS = {"French": set("àâæçèêëîïôœùûÿ"), "German": set("äöüß"), "Spanish": set("ñáíóú"),
            "Italian": set("àèìòù"), "Portuguese": set("ãõçâêô"), "Dutch": set("ĳ")}
# Accented letters of those six languages; a foreign spelling with any other letter (š, ł, ő, ş, ư,
# å, ...) is evidence for "some other language" and keeps the warning from naming one of the six.
_KNOWN = set().union(*_LETTERS.values()) | set("éáíóúàèìòùâêîôûëïüöäçñãõßœæÿ")
_OTHER = ""
_FOLD = {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ĳ": "ij"}

_URLISH = re.compile(r"(?<!\S)(?:\S*(?::/|www\.|@)\S*|\S+\.(?:com|org|net|io|fr|de|es|it)\b\S*)",
                     re.I)                             # anchored at blank-run starts: linear
# words, not identifiers: "non-unique" and "l'homme" are one word; "y1", "os_name", "io.BytesIO" none
_WORD = re.compile(r"(?<![\w.])[^\W\d_]+(?:['’-][^\W\d_]+)*(?!\w|\.\w)")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?\n]*")

_SCRIPT_NAMES = {"CJK": "Chinese", "HIRAGANA": "Japanese", "KATAKANA": "Japanese", "HANGUL": "Korean"}
_SCRIPTS = set("""CYRILLIC ARABIC HEBREW DEVANAGARI BENGALI GURMUKHI GUJARATI ORIYA TAMIL TELUGU KANNADA
    MALAYALAM SINHALA THAI LAO TIBETAN MYANMAR KHMER GEORGIAN ARMENIAN ETHIOPIC GREEK SYRIAC THAANA
    MONGOLIAN BOPOMOFO YI NKO CHEROKEE""".split())


def script_of(ch: str) -> str:
    """The script of a character as a language-ish name (``"Chinese"``, ``"Cyrillic"``), or ``""``."""
    first = unicodedata.name(ch, "").split(" ", 1)[0]
    if first in _SCRIPT_NAMES:
        return _SCRIPT_NAMES[first]
    return first.capitalize() if first in _SCRIPTS else ""


def _shown(runs: list[str], limit: int = 48) -> str:
    """``'世界', 'Привет'`` — the runs as quoted reprs, elided to about ``limit`` characters."""
    out, used = [], 0
    for k, r in enumerate(runs):
        if used >= limit:
            out.append(f"(+{len(runs) - k} more)")
            break
        piece = r if len(r) <= limit - used else r[:max(limit - used, 8)] + "…"
        out.append(repr(piece))
        used += len(piece)
    return ", ".join(out)


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def skipped_warning(runs: list[str]) -> str | None:
    """One line naming text in other scripts that was skipped, or None if ``runs`` is empty.

    ``runs``: the skipped stretches of text, e.g. ``['世界']``.
    """
    what = describe_skipped(runs)
    return f"skipped {what} ({ENGLISH_ONLY})" if what else None


def describe_skipped(runs: list[str]) -> str | None:
    """``"2 Chinese characters it cannot read: '世界'"`` for the skipped ``runs`` (None if none)."""
    if not runs:
        return None
    chars = [c for r in runs for c in r if not c.isspace() and unicodedata.category(c)[0] in "LN"]
    if not chars:
        return None
    scripts = Counter(s for s in map(script_of, chars) if s)
    if "Japanese" in scripts and "Chinese" in scripts:       # kanji with kana: Japanese
        scripts["Japanese"] += scripts.pop("Chinese")
    label = _join([s for s, _ in scripts.most_common()]) + " " if scripts else ""
    n = len(chars)
    return f"{n} {label}character{'s' if n != 1 else ''} it cannot read: {_shown(runs)}"


# ----------------------------------------------------------------------------- Latin-script languages
def _fold(word: str) -> str:
    s = "".join(_FOLD.get(c, c) for c in word)
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def _english_spelling(folded: str) -> bool:
    """True if the accent-folded word is an English word of the lexicon (or an inflection)."""
    from .g2p import pronounce
    if not folded.isascii():
        return False
    return pronounce(folded).source in ("lexicon", "morph")


def _evidence(words: list[str]):
    """Per word: (english_function_word, set of languages whose function word it is, foreign_spelling,
    languages suggested by its letters)."""
    from .g2p import FUNCTION_WORDS
    out = []
    for w in words:
        low = w.lower().replace("’", "'")
        langs = {lang for lang, stop in _STOP.items() if low in stop}
        langs |= {lang for lang, rx in _ELISION.items() if rx.match(low)}
        english = low in FUNCTION_WORDS
        if english and langs:            # shared by English and another language: no evidence
            english, langs = False, set()
        foreign_spelling, letter_langs = False, set()
        if not low.isascii():
            foreign_spelling = "ß" in low or not _english_spelling(_fold(low))
            if foreign_spelling:
                letters = {c for c in low if not c.isascii() and c.isalpha()}
                letter_langs = {lang for lang, ls in _LETTERS.items() if ls & letters}
                if letters - _KNOWN:
                    letter_langs.add(_OTHER)
        out.append((english, langs, foreign_spelling, letter_langs))
    return out


def _verdict(ev, min_share: float, english_factor: float) -> tuple[bool, str]:
    n = len(ev)
    function_words = sum(1 for _, langs, _, _ in ev if langs)
    foreign = sum(1 for english, langs, spelled, _ in ev if langs or spelled)
    english = sum(1 for e, *_ in ev if e)
    if foreign < 2 or foreign < min_share * n or foreign <= english_factor * english:
        return False, ""
    if not function_words and english:   # loanwords (doppelgänger, brûlée) in an English sentence
        return False, ""
    score: Counter = Counter()
    for _, langs, _, letter_langs in ev:
        for lang in langs | letter_langs:
            score[lang] += 1
    best = score.most_common(2)
    if best and best[0][0] != _OTHER and best[0][1] >= 2 and (len(best) == 1 or best[0][1] >= 1.25 * best[1][1]):
        return True, best[0][0]
    return True, ""


def _words(text: str) -> list[str]:
    """Latin-script words of the text (URLs, e-mail addresses and all-caps acronyms left out)."""
    text = _URLISH.sub(" ", text)
    out = []
    for m in _WORD.finditer(text):
        w = m.group(0)
        if not all(c.isascii() or "LATIN" in unicodedata.name(c, "") or c == "’" for c in w):
            continue
        if len(w) >= 2 and w.isupper():
            continue
        out.append(w)
    return out


def language_warning(text: str) -> str | None:
    """One line if Latin-script ``text`` (or a sentence of it) looks like another language.

    See the module docstring for the evidence and thresholds; returns None for English.
    """
    text = unicodedata.normalize("NFC", text)
    words = _words(text)
    if len(words) < 2:
        return None
    tail = f"{ENGLISH_ONLY} and will read it with English rules"
    flagged, lang = _verdict(_evidence(words), 0.25, 1.0)
    if flagged:
        return f"this looks like {lang}; {tail}" if lang else f"this does not look like English; {tail}"
    for m in _SENTENCE.finditer(text):          # a foreign sentence or paragraph in English text
        sw = _words(m.group(0))
        if len(sw) < 5:
            continue
        flagged, lang = _verdict(_evidence(sw), 0.4, 2.0)
        if flagged:
            snippet = " ".join(m.group(0).split())
            snippet = snippet if len(snippet) <= 40 else snippet[:40] + "…"
            what = f"looks like {lang}" if lang else "does not look like English"
            return f"part of this {what} ({snippet!r}); {tail}"
    return None
