"""Listening quality on synthetic speech (a smaller version of benchmarks/listening.py; slow).

eSpeak NG voices at several rates and pitches with anomalies spliced in at known times
(benchmarks/listen_inputs.py). Asserted: what the listener is built to catch — pitch-shifted
segments and a different speaker — is caught within 150 ms, clean speech raises at most one false
surprise per 10 s, turn ends are predicted 0.1–1 s ahead with at most one false prediction per 10 s,
and the entrained syllable frequency tracks the input's rate within 10 %. (Tempo jumps and reversed
words are measured by the benchmark, not asserted here: see docs/LISTENING.md.)
"""
import importlib.util
import os
import shutil
import sys

import pytest

pytestmark = pytest.mark.slow

BENCH = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks")


def _need():
    if shutil.which("espeak-ng") is None:
        pytest.skip("needs espeak-ng (apt-get install espeak-ng)")
    for mod in ("librosa", "soundfile"):
        if importlib.util.find_spec(mod) is None:
            pytest.skip(f"needs {mod}")
    sys.path.insert(0, os.path.abspath(BENCH))
    import listen_inputs
    import listening
    return listen_inputs, listening


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    li, bench = _need()
    voices = [li.Voice("espeak", "en-us", 150, 40), li.Voice("espeak", "en-us", 210, 60),
              li.Voice("espeak", "en+f3", 170, 70), li.Voice("espeak", "en-gb", 130, 50)]
    d = str(tmp_path_factory.mktemp("listen_corpus"))
    manifest = li.build(d, voices, clips_per_voice=1, turns=6, seed=3)
    heard = {c["name"]: bench.listen(os.path.join(d, c["name"] + ".wav")) for c in manifest["clips"]}
    return manifest, heard, bench


def test_surprise_after_pitch_and_speaker_splices_and_few_false_alarms(corpus):
    manifest, heard, bench = corpus
    s = bench.surprise_scores(manifest, heard)
    caught = sum(s["by_kind"].get(k, [0, 0])[0] for k in ("pitch", "speaker"))
    spliced = sum(s["by_kind"].get(k, [0, 0])[1] for k in ("pitch", "speaker"))
    assert spliced >= 8 and caught / spliced >= 0.9, s["by_kind"]
    assert max(s["latency_s"]) <= 0.15
    assert s["false_per_10s"] <= 1.0, s


def test_turn_ends_predicted_ahead(corpus):
    manifest, heard, bench = corpus
    t = bench.turn_scores(manifest, heard)
    assert t["hit_rate"] >= 0.7 and t["false_per_10s"] <= 1.0, t


def test_entrained_rate_tracks_espeak_rates(tmp_path):
    li, bench = _need()
    voices = [li.Voice("espeak", "en-us", s, 50) for s in (150, 190, 230)]
    rows = bench.rate_tracking(str(tmp_path), voices, turns=4)
    for label, true, got, err in rows:
        assert 3.0 <= true <= 7.0 and abs(err) <= 0.10, (label, true, got)
