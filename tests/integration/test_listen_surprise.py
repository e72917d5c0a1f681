"""Surprise while listening, on generated speech-like input with anomalies spliced at known times.

Two synthetic voices (psigraph.nodes.listen.synth: a low voice at 4 syllables/s and a high one at 6)
speak five phrases; phrases 2-5 each get one anomaly made by the benchmark's own splicer
(benchmarks/listen_inputs.splice: pitch ±6 st for 0.4 s, the rest of the phrase 1.8x faster,
0.35 s reversed, 0.5 s of another voice). The listening graph (graphs/listen.yaml, no face) must
raise a surprise within 150 ms of the pitch, speaker and reversed splices, and at most one false
surprise per 10 s on the clean twin. Tempo jumps are mostly not caught within 150 ms (a strict xfail
with the measured reason; see docs/LISTENING.md).
"""
import importlib.util
import os
import sys

import numpy as np
import pytest
from psigraph.nodes.listen.synth import syllable_train

RATE = 24000
DETECT_S = 0.15
KINDS = ("pitch", "speaker", "tempo", "reversed")
VOICES = {"low": dict(syll_per_s=4.0, f0=110.0, seed=21), "high": dict(syll_per_s=6.0, f0=210.0, seed=22)}
BENCH = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks")


def _splicer():
    if importlib.util.find_spec("librosa") is None:
        pytest.skip("needs librosa (the benchmark's splicer)")
    sys.path.insert(0, os.path.abspath(BENCH))
    import listen_inputs
    return listen_inputs


def _phrases(voice: dict, seed_shift: int = 0):
    """Five phrases of ``voice`` (arrays) and the silences that follow them."""
    train = syllable_train(voice["syll_per_s"], phrases=5, per_phrase=10, f0=voice["f0"], pause_s=0.8,
                           seed=voice["seed"] + seed_shift)
    edges = [int(round(t * RATE)) for span in train.phrases for t in span]
    lead = train.audio[:edges[0]]
    phrases = [train.audio[a:b] for a, b in zip(edges[::2], edges[1::2])]
    gaps = [train.audio[b:a] for b, a in zip(edges[1::2], edges[2::2] + [len(train.audio)])]
    return lead, phrases, gaps


def make(voice: str, spliced: bool):
    """(audio, [(time_s, kind)]) — the clean clip, or its twin with one anomaly in phrases 2-5."""
    li = _splicer()
    lead, phrases, gaps = _phrases(VOICES[voice])
    other = _phrases(dict(syll_per_s=5.0, f0=VOICES[voice]["f0"] * 2 ** (9 / 12), seed=99))[1][0]
    rng = np.random.default_rng(7)
    parts, anomalies, t = [lead], [], len(lead)
    for i, (x, gap) in enumerate(zip(phrases, gaps)):
        if spliced and i > 0:
            kind = KINDS[i - 1]
            pts = li.voiced_points(x, 0.35, len(x) / RATE - (0.7 if kind == "tempo" else 0.9))
            at = int(pts[rng.integers(0, len(pts))])
            x = li.splice(x, kind, at, rng, other)
            anomalies.append(((t + at) / RATE, kind))
        parts += [x, gap]
        t += len(x) + len(gap)
    return np.concatenate(parts), anomalies


def surprises(listen_blocks, audio, tmp_path, name):
    blocks, rate = listen_blocks(audio, RATE, tmp_path / f"{name}.wav", "surprise.events")
    return [e.t / rate for events in blocks for e in events if e.kind == "surprise"]


@pytest.fixture(scope="module")
def heard(listen_blocks, tmp_path_factory):
    out = {}
    d = tmp_path_factory.mktemp("surprise")
    for voice in VOICES:
        for spliced in (False, True):
            audio, anomalies = make(voice, spliced)
            out[voice, spliced] = (len(audio) / RATE, anomalies, surprises(listen_blocks, audio, d, f"{voice}-{spliced}"))
    return out


def latency(heard, voice, kind):
    """Seconds from the ``kind`` splice to the first surprise after it (None: none within 0.5 s)."""
    _, anomalies, times = heard[voice, True]
    (at,) = [t for t, k in anomalies if k == kind]
    after = [s - at for s in times if 0.0 <= s - at <= 0.5]
    return after[0] if after else None


@pytest.mark.parametrize("voice", list(VOICES))
def test_clean_speech_raises_at_most_one_false_surprise_per_10s(heard, voice):
    seconds, _, times = heard[voice, False]
    assert seconds > 10.0
    assert 10.0 * len(times) / seconds <= 1.0, times


@pytest.mark.parametrize("voice", list(VOICES))
@pytest.mark.parametrize("kind", ["pitch", "speaker", "reversed"])
def test_pitch_speaker_and_reversed_splices_surprise_within_150_ms(heard, voice, kind):
    lat = latency(heard, voice, kind)
    assert lat is not None and lat <= DETECT_S, lat


@pytest.mark.xfail(strict=True, reason="a 1.8x tempo jump is barely evidenced within 150 ms: the first complete "
                   "interval at the new tempo ends a median 202 ms after the splice, and the one earlier cue, a "
                   "shortened vowel nucleus (AUC 0.80-0.84 against clean speech), overlaps the speaker's own "
                   "short nuclei: 3/18 caught at <= 1 false alarm per 10 s (benchmark corpus)")
@pytest.mark.parametrize("voice", list(VOICES))
def test_tempo_jump_surprises_within_150_ms(heard, voice):
    lat = latency(heard, voice, "tempo")
    assert lat is not None and lat <= DETECT_S, lat
