"""turn_end_predicted on multi-phrase turns: the entrainment node (nodes/listen/turns.py) learns,
from what followed each final fall (the speaker went on after a short pause, or fell silent), at
which place in a turn this speaker's falls end the turn, and — where the speaker's turn ends fall
lower than their sentence ends inside turns (paragraph intonation) — how low a turn end falls."""
import numpy as np
import pytest
import soundfile as sf

import psigraph
from psigraph.runtime import Session
from psigraph.runtime.shipped import graph_path

RATE = 24000


def declarative(syllables=8, rate=4.0, f0=120.0, final_st=7.0, seed=0):
    """A falling declarative phrase: syllables (voiced harmonic complex under a raised cosine each) on a
    gently declining pitch with small accents, falling ``final_st`` semitones over the last 1.5
    syllables (to the speaker's floor)."""
    rng = np.random.default_rng(seed)
    durs = (1.0 / rate) * (1.0 + 0.2 * rng.uniform(-1, 1, syllables))
    n = int(durs.sum() * RATE)
    t = np.arange(n) / RATE
    end = t[-1]
    fall_from = end - 1.5 * durs[-1]
    st = -1.0 * t / end + 0.8 * np.sin(2 * np.pi * rate / 2 * t)
    st -= final_st * np.clip((t - fall_from) / (end - fall_from), 0.0, 1.0)
    phase = 2 * np.pi * np.cumsum(f0 * 2.0 ** (st / 12.0)) / RATE
    voice = sum(np.sin(k * phase) / k for k in range(1, 16))
    env, a = np.zeros(n), 0
    for d in durs:
        m = min(int(d * RATE), n - a)
        x = np.arange(m) / max(m - 1, 1)
        env[a:a + m] = np.where(x < 0.8, np.sin(np.pi * np.minimum(x / 0.8, 1.0)) ** 2, 0.0) + 0.02
        a += m
    return 0.25 * voice * env


def two_phrase_turns(turns=8, inner_s=0.35, gap_s=1.3):
    """Turns of two declarative phrases ``inner_s`` apart, ``gap_s`` of silence between turns:
    (audio, [(end of the first phrase, end of the turn)] in s)."""
    parts, marks, t = [np.zeros(int(0.5 * RATE))], [], 0.5
    for i in range(turns):
        a, b = declarative(seed=2 * i), declarative(seed=2 * i + 1)
        parts += [a, np.zeros(int(inner_s * RATE)), b, np.zeros(int(gap_s * RATE))]
        inner = t + len(a) / RATE
        t = inner + inner_s + len(b) / RATE
        marks.append((inner, t))
        t += gap_s
    return np.concatenate(parts), marks


def paragraph_turns(shapes=(1, 2) * 6, inner_st=3.5, final_st=7.5, inner_s=0.35, gap_s=1.3):
    """Turns of one or two phrases; a phrase inside a turn falls ``inner_st``, the turn's last one
    ``final_st`` (paragraph intonation): (audio, turn ends, ends of phrases inside turns) in s."""
    parts, ends, inner, t, k = [np.zeros(int(0.5 * RATE))], [], [], 0.5, 0
    for n in shapes:
        for j in range(n):
            x = declarative(seed=k, final_st=final_st if j == n - 1 else inner_st)
            k += 1
            t += len(x) / RATE
            pause = gap_s if j == n - 1 else inner_s
            (ends if j == n - 1 else inner).append(t)
            parts += [x, np.zeros(int(pause * RATE))]
            t += pause
    return np.concatenate(parts), ends, inner


def predicted(tmp_path, audio, **params):
    path = str(tmp_path / "turns.wav")
    sf.write(path, audio, RATE, subtype="PCM_16")
    g = psigraph.load(graph_path("listen"))
    g.set_param("source", "path", path)
    for name, v in params.items():
        g.set_param("entrain", name, v)
    g.remove_node("face")
    out = []
    with Session(g, block=4800) as s:
        s.watch("entrain.events")
        for got in s.until_done(max_duration=None):
            out += [e.t / RATE for e in got["entrain.events"] if e.kind == "turn_end_predicted"]
    return np.array(out)


def ahead(times, end):
    return bool(((end - times >= 0.1) & (end - times <= 1.0)).any())


@pytest.fixture(scope="module")
def turns():
    return two_phrase_turns()


def test_after_a_few_turns_only_the_turn_final_fall_predicts_the_end(tmp_path, turns):
    audio, marks = turns
    times = predicted(tmp_path, audio)
    learnt = marks[3:]                                  # three turns to learn the speaker from
    assert sum(ahead(times, end) for _, end in learnt) >= 0.8 * len(learnt)
    assert sum(ahead(times, inner) for inner, _ in learnt) <= 1
    minutes_false = [t for t in times if not any(ahead(np.array([t]), end) for _, end in marks)]
    assert 10.0 * len(minutes_false) / (len(audio) / RATE) <= 1.0


def test_without_learning_every_final_fall_predicts_a_turn_end(tmp_path, turns):
    audio, marks = turns
    times = predicted(tmp_path, audio, learn_turns=False)
    inner = sum(ahead(times, a) for a, _ in marks)
    assert inner >= 0.8 * len(marks)                      # a fall inside a turn sounds like a turn end


def test_paragraph_intonation_turn_ends_fall_lower_and_are_told_apart(tmp_path):
    """One- and two-phrase turns mixed: where a fall is in the turn says nothing (place 1 ends half the
    turns), but the turn-final falls go deeper. After a few turns the depth cue predicts the ends of
    one- and two-phrase turns alike and not the shallower falls inside turns."""
    audio, ends, inner = paragraph_turns()
    times = predicted(tmp_path, audio)
    learnt_ends, learnt_inner = ends[4:], inner[2:]       # four turns (six phrases) to learn from
    assert sum(ahead(times, e) for e in learnt_ends) >= 0.8 * len(learnt_ends)
    assert sum(ahead(times, e) for e in learnt_inner) <= 1
    every = predicted(tmp_path, audio, learn_turns=False)
    assert sum(ahead(every, e) for e in inner) >= 0.8 * len(inner)   # the inner falls are final falls too
