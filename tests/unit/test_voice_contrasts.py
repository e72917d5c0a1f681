"""Segmental contrasts the minimal-pair probes (benchmarks/minimal_pairs.py) lost, measured on the
rendered audio of "Say X again." (benchmarks/voice_faults.py renders and segments it):
/dʒ/ vs /tʃ/ (a voice bar in the closure), /æ/ vs /ɛ/ and /ɑ/ vs /ʌ/ (F1 and F2 apart)."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("parselmouth")

_spec = importlib.util.spec_from_file_location(
    "voice_faults", Path(__file__).resolve().parents[2] / "benchmarks" / "voice_faults.py")
V = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(V)


def _closure_low_band_db(word: str) -> float:
    """0.1–0.5 kHz level of an affricate's closure (first 40 % of the phone) re its word's vowel."""
    a, ph = V.utter(word)
    wp = V.word_phones(ph)
    aff, vow = wp[0], next(p for p in wp if p[0] in V._VOWELS)
    c = V._seg(a, aff[1] + 0.05 * (aff[2] - aff[1]), aff[1] + 0.4 * (aff[2] - aff[1]))
    return V.band_db(c, 100, 500) - V.band_db(V._seg(a, vow[1], vow[2]), 100, 500)


def test_voiced_affricate_closure_has_a_voice_bar():
    jh, ch = _closure_low_band_db("gin"), _closure_low_band_db("chin")
    assert jh - ch >= 15.0, f"closure 0.1-0.5 kHz re vowel: /dʒ/ {jh:.1f} dB, /tʃ/ {ch:.1f} dB"
    assert V.affricate_closure_ms("gin") >= 30.0      # the voice bar stays below 1 kHz


def _formants_mid(word: str) -> tuple[float, float]:
    """(F1, F2) Hz, median over the middle third of the word's vowel (Burg, 5 formants ≤ 5 kHz)."""
    import parselmouth
    a, ph = V.utter(word)
    vow = next(p for p in V.word_phones(ph) if p[0] in V._VOWELS)
    fm = parselmouth.Sound(a, sampling_frequency=V.FS).to_formant_burg(
        time_step=0.005, max_number_of_formants=5, maximum_formant=5000, window_length=0.025)
    d = vow[2] - vow[1]
    ts = [t for t in fm.xs() if vow[1] + d / 3 <= t < vow[2] - d / 3]
    return tuple(float(np.median([fm.get_value_at_time(k, t) for t in ts])) for k in (1, 2))


def test_low_front_and_low_back_vowels_are_apart():
    ae, eh = _formants_mid("bat"), _formants_mid("bet")
    aa, ah = _formants_mid("lock"), _formants_mid("luck")
    assert ae[0] - eh[0] >= 80.0, f"F1 /æ/ {ae[0]:.0f} vs /ɛ/ {eh[0]:.0f} Hz"
    assert eh[1] - ae[1] >= 40.0, f"F2 /ɛ/ {eh[1]:.0f} vs /æ/ {ae[1]:.0f} Hz"
    assert aa[0] - ah[0] >= 60.0, f"F1 /ɑ/ {aa[0]:.0f} vs /ʌ/ {ah[0]:.0f} Hz"
    assert ah[1] - aa[1] >= 40.0, f"F2 /ɑ/ {aa[1]:.0f} vs /ʌ/ {ah[1]:.0f} Hz"
