"""Speech-like test signals with known timing (for tests, examples and benchmarks of listening).

:func:`syllable_train` makes phrases of "syllables": a voiced harmonic complex (a falling intonation
contour around ``f0``) under a raised-cosine envelope per syllable, separated by short consonant-like
dips, with phrase pauses. Every syllable onset time is known exactly, so rates and detections can
be checked without a speech synthesiser.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class SyllableTrain:
    audio: np.ndarray                                  # mono float64
    rate: int                                          # Hz
    onsets: list = field(default_factory=list)         # seconds of each syllable's start
    phrases: list = field(default_factory=list)        # [start_s, end_s] of each phrase
    speaking_s: float = 0.0                            # the phrases' total duration


def syllable_train(syll_per_s: float, phrases: int = 3, per_phrase: int = 10, f0: float = 120.0,
                   rate: int = 24000, jitter: float = 0.15, pause_s: float = 0.6, fall_st: float = 4.0,
                   seed: int = 0) -> SyllableTrain:
    """Phrases of ``per_phrase`` syllables at ``syll_per_s`` (durations jittered by ±``jitter``),
    ``pause_s`` of silence around phrases; f0 falls by ``fall_st`` semitones over each phrase."""
    rng = np.random.default_rng(seed)
    out, onsets, spans = [np.zeros(int(pause_s * rate))], [], []
    t = len(out[0])
    for _ in range(phrases):
        start = t
        durs = (1.0 / syll_per_s) * (1.0 + jitter * rng.uniform(-1, 1, per_phrase))
        total = int(durs.sum() * rate)
        tt = np.arange(total) / rate
        contour = f0 * 2.0 ** (-fall_st / 12.0 * tt / max(tt[-1], 1e-9))
        phase = 2 * np.pi * np.cumsum(contour) / rate
        voice = sum(np.sin(k * phase) / k for k in range(1, 16))
        env = np.zeros(total)
        a = 0
        for d in durs:
            n = int(d * rate)
            seg = np.arange(n) / max(n - 1, 1)
            env[a:a + n] = np.where(seg < 0.8, np.sin(np.pi * np.minimum(seg / 0.8, 1.0)) ** 2, 0.0) + 0.02
            onsets.append((t + a) / rate)
            a += n
        out.append(0.25 * voice * env)
        t += total
        spans.append([start / rate, t / rate])
        gap = np.zeros(int(pause_s * rate))
        out.append(gap)
        t += len(gap)
    audio = np.concatenate(out)
    return SyllableTrain(audio, rate, onsets, spans, float(sum(b - a for a, b in spans)))
