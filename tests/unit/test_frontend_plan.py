"""plan_utterance end to end: dev set, nasty inputs, invariants, rate, emotion, questions."""
import math
from pathlib import Path

import numpy as np
import pytest

from psigraph.errors import ParamError, PsigraphError
from psigraph.nodes.speech.frontend import (LEAD_SILENCE_S, TRAIL_SILENCE_S, UnspeakableTextError,
                                            plan_utterance)
from psigraph.nodes.speech.frontend.g2p import CONSONANTS, VOWELS

DEV = Path(__file__).resolve().parents[3] / "shared" / "eval" / "harvard_dev.txt"
FALLBACK = ["The birch canoe slid on the smooth planks.", "Glue the sheet to the dark blue background.",
            "It's easy to tell the depth of a well.", "These days a chicken leg is a rare dish.",
            "Rice is often served in round bowls.", "The juice of lemons makes fine punch.",
            "The box was thrown beside the parked truck.", "The hogs were fed chopped corn and garbage.",
            "Four hours of steady work faced us.", "A large size in stockings is hard to sell."]


def dev_sentences():
    if DEV.is_file():
        return [s.strip() for s in DEV.read_text().splitlines() if s.strip()]
    return FALLBACK


NASTY = [
    "Dr. Smith paid $1,234.56 on 3/4/2021 at 5:30pm 🙂",
    "Tori's API is v2.0 — call 555-1234",
    "café naïve", "I am SO happy!!!", "WHY ARE YOU SHOUTING", "Hmm... well—maybe?",
    "psigraph Zxqwv Brbl", "x", "A", "<b>bold</b> 20°C", "What?!", "1,000,000,000,000 and -3.5",
    "It costs €5 and £3.20 or ¥100.", "CPU NASA GPU AI", "https://psigraph.org/docs?x=1 or a@b.co",
    "Привет, Tori!", "hello\nworld\n\nnew para", "9999999999999999999999", "COVID-19 mp3 3D",
]


def check_invariants(p):
    assert p.phones[0].is_pause and p.phones[0].dur == pytest.approx(LEAD_SILENCE_S)
    assert p.phones[-1].is_pause and p.phones[-1].dur == pytest.approx(TRAIL_SILENCE_S)
    t = 0.0
    for ph in p.phones:                                   # contiguous, positive durations
        assert ph.start == pytest.approx(t, abs=1e-9) and ph.dur > 0
        t = ph.end
        if ph.is_pause:
            assert ph.ph == "pau" and ph.word == -1 and ph.syl == -1 and ph.stress == -1
        else:
            assert ph.ph in VOWELS or ph.ph in CONSONANTS
            assert (ph.stress in (0, 1, 2)) == (ph.ph in VOWELS)
            assert 0 <= ph.word < len(p.words) and 0 <= ph.syl < len(p.syllables)
    assert p.duration == pytest.approx(t)
    ts = [x[0] for x in p.f0]
    assert ts[0] == 0.0 and ts[-1] == pytest.approx(p.duration)
    assert all(b > a for a, b in zip(ts, ts[1:]))
    assert all(50 < hz < 500 and math.isfinite(hz) for _, hz in p.f0)
    assert len(p.sentence_types) >= 1
    for s in p.syllables:
        assert s.dur > 0 and 0 <= s.word < len(p.words)
    assert p.phones[1].word_initial and any(ph.phrase_final for ph in p.phones)


def test_dev_set_plans_and_rate():
    sents = dev_sentences()
    plans = [plan_utterance(s) for s in sents]
    for p in plans:
        check_invariants(p)
        assert not any("rule" in m for m in p.messages)     # every dev word is in the lexicon
    words = sum(len(p.words) for p in plans)
    body = sum(p.duration - LEAD_SILENCE_S - TRAIL_SILENCE_S for p in plans)
    wpm = 60 * words / body
    assert 150 <= wpm <= 200, wpm
    mean_len = body / len(plans)
    assert 2.0 <= mean_len <= 3.0, mean_len
    syl_rate = sum(len(p.syllables) for p in plans) / body
    assert 3.0 <= syl_rate <= 6.0


@pytest.mark.parametrize("text", NASTY)
def test_nasty_inputs(text):
    p = plan_utterance(text)
    check_invariants(p)


