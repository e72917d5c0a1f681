"""Stop place: the closure voicing of /b d g/ is a weak voice bar, not a sonorant carrying the
closure's F2/F3 (benchmarks/voice_faults.py ``voice_bar``; with it at -17 dB Whisper heard "dig" as "big")."""
import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("parselmouth")

_spec = importlib.util.spec_from_file_location(
    "voice_faults", Path(__file__).resolve().parents[2] / "benchmarks" / "voice_faults.py")
V = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(V)


@pytest.mark.parametrize("word", ["dig", "bad", "gate"])
def test_voice_bar_is_about_25_db_below_the_vowel(word):
    level, _ = V.voice_bar(word)
    assert -30.0 <= level <= -20.0, f"{word!r}: closure {level:.1f} dB re vowel (natural voice bar ~ -25 dB)"
