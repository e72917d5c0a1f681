"""Emotional memory (issue 10): `say --db STORE --like ID | --like-text TEXT [--like B --mix W]` speaks new
words in a stored tone, and a persona's last mood is restored in its next session.

Distance (psigraph.memory.tone.distance): the Euclidean norm of the differences of normalised prosody
features of two signatures — f0 level (median over audible voicing) in semitones, f0 range (5–95 %) in
semitones, speaking rate in 5 % steps (ln syllables per second / ln 1.05), mean pause in 50 ms steps
(only when both have pauses) — each unit near that feature's just-noticeable difference. The emotion
vector is not part of it (a recalled tone copies it; it would flatter the comparison); it is checked
on its own. Run with -s for the numbers.
"""
from __future__ import annotations

import hashlib
import math
import os

import numpy as np
import pytest

from psigraph.runtime.cli import main

#: ten stored utterances with a strong emotion (names and V,A,D triples), different sentences; several
#: have two sentences, so a pause
ORIGINALS = [
    ("I am so happy to see you again! This is wonderful.", "happy"),
    ("This is the worst day of my life. Nothing went right.", "sad"),
    ("Get out of my house right now! I mean it.", "angry"),
    ("Take a deep breath, and let the day go.", "calm"),
    ("We won the championship! Can you believe it?", "excited"),
    ("Wait, the door was open the whole time?", "surprised"),
    ("I miss the old house by the lake.", "-0.8,-0.5,-0.5"),
    ("Stop talking and listen to me.", "-0.6,0.9,0.8"),
    ("What a lovely morning for a walk in the park!", "0.9,0.7,0.4"),
    ("Everything is quiet now, and the lights are low.", "0.2,-0.8,-0.2"),
]
#: new words (no emotion of their own), one per stored utterance
NEW = [
    "The boy was there when the sun rose. A rod is used to catch pink salmon.",
    "A rod is used to catch pink salmon.",
    "The source of the huge river is the clear spring. Kick the ball straight.",
    "Kick the ball straight and follow through.",
    "Smoky fires lack flame and heat.",
    "The soft cushion broke the man's fall.",
    "The salt breeze came across from the sea. The pup gnawed a hole.",
    "The girl at the booth sold fifty bonds.",
    "The small pup gnawed a hole in the sock.",
    "The fish twisted and turned. It hung on the bent hook.",
]
STEP = 2.0 ** -14            # quantisation step of the emotion channels (codec kind 'linear')


def say(db, *args, out="x.wav") -> tuple:
    """Run `say` into ``db``; (id, signature, utterance) of what it stored."""
    from psigraph.memory import Store
    assert main(["say", *args, "-o", out, "--db", str(db), "-q"]) == 0
    with Store(str(db), create=False) as s:
        u = s.utterances()[-1]
        return u.id, s.signature(u.id), u


def circ(a: float, b: float) -> float:
    return abs((a - b + math.pi) % (2 * math.pi) - math.pi)


def phase_error(sa: dict, sb: dict) -> float:
    return max(circ(sa["phase_offsets"][r], sb["phase_offsets"][r]) for r in ("smile", "brow"))


# ---------------------------------------------------------------- recall
def test_new_words_said_like_a_stored_utterance_take_its_tone(tmp_cwd, capsys):
    from psigraph.memory.tone import distance, features
    db = tmp_cwd / "m.db"
    rows = []
    for k, ((text, emotion), new) in enumerate(zip(ORIGINALS, NEW)):
        keep = ["--keep-text"] if k % 3 == 2 else []
        oid, orig, _ = say(db, text, f"--emotion={emotion}", "--seed", str(100 + k), *keep)
        _, neutral, _ = say(db, new, "--emotion=neutral")
        if k % 3 == 0:
            like = ["--like", str(oid)]                          # by id
        elif k % 3 == 1:
            like = ["--like-text", text.upper()]                 # by the hash of the canonical text
        else:
            like = ["--like-text", text.lower().rstrip(".!?") + " today"]   # nearest kept text
        _, liked, u = say(db, new, *like)
        assert u.emotion == pytest.approx(orig["emotion"], abs=1e-9), (emotion, "the stored emotion is recalled")
        d_neutral, d_like = distance(neutral, orig), distance(liked, orig)
        rows.append((emotion, d_neutral, d_like, phase_error(neutral, orig), phase_error(liked, orig),
                     features(orig), features(liked)))
        assert d_like <= 0.25 * d_neutral, (emotion, d_like, d_neutral)
        assert phase_error(liked, orig) < 0.3, (emotion, "expression phases follow the stored ones")
    with capsys.disabled():
        print("\nemotion          d(neutral)  d(like)  like/neutral  |Δphase| neutral  like   "
              "f0 st / range st / rate / pause (original → like)")
        for emo, dn, dl, pn, pl, fo, fl in rows:
            f = " ".join(f"{fo[k]:.2f}→{fl[k]:.2f}" if fo[k] is not None and fl[k] is not None else "-"
                         for k in ("f0_level_st", "f0_range_st", "rate_log", "pause_s"))
            print(f"{emo:16s} {dn:9.2f}  {dl:7.3f}  {dl / dn:11.3f}  {pn:15.2f}  {pl:5.2f}   {f}")


