"""Fuzzing the speech front-end (issue 9): any text → a plan, or one clear one-line error.

Property, for random unicode (every category but surrogates), structured nasty mixtures
(numbers, abbreviations, URLs, markup, emoji, scripts, controls, joiners, RTL marks) and huge or
degenerate texts (very long words, 10k punctuation, 500-digit numbers, ...):

- ``plan_utterance`` / ``iter_plans`` return well-formed plans or raise
  :class:`UnspeakableTextError` (a :class:`PsigraphError`) whose message is one line; never any
  other exception;
- ``normalize``, ``pronounce``, ``syllabify`` and ``text_warnings`` never raise;
- warnings and messages are one line each;
- huge texts (thousands of words) are normalised and planned (a blow-up would stall the suite) and the output is
  proportional to the input (words, phones and duration bounded by a constant per character).

The default run executes ~1,600 examples (see ``max_examples``); ``-m slow`` runs the same
properties with 10× more.
"""
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from psigraph.errors import PsigraphError
from psigraph.nodes.speech.frontend import (UnspeakableTextError, iter_plans, normalize, plan_utterance,
                                            preload, pronounce, syllabify, text_warnings)
from psigraph.nodes.speech.frontend.g2p import CONSONANTS, VOWELS, letters_to_sound
from psigraph.nodes.speech.frontend.plan import UtterancePlan

preload()