def test_dropped_characters_reported():
    p = plan_utterance("Dr. Smith paid $1,234.56 on 3/4/2021 at 5:30pm 🙂")
    assert any("🙂" in m for m in p.messages)


@pytest.mark.parametrize("text", ["", "   ", "!!!", "🙂🙂🎉", "...", "日本語"])
def test_unspeakable_raises_clear_error(text):
    with pytest.raises(UnspeakableTextError, match="nothing to say") as ei:
        plan_utterance(text)
    assert isinstance(ei.value, PsigraphError)
    assert "\n" not in str(ei.value) and "give at least one word" in str(ei.value)


def test_long_text():
    text = " ".join(dev_sentences()) * 3
    p = plan_utterance(text)
    check_invariants(p)
    assert len(p.sentence_types) >= 30


def test_deterministic():
    a = plan_utterance("Is it raining, Tori? Yes!", emotion="happy")
    b = plan_utterance("Is it raining, Tori? Yes!", emotion="happy")
    assert a.phones == b.phones and a.f0 == b.f0 and a.to_dict() == b.to_dict()


def test_rate_parameter():
    a = plan_utterance("The birch canoe slid on the smooth planks.")
    b = plan_utterance("The birch canoe slid on the smooth planks.", rate=1.5)
    body = lambda p: p.duration - LEAD_SILENCE_S - TRAIL_SILENCE_S  # noqa: E731
    assert body(b) == pytest.approx(body(a) / 1.5, rel=1e-6)
    for bad in [0, -1, float("nan"), "fast"]:
        with pytest.raises(ParamError):
            plan_utterance("hi", rate=bad)


def _mean_st_and_rate(emotion, sents):
    plans = [plan_utterance(s, emotion=emotion) for s in sents]
    st = np.mean([p.stats()["mean_f0_st_re_100hz"] for p in plans])
    sps = sum(len(p.syllables) for p in plans) / sum(p.duration - 0.2 for p in plans)
    return st, sps


def test_happy_vs_sad_measured_on_the_plan():
    sents = dev_sentences()[:20]
    h_st, h_rate = _mean_st_and_rate("happy", sents)
    s_st, s_rate = _mean_st_and_rate("sad", sents)
    assert h_st - s_st >= 4.0                       # required ≥ 3 semitones
    assert (h_rate - s_rate) / h_rate >= 0.18       # required ≥ 15 %
    n_st, n_rate = _mean_st_and_rate("neutral", sents)
    assert s_st < n_st < h_st and s_rate < n_rate < h_rate


def _final_rise(p):
    voiced = [x for x in p.speech_phones() if x.stress >= 0 or x.ph in ("M", "N", "NG", "L", "R", "W", "Y",
                                                                        "Z", "V", "DH", "ZH")]
    e = voiced[-1].end
    return 12 * math.log2(p.f0_at(e) / p.f0_at(e - 0.3))


@pytest.mark.parametrize("persona", ["default", "low", "bright"])
@pytest.mark.parametrize("emotion", [None, "sad", "happy", "calm"])
@pytest.mark.parametrize("text", ["Is it raining?", "Do you like the birch canoe?", "Are you Tori?", "Is it?"])
def test_yes_no_question_ends_rising(text, emotion, persona):
    p = plan_utterance(text, emotion=emotion, persona=persona)
    assert p.sentence_types == ["yn-question"]
    assert _final_rise(p) >= 3.0


@pytest.mark.parametrize("text", ["The birch canoe slid on the smooth planks.", "What time is it?", "Go now!"])
def test_statements_and_wh_questions_fall(text):
    assert _final_rise(plan_utterance(text)) < -1.5


def test_continuation_rise_at_comma():
    p = plan_utterance("When the sun rises, the birds sing.")
    first = p.phrases[0]
    end = first.start + first.dur
    assert p.f0_at(end - 0.01) > p.f0_at(end - 0.2)


def test_accents_on_content_words_and_emphasis():
    p = plan_utterance("I am SO happy today.")
    acc = {p.words[s.word].text: s.accent for s in p.syllables if s.accent > 0}
    assert "SO" in acc and acc["SO"] > acc.get("happy", 0)
    assert "am" not in acc and "I" not in acc
    so = next(w for w in p.words if w.text == "SO")
    assert so.emphasis


