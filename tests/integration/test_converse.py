"""`psigraph converse`: the reply follows the speaker's rate (cross-speaker entrainment), repeated surprise
makes it slower with a wider-open jaw (adaptive comprehension), and the command's outputs and errors.

Speakers are made here with psigraph's own voice at a fast and a slow rate; their syllable rates are the
planner's syllables over the speaking time, measured as the recorder measures the avatar's speech."""
import json
import subprocess
import sys

import numpy as np
import pytest

from psigraph import chain
from psigraph.ports import Event
from psigraph.runtime.converse import ConverseOptions, converse, heard_prosody, read_audio
from psigraph.runtime.say import SayOptions, say

HEARD = "Glue the sheet to the dark blue background."
REPLY = "That sounds like a fine plan. Let us start tomorrow."
MASTER = 24000


@pytest.fixture(scope="module")
def speakers(tmp_path_factory):
    d = tmp_path_factory.mktemp("speakers")
    out = {}
    for name, rate in (("fast", 1.8), ("slow", 0.7)):
        path = str(d / f"{name}.wav")
        say(SayOptions(text=HEARD, output=path, rate=rate))
        out[name] = path
    return out


def _reply(path, tmp_path, events=(), **kw):
    return converse(ConverseOptions(audio=path, reply=REPLY, frames=str(tmp_path / "f.jsonl"),
                                    heard_events=tuple(events), **kw))


def test_speaker_rates_are_measured(speakers):
    fast = heard_prosody(read_audio(speakers["fast"], MASTER), MASTER)
    slow = heard_prosody(read_audio(speakers["slow"], MASTER), MASTER)
    assert fast["rate_sps"] >= 5.5 and slow["rate_sps"] <= 3.5
    assert 8 <= fast["syllables"] <= 13 and 8 <= slow["syllables"] <= 13   # the sentence has 10-11
    assert 90 < fast["f0_level_hz"] < 250 and fast["f0_range_st"] > 1


def test_reply_rate_moves_toward_the_speaker(speakers, tmp_path):
    fast, slow = _reply(speakers["fast"], tmp_path), _reply(speakers["slow"], tmp_path)
    plain = _reply(speakers["fast"], tmp_path, entrain=False)
    heard_diff = fast.heard["rate_sps"] - slow.heard["rate_sps"]
    reply_diff = fast.reply["rate_sps"] - slow.reply["rate_sps"]
    assert heard_diff > 2.0
    assert reply_diff >= 0.3 * heard_diff                 # same direction, ≥ 30 % of the speakers' difference
    assert slow.reply["rate_sps"] < plain.reply["rate_sps"] < fast.reply["rate_sps"]
    # the planner meets the tone it was given (what the recorder measures on the reply)
    assert fast.reply["rate_sps"] == pytest.approx(fast.tone["rate_sps"], rel=0.05)


def test_repeated_surprise_slows_the_reply_and_opens_the_mouth(speakers, tmp_path):
    surprises = [Event(int(t * MASTER), chain.SURPRISE, {}) for t in (0.5, 1.0, 1.5)]
    onsets = [Event(int(t * MASTER), chain.SYLLABLE_ONSET, {"strength": 1.0}) for t in (0.1, 0.3, 0.7, 1.2)]
    calm = _reply(speakers["fast"], tmp_path, onsets)
    careful = _reply(speakers["fast"], tmp_path, sorted(surprises + onsets, key=lambda e: e.t))
    assert careful.surprises == 3 and careful.tone["articulation"] > 1.0
    assert careful.reply["rate_sps"] <= 0.85 * calm.reply["rate_sps"]      # ≥ 15 % slower
    assert careful.reply["jaw_open"] >= 1.2 * calm.reply["jaw_open"]       # mean jawOpen ≥ 20 % larger
    # the face reacted while listening: a raise, then frowns for the repeats
    heard = [w for t, w in careful.reactions if t < careful.reply_start_s]
    assert heard[:2] == ["brow", "frown"]
    one = _reply(speakers["fast"], tmp_path, surprises[:1])
    assert "articulation" not in one.tone and one.reply["rate_sps"] == pytest.approx(calm.reply["rate_sps"],
                                                                                      rel=0.02)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "psigraph.runtime.cli", "converse", *args],
                          capture_output=True, text=True, timeout=600)


def test_cli_errors_are_one_line(tmp_path, capsys):
    from psigraph.runtime.cli import main
    assert main(["converse", str(tmp_path / "missing.wav"), "Hello.", "-o", str(tmp_path / "o.mp4")]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "does not exist" in err
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all")
    assert main(["converse", str(bad), "Hello.", "-o", str(tmp_path / "o.mp4")]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "cannot read" in err
    assert main(["converse", str(bad), " ", "-o", str(tmp_path / "o.mp4")]) == 1
    assert "nothing to reply" in capsys.readouterr().err
    assert not list(p for p in tmp_path.iterdir() if p.name != "bad.wav")


@pytest.mark.slow
def test_cli_writes_the_conversation(speakers, tmp_path):
    pytest.importorskip("av")
    pytest.importorskip("vispy")
    out, wav, ev = tmp_path / "c.mp4", tmp_path / "c.wav", tmp_path / "e.jsonl"
    r = _cli(speakers["slow"], REPLY, "-o", str(out), "--size", "64", "--wav", str(wav), "--events", str(ev))
    assert r.returncode == 0, r.stderr
    assert out.stat().st_size > 1000 and wav.stat().st_size > MASTER
    kinds = [json.loads(line)["kind"] for line in ev.read_text().splitlines()]
    assert chain.SYLLABLE_ONSET in kinds and chain.REACTION in kinds
    audio = read_audio(str(wav), MASTER)
    heard_s = len(read_audio(speakers["slow"], MASTER)) / MASTER
    assert np.abs(audio[:int(heard_s * MASTER)]).max() > 0.05             # the speaker
    assert np.abs(audio[int((heard_s + 0.5) * MASTER):]).max() > 0.05      # then the reply
