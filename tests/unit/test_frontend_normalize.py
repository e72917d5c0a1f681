"""Text normalization: numbers, dates, money, abbreviations, symbols, breaks, sentence types."""
import pytest

from psigraph.nodes.speech.frontend.normalize import normalize
from psigraph.nodes.speech.frontend.numwords import cardinal, decimal, ordinal, year


def words(text):
    return " ".join(t.text for t in normalize(text).tokens if t.kind == "word")


@pytest.mark.parametrize("n, expect", [
    (0, "zero"), (7, "seven"), (13, "thirteen"), (21, "twenty-one"), (100, "one hundred"),
    (105, "one hundred five"), (1234, "one thousand two hundred thirty-four"),
    (1_000_000, "one million"), (2_500_000_000, "two billion five hundred million"),
    (7_000_000_000_001, "seven trillion one"), (-3, "minus three"),
])
def test_cardinal(n, expect):
    assert cardinal(n) == expect


def test_ordinal_year_decimal():
    assert ordinal(1) == "first" and ordinal(22) == "twenty-second" and ordinal(40) == "fortieth"
    assert ordinal(112) == "one hundred twelfth"
    assert year(1999) == "nineteen ninety-nine" and year(2005) == "two thousand five"
    assert year(1905) == "nineteen oh five" and year(1900) == "nineteen hundred"
    assert year(2024) == "twenty twenty-four"
    assert decimal("3.14") == "three point one four" and decimal("-0.5") == "minus zero point five"


@pytest.mark.parametrize("text, expect", [
    ("21st", "twenty-first"),
    ("3.5", "three point five"),
    ("-17", "minus seventeen"),
    ("1,000,000,000,000", "one trillion"),
    ("in 1999", "in nineteen ninety-nine"),
    ("the 1990s", "the nineteen nineties"),
    ("$3.50", "three dollars and fifty cents"),
    ("$1", "one dollar"),
    ("$3 million", "three million dollars"),
    ("45%", "forty-five percent"),
    ("3:30", "three thirty"),
    ("5:05pm", "five oh five p m"),
    ("at 5 p.m.", "at five p m"),
    ("2024-05-01", "May first twenty twenty-four"),
    ("May 1", "May first"),
    ("3/4/2021", "March fourth twenty twenty-one"),
    ("555-1234", "five five five one two three four"),
    ("3/4", "three quarters"),
    ("v2.0", "version two point zero"),
    ("5km", "five kilometers"),
    ("1kg", "one kilogram"),
    ("Dr. Smith", "doctor Smith"),
    ("Elm St.", "Elm street"),
    ("Mr. and Mrs. Jones", "mister and missus Jones"),
    ("apples, pears, etc.", "apples pears et cetera"),
    ("cats vs. dogs", "cats versus dogs"),
    ("salt & pepper", "salt and pepper"),
    ("2 + 2", "two plus two"),
    ("#1", "number one"),
    ("the U.S. army", "the u s army"),
    ("café naïve", "cafe naive"),
    ("tori@psigraph.io", "tori at psigraph dot i o"),
    ("https://example.com/docs", "example dot com slash docs"),
    ("index 0..14", "index zero to fourteen"),
    ("10µs", "ten microseconds"),
    ("ψ-core θ ≥ 5 → go", "psi core theta at least five to go"),
    ("# Title", "Title"),
    ("<b>bold</b> at 20°C", "bold at twenty degrees celsius"),
    ("2*3 and 3×4", "two times three and three times four"),
    ("See [the docs](https://x.org/a) now.", "See the docs now"),
    ("snake_case", "snake case"),
    ("I live on Main St. Then I left.", "I live on Main street Then I left"),
    ("We visited St. Louis.", "We visited saint Louis"),
    ("I met Jan. She was nice.", "I met Jan She was nice"),
    ("On Jan. 5 we left.", "On January fifth we left"),
])
def test_normalize_words(text, expect):
    assert words(text).lower() == expect.lower()


def test_spelled_letters_are_marked():
    toks = [t for t in normalize("the U.S. army").tokens if t.kind == "word"]
    assert [t.spell for t in toks] == [False, True, True, False]


def test_breaks_and_sentence_types():
    n = normalize("Hello, world. Is it raining? What time is it? Wow! Fine")
    kinds = [(t.text, t.level) for t in n.tokens if t.kind == "break"]
    assert kinds == [(",", 1), (".", 2), ("?", 2), ("?", 2), ("!", 2), (".", 2)]
    assert n.sentence_types == ["statement", "yn-question", "wh-question", "exclamation", "statement"]


def test_ellipsis_and_dash_are_minor_breaks():
    n = normalize("Well... maybe — yes.")
    assert [t.level for t in n.tokens if t.kind == "break"] == [1, 1, 2]


def test_emoji_dropped_and_reported():
    n = normalize("Hi there 🙂👍🏽!")
    assert words("Hi there 🙂👍🏽!") == "Hi there"
    assert n.dropped and "dropped" in n.messages[0] and "🙂" in n.messages[0]
    assert normalize("Hi 🙂", report=False).messages == []


@pytest.mark.parametrize("text", ["", "   ", "!!!", "🙂🙂", "日本語", "...", ":)"])
def test_unspeakable_gives_no_words_and_a_message(text):
    n = normalize(text)
    assert n.words == [] and n.messages


def test_nasty_mix():
    w = words("Dr. Smith paid $1,234.56 on 3/4/2021 at 5:30pm 🙂")
    assert w == ("doctor Smith paid one thousand two hundred thirty-four dollars and fifty-six cents "
                 "on March fourth twenty twenty-one at five thirty p m")
    assert words("Tori's API is v2.0 — call 555-1234") == \
        "Tori's API is version two point zero call five five five one two three four"


def test_huge_number_read_as_digits():
    assert words("12345678901234567") == " ".join(
        "one two three four five six seven eight nine zero one two three four five six seven".split())


def test_markdown_emphasis_and_lists():
    n = normalize("I *really* mean it, **very much** so.")
    assert [(t.text, t.emphasis) for t in n.words] == [
        ("I", False), ("really", True), ("mean", False), ("it", False), ("very", True), ("much", True),
        ("so", False)]
    n = normalize("Items:\n- one thing\n- another thing\n1. third")
    assert " ".join(t.text for t in n.words) == "Items one thing another thing third"
    assert len(n.sentence_types) == 4
