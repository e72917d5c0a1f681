"""psigraph speaks English: warnings for text it cannot read, one clear error when nothing is left."""
import pytest

from psigraph.errors import PsigraphError
from psigraph.nodes.speech.frontend import (UnspeakableTextError, iter_plans, language_warning, normalize,
                                            plan_utterance, text_warnings)


def test_french_is_named_and_read_with_english_rules():
    w = text_warnings("Bonjour, je m'appelle Marie et j'habite à Paris avec mes enfants.")
    assert len(w) == 1
    assert "French" in w[0] and "English rules" in w[0] and "psigraph speaks English" in w[0]


@pytest.mark.parametrize("text, lang", [
    ("Ich heiße Peter und wohne seit zwei Jahren in München. Das ist schön.", "German"),
    ("¿Dónde está la biblioteca? No sé nada de eso.", "Spanish"),
    ("Questo è il mio amico, e lui non parla inglese.", "Italian"),
    ("Eu não sei se você está em casa hoje.", "Portuguese"),
    ("Ik weet niet waar hij woont, maar het is ver.", "Dutch"),
])
def test_other_latin_languages_are_named(text, lang):
    w = text_warnings(text)
    assert len(w) == 1 and lang in w[0], w


def test_unnamed_latin_language_still_warns():
    w = text_warnings("Dzień dobry, jak się masz? Wszystko w porządku, dziękuję bardzo.")
    assert len(w) == 1 and "does not look like English" in w[0]


def test_foreign_paragraph_inside_english_text():
    text = ("The meeting starts at nine and we will review the budget for the next quarter. "
            "Nous avons besoin de plus de temps pour finir le projet avec toute l'équipe. "
            "Please bring your laptop and the printed report.")
    w = text_warnings(text)
    assert len(w) == 1 and w[0].startswith("part of this looks like French") and "Nous avons" in w[0]


def test_chinese_is_named_and_skipped():
    w = text_warnings("Hello 世界")
    assert w == ["skipped 2 Chinese characters it cannot read: '世界' (psigraph speaks English)"]
    p = plan_utterance("Hello 世界")
    assert [x.text for x in p.words] == ["Hello"] and p.warnings == w


@pytest.mark.parametrize("text, script, shown", [
    ("Привет, Tori! How are you?", "Cyrillic", "Привет"),
    ("Say مرحبا please.", "Arabic", "مرحبا"),
    ("The word is नमस्ते today.", "Devanagari", "नमस्ते"),
    ("Japanese: こんにちは 世界.", "Japanese", "こんにちは 世界"),
    ("Greek: Καλημέρα κόσμε, and α is alpha.", "Greek", "Καλημέρα κόσμε"),
])
def test_other_scripts_are_named(text, script, shown):
    w = text_warnings(text)
    assert len(w) == 1 and script in w[0] and shown in w[0], w


def test_single_greek_letters_are_still_read():
    assert text_warnings("α is less than π") == []
    assert [t.text for t in normalize("α is less than π").words][:1] == ["alpha"]


@pytest.mark.parametrize("text", [
    "I updated my résumé at the café; how naïve.",
    "The fiancée ordered crème brûlée at the café.",
    "That was déjà vu, a real doppelgänger moment.",
    "The doppelgänger ate the crème brûlée.",
    "We ate jalapeño nachos with the señor.",
    "Zoë and Beyoncé met at the café.",
])
def test_english_with_loanwords_has_no_warning(text):
    assert text_warnings(text) == []


@pytest.mark.parametrize("text", [
    "Hello! I'm Tori.", "The birch canoe slid on the smooth planks.", "Dr. Smith paid $1,234.56 on 3/4/2021.",
    "Is it raining?", "CPU NASA GPU AI", "https://example.fr/la/de/des?x=le or a@b.de", "y1 = x1 + x2 and os_name",
    "Go!", "", "Hi there 🙂👍",
])
def test_plain_english_has_no_warning(text):
    assert text_warnings(text) == []
    assert language_warning(text) is None


def test_warnings_are_reported_once_on_plans_and_first_chunk():
    text = "Bonjour à tous. Je suis très content de vous voir ici. Merci beaucoup."
    p = plan_utterance(text)
    assert len(p.warnings) == 1 and "French" in p.warnings[0]
    chunks = list(iter_plans(text))
    assert len(chunks) > 1 and chunks[0].warnings == p.warnings
    assert all(c.warnings == [] for c in chunks[1:])


@pytest.mark.parametrize("text, names", [
    ("日本語", ["3 Chinese characters", "'日本語'"]),
    ("🙂🙂🎉", ["3 emoji or symbols", "🙂"]),
    ("Привет 🙂", ["6 Cyrillic characters", "'Привет'", "1 emoji or symbol"]),
    ("!!!", ["'!!!'", "no words"]),
])
def test_nothing_readable_is_one_clear_error(text, names):
    with pytest.raises(UnspeakableTextError) as ei:
        plan_utterance(text)
    msg = str(ei.value)
    assert isinstance(ei.value, PsigraphError) and len(msg.splitlines()) == 1
    assert "nothing to say" in msg and "psigraph speaks English" in msg
    for n in names:
        assert n in msg, msg


def test_long_skipped_text_is_elided_to_one_short_line():
    w = text_warnings("Hi " + "世界 " * 500 + "and " + "Привет " * 300)
    assert len(w) == 1 and len(w[0]) < 200 and "…" in w[0]
    assert "2800 Cyrillic and Chinese characters" in w[0]           # by count, most first


def test_planner_node_passes_warnings_without_printing(capfd):
    from psigraph import registry
    from psigraph.graph import Graph
    from psigraph.runtime import Session
    registry.import_pack("psigraph.nodes.speech.node")
    g = Graph("warn-test", seed=1)
    g.add_node("text", "text_source", {"text": "Hello 世界"})
    g.add_node("planner", "prosody_planner")
    g.connect("text.text", "planner.text")
    s = Session(g, block=480)
    score = s.tap("planner.score")
    s.run(duration=0.2)
    utt = [e for e in score.events if e.kind == "utterance"]
    want = ["skipped 2 Chinese characters it cannot read: '世界' (psigraph speaks English)"]
    assert utt and utt[0].payload["warnings"] == want
    assert s.slots["planner"].node.state.warnings == want
    s.close()
    out, err = capfd.readouterr()
    assert "世界" not in out + err                       # the node reports, the caller prints
