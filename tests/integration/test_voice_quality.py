"""Acoustic checks of the voice with praat-parselmouth: pitch tracking, vowel formants, emotion.

Numbers quoted in the voice report come from these tests (run with ``-m slow``).
"""
import numpy as np
import pytest

parselmouth = pytest.importorskip("parselmouth")

from psigraph.nodes.speech import phonetics as P
from psigraph.nodes.speech.offline import plan, render_plan
from psigraph.kernels.tract import CHANNELS, Tract
from psigraph.nodes.speech.voice import VoiceQuality, VoiceSynth

FS = 24000


def _sound(a):
    return parselmouth.Sound(np.asarray(a, dtype=np.float64), sampling_frequency=FS)


def _pitch(a, floor=60.0, ceiling=500.0):
    p = _sound(a).to_pitch(time_step=0.01, pitch_floor=floor, pitch_ceiling=ceiling)
    t = p.xs()
    f = p.selected_array["frequency"]
    return t, f


def pitch_error_cents(text="The birch canoe slid on the smooth planks.", **kw):
    pl = plan(text, **kw)
    a = render_plan(pl)
    t, f = _pitch(a)
    v = f > 0
    cents = 1200 * np.log2(f[v] / pl.f0_at(t[v]))
    return float(np.median(np.abs(cents))), int(v.sum())


@pytest.mark.slow
@pytest.mark.parametrize("text", ["The birch canoe slid on the smooth planks.",
                                  "Is it going to rain tomorrow?",
                                  "What a wonderful surprise!"])
def test_pitch_follows_plan(text):
    err, n = pitch_error_cents(text)
    assert n > 50
    assert err <= 5.0, f"median |f0 error| {err:.2f} cents"


def sustained_vowel(ph, f0=120.0, seconds=0.5):
    tg = P.vowel_targets(ph)
    vals = {**tg, "f0": f0, "AV": 1.0}
    track = Tract().run([(0, {"values": vals, "mode": "step"})], int(seconds * 200) + 2)
    v = VoiceSynth(CHANNELS, VoiceQuality(jitter=0.0, shimmer=0.0, breathiness=0.0))
    return v.render(0, track, int(seconds * FS)), tg


def formant_errors(f0=120.0):
    errs = []
    for ph in ("IY", "IH", "EH", "AE", "AA", "AO", "AH", "UH", "UW", "ER"):
        a, tg = sustained_vowel(ph, f0)
        fm = _sound(a).to_formant_burg(time_step=0.01, max_number_of_formants=5, maximum_formant=5000)
        ts = [t for t in fm.xs() if 0.1 <= t <= 0.4]
        f1 = np.median([fm.get_value_at_time(1, t) for t in ts])
        f2 = np.median([fm.get_value_at_time(2, t) for t in ts])
        errs.append((ph, f1 - tg["F1"], f2 - tg["F2"]))
    return errs


@pytest.mark.slow
def test_sustained_vowels_hit_formant_targets():
    errs = formant_errors()
    e1 = np.median([abs(e[1]) for e in errs])
    e2 = np.median([abs(e[2]) for e in errs])
    assert e1 <= 40.0 and e2 <= 80.0, f"median |error| F1 {e1:.0f} Hz, F2 {e2:.0f} Hz: {errs}"


def _speech_span(a, thresh_db=-35.0):
    env = np.sqrt(np.convolve(a.astype(np.float64) ** 2, np.ones(480) / 480, mode="same"))
    db = 20 * np.log10(env / env.max() + 1e-12)
    idx = np.flatnonzero(db > thresh_db)
    return (idx[-1] - idx[0]) / FS


def emotion_measures(text="I went to the market this morning and bought some bread."):
    out = {}
    for emo in ("happy", "sad"):
        a = render_plan(plan(text, emotion=emo))
        t, f = _pitch(a)
        f = f[f > 0]
        out[emo] = (float(np.mean(12 * np.log2(f / 100.0))), _speech_span(a))
    dst = out["happy"][0] - out["sad"][0]
    rate = out["sad"][1] / out["happy"][1] - 1.0
    return dst, rate


@pytest.mark.slow
def test_happy_vs_sad_is_measurable():
    dst, rate = emotion_measures()
    assert dst >= 3.0, f"mean f0 difference {dst:.2f} st"
    assert rate >= 0.15, f"speaking-rate difference {100 * rate:.0f} %"


def question_rise(text="Are you coming to the party tonight?"):
    a = render_plan(plan(text))
    t, f = _pitch(a)
    tv, fv = t[f > 0], f[f > 0]
    tail = fv[tv >= tv[-1] - 0.12]
    before = fv[(tv < tv[-1] - 0.12) & (tv >= tv[-1] - 0.6)]
    return float(12 * np.log2(np.median(tail[-3:]) / np.min(before)))


@pytest.mark.slow
def test_yes_no_question_ends_rising():
    rise = question_rise()
    assert rise >= 2.0, f"final rise {rise:.2f} st"
