"""Klatt duration rules, f0 contour construction, emotion and persona."""
import math

import numpy as np
import pytest

from psigraph.errors import ParamError, PsigraphError
from psigraph.nodes.speech.frontend.durations import (INHERENT_MS, Seg, pause_duration, segment_durations)
from psigraph.nodes.speech.frontend.emotion import (PRESETS, Emotion, emotion_from_text, parse_emotion,
                                                    prosody_modifiers)
from psigraph.nodes.speech.frontend.intonation import AccentSyl, PhraseSpan, f0_contour
from psigraph.nodes.speech.frontend.persona import PersonaError, list_personas, load_persona


def dur(**kw):
    base = dict(ph="AE", stress=1, vowel=True, word_final_syl=True, word_syllables=1)
    base.update(kw)
    return segment_durations([Seg(**base)])[0]


# --------------------------------------------------------------------------- durations
def test_klatt_incompressibility_and_rules():
    final = dur(phrase_final_syl=True)
    medial = dur()
    assert final > 1.6 * medial                              # phrase-final lengthening vs 0.6
    assert dur(stress=0) < 0.75 * medial                     # unstressed shortening
    assert dur(word_syllables=3, word_final_syl=False) < medial
    assert dur(next="T", next_in_word=True) < medial < dur(next="Z", next_in_word=True)
    assert dur(emphasis=True) > medial
    # never below D_min (scaled by the rate calibration), whatever the context
    inh, dmin = INHERENT_MS["AE"]
    tiny = dur(stress=0, word_syllables=4, word_final_syl=False, prev="IY", next="T", next_in_word=True)
    assert tiny * 1000 * 0.87 >= dmin / 2 - 1e-6


def test_rate_scales_durations_and_pauses():
    segs = [Seg("S", 1, False, word_initial=True), Seg("IY", 1, True, word_final_syl=True)]
    a = segment_durations(segs, 1.0)
    b = segment_durations(segs, 2.0)
    assert np.allclose(np.array(a) / 2, b)
    assert 0.15 <= pause_duration(1) <= 0.25 and 0.3 <= pause_duration(2) <= 0.5
    assert pause_duration(2, 2.0) == pytest.approx(pause_duration(2) / 2)
    with pytest.raises(ValueError):
        segment_durations(segs, 0.0)


# --------------------------------------------------------------------------- intonation
def _one_phrase(kind, n=4, syl=0.25):
    sylls = [AccentSyl(0.05 + k * syl, syl, 0.05 + k * syl + 0.05, 0.15, 1, 1.0, 0) for k in range(n)]
    end = 0.05 + n * syl
    ph = [PhraseSpan(0.05, end, 2, kind, True)]
    return f0_contour(sylls, ph, end + 0.15, 150.0, 7.0), end


def test_contour_points_increasing_and_cover_utterance():
    pts, end = _one_phrase("statement")
    t = [p[0] for p in pts]
    assert t[0] == 0.0 and t[-1] == pytest.approx(end + 0.15)
    assert all(b > a for a, b in zip(t, t[1:]))
    assert all(60 < hz < 400 for _, hz in pts)


def test_statement_falls_question_rises():
    pts, end = _one_phrase("statement")
    f = lambda x: np.interp(x, *zip(*pts))  # noqa: E731
    assert 12 * math.log2(f(end) / f(end - 0.3)) < -2.0
    pts, end = _one_phrase("yn-question")
    f = lambda x: np.interp(x, *zip(*pts))  # noqa: E731
    assert 12 * math.log2(f(end) / f(end - 0.3)) > 3.0


def test_thinning_keeps_the_contour():
    """Thinned points reproduce the dense 10 ms contour within a few cents."""
    sylls = [AccentSyl(0.05 + k * 0.2, 0.2, 0.1 + k * 0.2, 0.1, 1, 1.0, 0) for k in range(6)]
    ph = [PhraseSpan(0.05, 1.25, 2, "statement", True)]
    coarse = f0_contour(sylls, ph, 1.4, 150.0, 7.0, tol_cents=3.0)
    dense = f0_contour(sylls, ph, 1.4, 150.0, 7.0, tol_cents=0.0)
    t, hz = zip(*dense)
    approx = np.interp(t, *zip(*coarse))
    assert np.max(np.abs(1200 * np.log2(approx / np.array(hz)))) <= 3.0 + 1e-6
    assert len(coarse) < 0.7 * len(dense)


def _sentence_ends(text):
    """f0 (Hz) 20 ms before the end of each sentence of ``text`` (the plan of the whole text)."""
    from psigraph.nodes.speech.frontend.plan import plan_utterance
    p = plan_utterance(text, emotion="neutral")
    t, hz = zip(*p.f0)
    return [float(np.interp(ph.start + ph.dur - 0.02, t, hz)) for ph in p.phrases if ph.level >= 2], p


