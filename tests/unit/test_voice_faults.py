"""One acoustic check per segmental fault of issue 15, on the rendered audio (benchmarks/voice_faults.py
holds the measurements and prints the full table)."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("parselmouth")

_spec = importlib.util.spec_from_file_location(
    "voice_faults", Path(__file__).resolve().parents[2] / "benchmarks" / "voice_faults.py")
V = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(V)


@pytest.mark.parametrize("word", ["clue", "train"])
def test_aspiration_runs_into_the_sonorant_of_a_cluster(word):
    vot = V.cluster_vot(word)
    assert vot >= 45.0, f"VOT of {word!r} {vot:.0f} ms (natural 50-70 ms)"


@pytest.mark.parametrize("word", ["sum", "run", "sung"])
def test_nasal_murmur_keeps_its_mid_band(word):
    rel = V.nasal_band_db(word)
    assert rel >= -25.0, f"{word!r}: murmur 0.5-2 kHz {rel:.1f} dB re vowel (a voice bar is -30 dB or less)"
    low = V.nasal_low_re_mid_db(word)
    assert low >= 10.0, f"{word!r}: murmur below 0.4 kHz only {low:.1f} dB above its 0.5-2 kHz band (not nasal)"


def test_nasal_zero_rises_with_place():
    z = {ph: V.murmur_zero(ph) for ph in ("M", "N", "NG")}
    assert z["M"] < 1400.0 < z["N"] < 2400.0 < z["NG"], z


@pytest.mark.parametrize("voiceless,voiced", [("tap", "tab")])
def test_vowels_are_longer_before_voiced_finals(voiceless, voiced):
    ratio = V.vowel_length(voiced) / V.vowel_length(voiceless)
    assert ratio >= 1.3, f"{voiced}/{voiceless} vowel length ratio {ratio:.2f} (Klatt: 1.3-1.5)"


@pytest.mark.parametrize("word", ["who"])
def test_h_is_broadband_and_weak(word):
    c, level = V.h_measures(word)
    assert c >= 2500.0, f"/h/ of {word!r}: centroid {c:.0f} Hz"
    assert level <= -12.0, f"/h/ of {word!r}: {level:.1f} dB re vowel"


@pytest.mark.parametrize("word", ["bore"])
def test_postvocalic_r_has_a_long_low_f3(word):
    ms = V.r_low_f3_ms(word)
    assert ms >= 60.0, f"{word!r}: F3 <= 2 kHz for {ms:.0f} ms"


@pytest.mark.parametrize("word", ["chip", "gin"])
def test_affricates_have_a_closure(word):
    ms = V.affricate_closure_ms(word)
    assert ms >= 30.0, f"{word!r}: closure silence {ms:.0f} ms"


def test_affricate_onset_is_abrupt_and_sh_onset_gradual():
    sh, ch = V.rise_time_ms("ship"), V.rise_time_ms("chip")
    assert sh >= 30.0, f"/ʃ/ rise {sh:.0f} ms (natural ~45 ms)"
    assert ch < sh, f"affricate rise {ch:.0f} ms not shorter than /ʃ/'s {sh:.0f} ms"


def test_p_burst_is_low_and_diffuse_and_bursts_are_not_too_strong():
    p = V.burst_measures("pat")
    t = V.burst_measures("tat")
    k = V.burst_measures("cat")
    assert p[0] < min(t[0], k[0]), f"/p/ burst centroid {p[0]:.0f} Hz vs /t/ {t[0]:.0f}, /k/ {k[0]:.0f}"
    assert p[1] <= 0.0, f"/p/ burst spectrum slope {p[1]:.1f} dB/kHz (labial bursts fall)"
    assert max(p[2], t[2], k[2]) <= -10.5, f"burst levels re vowel {p[2]:.1f}/{t[2]:.1f}/{k[2]:.1f} dB"


def test_accents_are_not_all_the_same():
    from psigraph.nodes.speech.offline import plan
    pl = plan("Cold rain soaked the tired hikers.")
    acc = sorted({round(s.accent, 2) for s in pl.syllables if s.stress > 0})
    assert len(acc) >= 2 and acc[0] < 0.5, f"accent strengths of the stressed syllables: {acc}"
    pl = plan("The dog saw another dog.")
    dog = [s.accent for s in pl.syllables if pl.words[s.word].text.lower() == "dog"]
    assert dog[1] < dog[0], f"a repeated (given) word keeps its accent: {dog}"