def test_mix_moves_from_one_stored_tone_to_the_other(tmp_cwd, capsys):
    from psigraph.memory.tone import distance
    db = tmp_cwd / "m.db"
    a, sa, _ = say(db, ORIGINALS[0][0], "--emotion=happy")
    b, sb, _ = say(db, ORIGINALS[1][0], "--emotion=sad")
    out = []
    for w in (0.0, 0.5, 1.0):
        _, sm, u = say(db, NEW[0], "--like", str(a), "--like", str(b), "--mix", str(w))
        out.append((w, distance(sm, sa), distance(sm, sb), u.emotion))
    to_a, to_b = [o[1] for o in out], [o[2] for o in out]
    assert to_a[0] < to_a[1] < to_a[2] and to_b[0] > to_b[1] > to_b[2], out
    d_ab = distance(sa, sb)
    assert to_a[0] <= 0.25 * d_ab and to_b[2] <= 0.25 * d_ab and abs(to_a[1] - to_b[1]) <= 0.25 * d_ab
    assert out[1][3] == pytest.approx(tuple((x + y) / 2 for x, y in zip(sa["emotion"], sb["emotion"])))
    with capsys.disabled():
        print(f"\nmix: d(A, B) = {d_ab:.2f}; " + "; ".join(f"w={w}: d(·, A) {x:.2f}, d(·, B) {y:.2f}"
                                                       for w, x, y, _ in out))


# ---------------------------------------------------------------- persona mood
def test_persona_mood_is_restored_in_the_next_session(tmp_cwd, capsys):
    from psigraph.memory import Store
    from psigraph.memory.tone import distance
    db = tmp_cwd / "m.db"
    first, sig1, _ = say(db, ORIGINALS[2][0], "--emotion=angry", "--persona", "bright")
    with Store(str(db), create=False) as s:
        mood = s.mood("bright")
        last_macro = list(s.frames(first, 2))[-1]
        assert s.mood("default") is None
    assert mood["utterance"] == first
    assert mood["macro"] == last_macro.data[0].tolist(), "the mood is the last macro frame, as stored"
    # next session, same store and persona, no emotion flags: it starts in that mood
    second, sig2, u2 = say(db, NEW[0], "--persona", "bright")
    with Store(str(db), create=False) as s:
        rows = s.replay(second)
        labels = list(s.utterance(second).labels)
        macro = [f.emo_vec for f in s.frames(second, 2)]
    emo = rows[:, [labels.index(c) for c in ("valence", "arousal", "dominance")]]
    err = float(np.abs(emo - np.array(mood["macro"][:3])).max())
    err_macro = float(np.abs(np.array(macro) - np.array(mood["macro"][:3])).max())
    assert err <= STEP / 2 and err_macro <= STEP / 2, (err, err_macro)
    # and its prosody continues the stored one, unlike a fresh start
    _, fresh, u3 = say(db, NEW[0], "--persona", "bright", "--no-mood")
    assert u3.emotion == (0.0, 0.0, 0.0)
    d_restored, d_fresh = distance(sig2, sig1), distance(fresh, sig1)
    assert d_restored <= 0.25 * d_fresh, (d_restored, d_fresh)
    # another persona has no mood yet: the text's own emotion (none here)
    _, _, u4 = say(db, NEW[0], "--persona", "low")
    assert u4.emotion == (0.0, 0.0, 0.0)
    # an explicit emotion wins over the mood
    _, _, u5 = say(db, NEW[0], "--persona", "bright", "--emotion=happy")
    assert u5.emotion == pytest.approx((0.8, 0.5, 0.3))
    with capsys.disabled():
        print(f"\nmood: restored emotion error {err:.2e} (rows), {err_macro:.2e} (macro frames), step {STEP:.2e}; "
              f"prosody distance to the stored tone {d_restored:.3f} restored vs {d_fresh:.2f} fresh")


# ---------------------------------------------------------------- errors
def _state(paths) -> dict:
    out = {}
    for p in paths:
        if os.path.exists(p):
            st = os.stat(p)
            out[p] = (st.st_size, st.st_mtime_ns, hashlib.sha256(open(p, "rb").read()).hexdigest())
    return out