def test_paragraph_intonation_internal_ends_stay_above_the_floor():
    """A sentence end inside a turn stops ~0.45·R above the floor the turn-final sentence reaches; the
    turn-final sentence ends as a one-sentence text does; later sentences restart lower."""
    a, b = "The birch canoe slid on the smooth planks.", "Glue the sheet to the dark blue background."
    (one,), _ = _sentence_ends(a)
    (last_alone,), _ = _sentence_ends(b)
    (first, last), plan = _sentence_ends(f"{a} {b}")
    R = plan.f0_range
    assert 12 * math.log2(first / one) == pytest.approx(0.45 * R, abs=0.4)     # the raised low
    assert 12 * math.log2(last / last_alone) == pytest.approx(0.0, abs=0.3)    # the floor, as alone
    assert 12 * math.log2(first / last) > 1.5
    t, hz = zip(*plan.f0)
    s2 = plan.phrases[1].start
    start1, start2 = np.interp(plan.phrases[0].start, t, hz), np.interp(s2, t, hz)
    assert 12 * math.log2(start1 / start2) == pytest.approx((0.15 - 0.08) * R, abs=0.3)


def test_paragraph_intonation_streaming_chunks_agree():
    """iter_plans: only the chunk holding the text's last sentence ends the turn."""
    from psigraph.nodes.speech.frontend.plan import iter_plans
    text = "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background."
    whole, _ = _sentence_ends(text)
    ends = []
    for p in iter_plans(text, emotion="neutral"):
        t, hz = zip(*p.f0)
        ends += [float(np.interp(ph.start + ph.dur - 0.02, t, hz)) for ph in p.phrases if ph.level >= 2]
    assert np.allclose(ends, whole, rtol=0.01)


# --------------------------------------------------------------------------- emotion
def test_parse_emotion_forms():
    assert parse_emotion("happy") == PRESETS["happy"]
    assert parse_emotion(" Sad ") == PRESETS["sad"]
    assert parse_emotion("0.5,-0.2,0") == Emotion(0.5, -0.2, 0.0)
    assert parse_emotion((0.1, 0.2, 0.3)) == Emotion(0.1, 0.2, 0.3)
    for bad in ["grumpy", "1,2", "2,0,0", "a,b,c", None, 5]:
        with pytest.raises(ParamError):
            parse_emotion(bad)


def test_emotion_from_text():
    assert emotion_from_text("The birch canoe slid on the smooth planks.") == Emotion(0, 0, 0)
    happy = emotion_from_text("What a wonderful day, I love it!")
    sad = emotion_from_text("I am so sad, I miss her.")
    assert happy.valence > 0.4 and happy.arousal > 0.3
    assert sad.valence < -0.3 and sad.arousal < 0
    assert emotion_from_text("I am not happy.").valence < 0            # negation
    assert emotion_from_text("I am SO tired").arousal > emotion_from_text("I am so tired").arousal
    assert emotion_from_text("Really?").dominance < 0


def test_modifiers_happy_vs_sad():
    h, s = prosody_modifiers(PRESETS["happy"]), prosody_modifiers(PRESETS["sad"])
    assert h["pitch_shift_st"] - s["pitch_shift_st"] >= 3.0
    assert h["rate"] / s["rate"] >= 1.2
    assert h["pitch_range"] > 1 > s["pitch_range"]
    n = prosody_modifiers(PRESETS["neutral"])
    assert n["pitch_shift_st"] == 0 and n["rate"] == 1 and n["pitch_range"] == 1 and n["loudness_db"] == 0
    assert prosody_modifiers(PRESETS["angry"])["tremolo_depth"] > 0


# --------------------------------------------------------------------------- persona
def test_personas():
    assert {"default", "bright", "low"} <= set(list_personas())
    d = load_persona()
    assert d.name == "Tori" and 140 <= d.base_f0 <= 170
    assert load_persona("low").base_f0 < d.base_f0 < load_persona("bright").base_f0
    assert load_persona(d) is d
    assert load_persona({"base_f0": 120}).base_f0 == 120


def test_persona_errors(tmp_path):
    with pytest.raises(PersonaError, match="unknown persona"):
        load_persona("nobody")
    with pytest.raises(PersonaError, match="out of range"):
        load_persona({"base_f0": 5000})
    with pytest.raises(PersonaError, match="unknown persona field"):
        load_persona({"pitch": 100})
    bad = tmp_path / "bad.yaml"
    bad.write_text("base_f0: [1, 2\n")
    with pytest.raises(PersonaError, match="invalid YAML"):
        load_persona(str(bad))
    with pytest.raises(PsigraphError, match="cannot read"):
        load_persona(str(tmp_path / "missing.yaml"))
    good = tmp_path / "mine.yaml"
    good.write_text("name: Mine\nbase_f0: 180\nexpression: {smile: 0.5}\n")
    p = load_persona(str(good))
    assert p.name == "Mine" and p.base_f0 == 180 and p.smile == 0.5