def test_emotion_override_and_text_estimate():
    assert plan_utterance("hello", emotion="0.2,0.3,-0.1").emotion == (0.2, 0.3, -0.1)
    assert plan_utterance("I love this, it is wonderful!").emotion[0] > 0.3
    with pytest.raises(ParamError):
        plan_utterance("hello", emotion="grumpy")


def test_persona_changes_pitch():
    lo = plan_utterance("Hello there.", persona="low").stats()["mean_f0_hz"]
    hi = plan_utterance("Hello there.", persona="bright").stats()["mean_f0_hz"]
    assert hi / lo > 1.5


def test_all_caps_text_is_read_as_words():
    p = plan_utterance("MY ARM HURTS")
    assert [w.source for w in p.words] == ["lexicon", "lexicon", "lexicon"]
    assert not any(w.emphasis for w in p.words)
    assert plan_utterance("my GPU is hot").words[1].spelled is False
    assert plan_utterance("my GPU is hot").words[1].source == "letters"


def test_preload_and_sources():
    from psigraph.nodes.speech.frontend import preload
    preload()
    p = plan_utterance("Tori's psigraph speaks Zorblat.")
    src = p.sources()
    assert src["lexicon"] >= 1 and src["compound"] == 1 and src["lts"] == 1
    assert any("Zorblat" in m for m in p.messages)


def test_long_phrase_split_into_breath_groups():
    text = ("The quick brown fox jumped over the lazy dog and then it ran into the deep dark forest "
            "where nobody could find it because the trees were so very tall and thick.")
    p = plan_utterance(text)
    assert len(p.phrases) >= 3
    assert all(ph.last_word - ph.first_word + 1 <= 12 for ph in p.phrases)
    assert p.phrases[-1].level == 2 and all(ph.level == 1 for ph in p.phrases[:-1])
    assert p.words[p.phrases[1].first_word].text == "and"
    check_invariants(p)


def test_markdown_emphasis_gets_accent_and_the_before_vowel():
    p = plan_utterance("I *really* mean it.")
    really = next(k for k, w in enumerate(p.words) if w.text == "really")
    assert p.words[really].emphasis
    assert max(s.accent for s in p.syllables if s.word == really) > 1.0
    p = plan_utterance("The apple and the pear.")
    assert p.words[0].phones == ("DH", "IY0") and p.words[3].phones == ("DH", "AH0")


@pytest.mark.parametrize("text, word, expect", [
    ("Read verse out loud for pleasure.", "Read", "R IY1 D"),
    ("I have read the book.", "read", "R EH1 D"),
    ("A rod is used to catch pink salmon.", "used", "Y UW1 S T"),
    ("The swan dive was far short of perfect.", "perfect", "P ER1 F IH2 K T"),
    ("It is close to noon.", "close", "K L OW1 S"),
    ("Please close it.", "close", "K L OW1 Z"),
    ("Make use of it.", "use", "Y UW1 S"),
    ("I want to record it.", "record", "R IH0 K AO1 R D"),
    ("The record is old.", "record", "R EH1 K ER0 D"),
])
def test_heteronyms_in_context(text, word, expect):
    p = plan_utterance(text)
    assert " ".join(next(w for w in p.words if w.text == word).phones) == expect


def test_iter_plans_streams_sentences_with_the_same_timing():
    from psigraph.nodes.speech.frontend import iter_plans
    text = "Hello there. " + " ".join(dev_sentences()[:6]) + " Is it raining?"
    whole = plan_utterance(text)
    chunks = list(iter_plans(text, max_words=20))
    assert len(chunks) >= 3
    assert [w.text for w in chunks[0].words] == ["Hello", "there"]
    assert sum(c.duration for c in chunks) == pytest.approx(whole.duration, abs=1e-6)
    assert [w.text for c in chunks for w in c.words] == [w.text for w in whole.words]
    assert [t for c in chunks for t in c.sentence_types] == whole.sentence_types
    assert all(c.emotion == whole.emotion for c in chunks)
    assert chunks[-1].sentence_types[-1] == "yn-question" and chunks[-1].phones[-1].dur == pytest.approx(0.15)
    for c in chunks:
        assert all(b[0] > a[0] for a, b in zip(c.f0, c.f0[1:])) and c.f0[-1][0] == pytest.approx(c.duration)
    with pytest.raises(UnspeakableTextError):
        list(iter_plans("🙂"))