# No per-case wall-clock deadline: a loaded CI machine is not a blow-up. A quadratic case shows as
# the suite's run time (huge texts up to PLAN_MAX_WORDS are planned below), not as a flaky failure.
_SETTINGS = dict(deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Bounds on the output per input character (generous: "w" → 7 phones, "≠" → 3 words,
# a 15-digit number → ~20 words; a blow-up is orders of magnitude beyond these).
WORDS_PER_CHAR, PHONES_PER_CHAR, SECONDS_PER_CHAR = 4, 16, 1.5

ANY_CHAR = st.characters(exclude_categories=("Cs",))
# half of the characters plain ASCII text, so that random strings also contain words and numbers
TEXTISH_CHAR = st.one_of(ANY_CHAR, st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                                   "      .,;:!?'\"-$%&@#/()*\n"))

FRAGMENTS = [
    # numbers, money, dates, times, units, versions, phone numbers
    "0", "7", "12", "1,234", "1,234.56", "-3.5", "3.14159", "007", "1990s", "'90s", "2024", "21st", "1/2",
    "3/4/2021", "2024-02-30", "13/13/13", "5:30pm", "25:99", "12 a.m.", "$5", "$1.5bn", "€3,20", "£0.01",
    "¥", "100%", "5km", "3 kg", "60 Hz", "v2.0.1", "1.2.3.4.5", "555-1234", "(555) 123-4567", "#1", "~5",
    "9" * 40, "1" * 500, "0." + "3" * 60, "1e10", "5-10", "10..20", "2×3", "½", "²", "°C", "№", "①",
    # abbreviations and acronyms
    "Dr.", "St.", "No.", "no.", "Mr.", "e.g.", "i.e.", "etc.", "vs.", "U.S.A.", "a.m.", "NASA", "GPU", "AI",
    "mp3", "COVID-19", "x86_64", "iOS", "McDonald's", "rock'n'roll", "o'clock", "don't", "Tori's",
    # addresses and markup
    "https://example.com/a?b=c&d=e#f", "www.x.org", "a@b.co", "<b>", "</i>", "<br/>", "**bold**", "*em*",
    "[link](http://x.y)", "`code`", "_x_", "\\", "|", "^", "{", "}", "[", "]", "&", "@", "#", "%", "+",
    "=",
    # punctuation runs
    ".", "...", "!!!", "?!", "?", ",", ";", ":", "—", "–", "-", "--", "…", "(", ")", "\"", "'", "«", "»", "¿",
    "¡",
    # words, loanwords, other languages and scripts
    "hello", "the", "a", "I", "psigraph", "Zxqwv", "café", "naïve", "résumé", "Straße", "über", "ñandú",
    "bonjour", "je", "le", "und", "nicht", "Привет", "мир", "世界", "日本語", "한국어", "مرحبا", "שלום",
    "नमस्ते", "สวัสดี", "Καλημέρα", "αβγ", "π", "Ω", "ǅ", "ﬁ", "Ｈｅｌｌｏ", "𝐁𝐨𝐥𝐝", "İ", "ı", "ŉ",
    # emoji, joiners, marks, controls
    "🙂", "👍🏽", "👨‍👩‍👧", "🇫🇷", "1️⃣", "♥️", "\u200d", "\u200c", "\u200b", "\ufeff", "\u00ad",
    "\u200e", "\u200f", "\u202e", "\u202c", "\u2066", "\u0301", "e\u0301", "\u20dd", "\x00", "\x07",
    "\x1b[31m", "\r", "\r\n", "\t", "\v", "\f", "\x85", "\u2028", "\u2029", "\ue000", "\ue001",
    "\U000f0000", "\ufffd", "\uffff",
]
SEPARATORS = ["", " ", "  ", "\n", "\n\n", ", ", ". ", "-", "/", "\t", "\u00a0", "\u3000"]

fragment_text = st.lists(st.tuples(st.sampled_from(FRAGMENTS), st.sampled_from(SEPARATORS)), max_size=25).map(
    lambda parts: "".join(a + b for a, b in parts))
mixed_text = st.one_of(st.text(ANY_CHAR, max_size=120), fragment_text,
                       st.lists(st.one_of(st.text(ANY_CHAR, max_size=8), st.sampled_from(FRAGMENTS)),
                                max_size=20).map(" ".join))


def _degenerate(kind: str, n: int, seed: str) -> str:
    seed = seed or "a"
    return {
        "repeat_fragment": (seed + " ") * (n // (len(seed) + 1) + 1),
        "long_word": (seed * (n // len(seed) + 1))[:n],
        "punctuation": "!?.,;:-—…"[n % 9] * n,
        "digits": "".join(str((k * 7 + len(seed)) % 10) for k in range(n)),
        "glued_digits_letters": "a1" * (n // 2),
        "joiners": ("\u200d" + seed) * (n // (len(seed) + 1)),
        "rtl": ("\u202e" + seed + "\u202c ") * (n // (len(seed) + 3)),
        "controls": "".join(chr(k % 32) for k in range(n)) + seed,
    }[kind]


degenerate_text = st.one_of(
    st.builds(_degenerate, st.sampled_from(["repeat_fragment", "long_word", "punctuation", "digits",
                                            "glued_digits_letters", "joiners", "rtl", "controls"]),
              st.sampled_from([1, 2, 50, 500, 2000, 10_000]), st.sampled_from(FRAGMENTS)),
    st.sampled_from(["!" * 10_000, "." * 10_000, "1" * 500, "9" * 4400, "7" * 5000, "a" * 5000,
                     "Dr. " * 1500, "No. 5 " * 1000, "Main St. " * 1000, "e.g. " * 1500, "U.S. " * 1000,
                     "5 km " * 1000, "A.B." * 1500, "$" + "9" * 500, "9" * 500 + "%", "9" * 500 + "th",
                     "-" * 3000 + "5", "v" + "1." * 500 + "1", "1/" * 1000, "<a" * 3000, "*a" * 2500,
                     "a'" * 2500, "a-" * 2500, "http://" + "a." * 1500 + "com", "x@" + "y." * 1500 + "z",
                     "世界" * 2000, "🙂" * 3000, "\u200d" * 5000, "\u0301" * 5000, "Привет " * 800]))


# ----------------------------------------------------------------------------- properties
def _one_line(s: str) -> bool:
    return isinstance(s, str) and s != "" and len(s.splitlines()) == 1 and len(s) <= 400


def _check_plan(p: UtterancePlan, text: str, *, lead_trail: bool = True) -> None:
    assert isinstance(p, UtterancePlan)
    n = len(text) + 1
    assert 1 <= len(p.words) <= WORDS_PER_CHAR * n
    assert len(p.phones) <= PHONES_PER_CHAR * n + 4
    assert 0 < p.duration <= SECONDS_PER_CHAR * n + 1.0 and math.isfinite(p.duration)
    t = 0.0
    for ph in p.phones:
        assert ph.dur > 0 and math.isclose(ph.start, t, abs_tol=1e-6)
        assert ph.is_pause or ph.ph in VOWELS or ph.ph in CONSONANTS
        t = ph.end
    assert math.isclose(t, p.duration, abs_tol=1e-6)
    ts = [x[0] for x in p.f0]
    assert ts[0] == 0.0 and math.isclose(ts[-1], p.duration, abs_tol=1e-6)
    assert all(b > a for a, b in zip(ts, ts[1:]))
    assert all(math.isfinite(hz) and 30 < hz < 1000 for _, hz in p.f0)
    assert len(p.f0) <= 2 * len(p.phones) + 10 + 100 * p.duration
    for m in list(p.messages) + list(p.warnings):
        assert _one_line(m), m


def _plan_or_clear_error(text: str) -> UtterancePlan | None:
    try:
        p = plan_utterance(text)
    except UnspeakableTextError as e:
        assert isinstance(e, PsigraphError)
        assert _one_line(str(e)) and "nothing to say" in str(e), str(e)
        return None
    _check_plan(p, text)
    return p


def _normalize_and_g2p(text: str):
    n = normalize(text)
    assert len(n.words) <= WORDS_PER_CHAR * (len(text) + 1)
    for m in n.messages + n.warnings:
        assert _one_line(m), m
    for w in n.words[:200]:
        pr = pronounce(w.text, w.spell)
        assert all(p.rstrip("012") in VOWELS | CONSONANTS for p in pr.phones)
        assert len(pr.phones) <= 8 * len(w.text) + 8
        sy = syllabify(pr.phones)
        assert sum(s.stop - s.start for s in sy) == len(pr.phones)
    for w in text_warnings(text):
        assert _one_line(w), w
    return n


# ----------------------------------------------------------------------------- default run (~1,600 cases)
@settings(max_examples=700, **_SETTINGS)
@given(st.one_of(st.text(ANY_CHAR, max_size=80), st.text(TEXTISH_CHAR, max_size=160)))
def test_fuzz_random_unicode_plans_or_raises_one_line(text):
    _plan_or_clear_error(text)


@settings(max_examples=450, **_SETTINGS)
@given(mixed_text)
def test_fuzz_mixed_fragments_normalize_g2p_and_plan(text):
    _normalize_and_g2p(text)
    p = _plan_or_clear_error(text)
    if p is not None and len(text) < 200:
        chunks = list(iter_plans(text, max_words=8))
        assert [w.text for c in chunks for w in c.words] == [w.text for w in p.words]
        assert math.isclose(sum(c.duration for c in chunks), p.duration, abs_tol=1e-6)


# Planning costs ~0.5 ms a word (linear); huge texts are normalised (all of them) and planned up to
# this size, which keeps the test's run time bounded.
PLAN_MAX_WORDS = 2500


@settings(max_examples=60, **_SETTINGS)
@given(degenerate_text)
def test_fuzz_huge_and_degenerate_texts(text):
    if len(_normalize_and_g2p(text).words) <= PLAN_MAX_WORDS:
        _plan_or_clear_error(text)


@settings(max_examples=400, **_SETTINGS)
@given(st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'-"), max_size=60),
       st.booleans())
def test_fuzz_g2p_any_letter_string(word, spell):
    pr = pronounce(word, spell)
    assert pr.source in ("lexicon", "morph", "compound", "letters", "lts")
    assert all(p.rstrip("012") in VOWELS | CONSONANTS for p in pr.phones)
    assert all(p[-1] in "012" for p in pr.phones if p.rstrip("012") in VOWELS)
    assert len(pr.phones) <= 8 * len(word) + 8
    assert len(letters_to_sound(word)) <= 8 * len(word) + 8
    sy = syllabify(pr.phones)
    assert sum(s.stop - s.start for s in sy) == len(pr.phones)


# ----------------------------------------------------------------------------- slow: 10× more
@pytest.mark.slow
@settings(max_examples=7000, **_SETTINGS)
@given(st.one_of(st.text(ANY_CHAR, max_size=400), st.text(TEXTISH_CHAR, max_size=600)))
def test_fuzz_slow_random_unicode(text):
    _normalize_and_g2p(text)
    _plan_or_clear_error(text)


@pytest.mark.slow
@settings(max_examples=5000, **_SETTINGS)
@given(mixed_text)
def test_fuzz_slow_mixed_fragments(text):
    _normalize_and_g2p(text)
    _plan_or_clear_error(text)


@pytest.mark.slow
@settings(max_examples=600, **_SETTINGS)
@given(degenerate_text)
def test_fuzz_slow_huge_and_degenerate_texts(text):
    if len(_normalize_and_g2p(text).words) <= PLAN_MAX_WORDS:
        _plan_or_clear_error(text)