@pytest.mark.parametrize("args, first", [
    (["--like", "99"], "error: --like: no utterance 99 in"),
    (["--like-text", "Completely unrelated words about turnips."], "error: --like-text: nothing in"),
    (["--like", "1", "--like", "99", "--mix", "0.3"], "error: --like: no utterance 99 in"),
])
def test_unknown_like_is_one_line_and_writes_nothing(tmp_cwd, capsys, args, first):
    db = tmp_cwd / "m.db"
    say(db, "I am so happy to see you again!", "--emotion=happy", "--keep-text")
    files = [str(db), str(db) + "-wal", str(db) + "-shm"]
    before = _state(files)
    capsys.readouterr()
    rc = main(["say", "New words.", *args, "-o", "new.wav", "--frames", "new.jsonl", "--db", str(db), "-q"])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert rc == 1 and len(lines) == 1 and lines[0].startswith(first), err
    assert not (tmp_cwd / "new.wav").exists() and not (tmp_cwd / "new.jsonl").exists()
    assert _state(files) == before, "a failed --like changed the store"


@pytest.mark.parametrize("args, message", [
    (["--like", "1"], "--like and --like-text need --db STORE"),
    (["--like", "1", "--mix", "0.5", "--db", "m.db"], "--mix needs two --like/--like-text"),
    (["--like", "1", "--like", "1", "--mix", "1.5", "--db", "m.db"], "--mix must be 0..1"),
    (["--like", "1", "--like", "2", "--like", "3", "--db", "m.db"], "at most 2 stored utterances"),
    (["--like", "1", "--emotion", "sad", "--db", "m.db"], "--emotion and --like both set how it is said"),
    (["--like-text", " ", "--db", "m.db"], "--like-text: the text is empty"),
    (["--no-mood"], "--no-mood needs --db STORE"),
])
def test_like_argument_errors_are_one_line(tmp_cwd, capsys, args, message):
    rc = main(["say", "Hi.", "-o", "a.wav", *args])
    err = capsys.readouterr().err
    assert rc == 1 and message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_cwd / "a.wav").exists() and not (tmp_cwd / "m.db").exists()


def test_like_needs_an_existing_store(tmp_cwd, capsys):
    rc = main(["say", "Hi.", "-o", "a.wav", "--db", "none.db", "--like", "1"])
    err = capsys.readouterr().err
    assert rc == 1 and "no store at 'none.db'" in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_cwd / "none.db").exists() and not (tmp_cwd / "a.wav").exists()


# ---------------------------------------------------------------- the pieces
def test_tone_helpers():
    from psigraph.memory.tone import distance, interpolate, tone_of
    sig = {"emotion": [0.5, 0.2, 0.0], "f0_level_hz": 115.0, "f0_range_st": 6.0, "rate_sps": 4.0,
           "pauses": {"count": 2, "mean_s": 0.3, "ratio": 0.1}, "phase_offsets": {"smile": 6.2, "brow": 1.0}}
    t = tone_of(sig, "low", "default")                 # 115 Hz persona → 150 Hz persona: same intervals
    assert t["f0_level_hz"] == pytest.approx(150.0) and t["rate_sps"] == pytest.approx(4.0 / 0.97)
    assert t["pause_s"] == 0.3 and t["f0_range_st"] == 6.0
    a, b = tone_of(sig), tone_of({**sig, "f0_level_hz": 230.0, "emotion": [-0.5, 0.2, 0.0],
                                  "phase_offsets": {"smile": 0.2, "brow": 1.0}})
    m = interpolate(a, b, 0.5)
    assert m["f0_level_hz"] == pytest.approx(115.0 * 2 ** 0.5) and m["emotion"] == pytest.approx([0.0, 0.2, 0.0])
    assert circ(m["phase_offsets"]["smile"], 6.2 + (2 * math.pi - 6.2 + 0.2) / 2) < 1e-9   # the short way, over 0
    m0 = interpolate(a, b, 0.0)
    assert m0.pop("phase_offsets") == pytest.approx(a["phase_offsets"]) and distance(sig, sig) == 0.0
    assert m0.keys() == a.keys() - {"phase_offsets"}
    for k in m0:                                   # pytest.approx takes no nested containers in a dict
        assert m0[k] == pytest.approx(a[k]), k
    assert distance({"f0_level_hz": 100.0}, {"f0_level_hz": 200.0}) == pytest.approx(12.0)
    assert distance({"rate_sps": 4.0, "pauses": {"count": 0}}, {"rate_sps": 4.2, "pause_s": 0.5}) == pytest.approx(1.0)