# ---------------------------------------------------------------- pitch level, range and pause knobs (tone)
def test_pitch_and_pause_knobs():
    from psigraph.nodes.speech.frontend import iter_plans
    text = "When the sun rises, the birds sing. Then the day begins."
    base = plan_utterance(text, emotion="sad")
    knobs = plan_utterance(text, emotion="sad", f0_level=180.0, f0_range=10.0, pause_scale=2.0)
    assert knobs.base_f0 == 180.0 and knobs.f0_range == 10.0 and knobs.pause_scale == 2.0
    check_invariants(knobs)
    assert [astuple_no_time(p) for p in knobs.phones] == [astuple_no_time(p) for p in base.phones]
    inner = lambda p: [x.dur for x in p.phones[1:-1] if x.is_pause]  # noqa: E731
    assert inner(knobs) == pytest.approx([2 * d for d in inner(base)]) and len(inner(base)) == 2
    speech = lambda p: sum(x.dur for x in p.phones if not x.is_pause)  # noqa: E731
    assert speech(knobs) == pytest.approx(speech(base))            # pauses only: the words keep their timing
    # the contour is base × 2^(range·shape/12): the same shape, rescaled
    t = np.linspace(0.1, base.duration - 0.2, 50)
    shape = lambda p: 12 * np.log2(p.f0_at(t) / p.base_f0) / p.f0_range  # noqa: E731
    same = plan_utterance(text, emotion="sad", f0_level=180.0, f0_range=10.0)
    assert shape(same) == pytest.approx(shape(base), abs=0.01)
    # replan: same text and emotion, other knobs; the same knobs give the same plan
    again = base.replan()
    assert again.phones == base.phones and again.f0 == base.f0
    assert base.replan(f0_level=180.0, f0_range=10.0, pause_scale=2.0).f0 == knobs.f0
    # chunks: the gap between chunks scales with the pauses, so the rhythm is the one of one plan
    chunks = list(iter_plans(text, emotion="sad", pause_scale=2.0))
    assert len(chunks) == 2 and sum(c.duration for c in chunks) == pytest.approx(knobs.duration, abs=1e-6)
    assert len(list(iter_plans(text, first_alone=False))) == 1
    for bad in ({"f0_level": 0.0}, {"f0_level": float("nan")}, {"f0_range": -1.0}, {"pause_scale": 0.0},
                {"pause_scale": "long"}):
        with pytest.raises(ParamError):
            plan_utterance("hi", **bad)


def astuple_no_time(p):
    return (p.ph, p.stress, p.word, p.syl, p.is_pause)


def test_tone_fit_meets_the_targets_on_what_will_be_heard():
    """nodes/speech/tone.py: the knobs fitted on a text make the predicted signature meet the targets."""
    from psigraph.nodes.speech.frontend import iter_plans
    from psigraph.nodes.speech.tone import fit_knobs, predict
    tone = {"f0_level_hz": 190.0, "f0_range_st": 9.0, "rate_sps": 4.6, "pause_s": 0.3}
    for text in ["Glue the sheet to the dark blue background.", "Is it going to rain tomorrow? I hope not.",
                 "When the sun rises, the birds sing. And the day begins!"]:
        knobs = fit_knobs(text, tone, emotion="sad")
        plan = next(iter_plans(text, emotion="sad", max_words=60, first_alone=False, **knobs))
        got = predict(plan)
        assert 12 * abs(math.log2(got["f0_level_hz"] / 190.0)) < 0.05, (text, got)
        assert abs(got["f0_range_st"] - 9.0) < 0.05 and got["rate_sps"] == pytest.approx(4.6, rel=0.01), (text, got)
        if got["pauses"]["count"]:
            assert got["pauses"]["mean_s"] == pytest.approx(0.3, abs=0.006), (text, got)
    assert fit_knobs("Hello there.", {}) == {"rate": 1.0, "f0_level": pytest.approx(150.0 * 2 ** (0 / 12)),
                                            "f0_range": pytest.approx(7.0), "pause_scale": 1.0}
