"""`psigraph say` end to end: offline, with network sockets disabled."""
import json
import socket
import wave

import numpy as np
import pytest

from psigraph.runtime.cli import main


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*a, **k):
        raise OSError("network access is disabled in this test")
    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def read_wav(path):
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 24000)
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2") / 32768.0


def test_say_writes_speech_offline(tmp_cwd, no_network, capsys):
    assert main(["say", "Hello! I'm Tori.", "-o", "hello.wav", "--frames", "hello.jsonl"]) == 0
    audio = read_wav(tmp_cwd / "hello.wav")
    assert 0.8 < len(audio) / 24000 < 3.0
    assert np.sqrt(np.mean(audio ** 2)) > 0.01, "speech must not be silent"
    assert np.max(np.abs(audio)) < 1.0, "no clipping"
    frames = [json.loads(line) for line in (tmp_cwd / "hello.jsonl").read_text().splitlines()]
    assert abs(len(frames) - len(audio) / 400) <= 2
    assert frames[0]["frame"] == 0 and len(frames[0]["blendshapes"]) == 52
    assert "hello.wav" in capsys.readouterr().err


@pytest.mark.parametrize("text", ["", "   ", "🙂🙂"])
def test_say_unusable_text_is_one_clear_line(tmp_cwd, text, capsys):
    rc = main(["say", text, "-o", "x.wav"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc != 0 and len(err) == 1 and "Traceback" not in err[0] and "error" in err[0]


def test_say_emotions_change_pitch(tmp_cwd):
    f0 = {}
    for emo in ("happy", "sad"):
        assert main(["say", "The birch canoe slid on the smooth planks.", "--emotion", emo, "-o", f"{emo}.wav"]) == 0
        f0[emo] = read_wav(tmp_cwd / f"{emo}.wav")
    assert len(f0["sad"]) > len(f0["happy"])     # sad is slower


def test_say_video_streams_start_together(tmp_cwd):
    from psigraph.nodes.face.video import probe
    assert main(["say", "Hi there.", "-o", "hi.wav", "--video", "hi.webm", "--size", "96"]) == 0
    info = probe(str(tmp_cwd / "hi.webm"))
    v, a = info["video"], info["audio"]
    assert abs(v["start"] - a["start"]) <= 1 / 60 and abs(v["duration"] - a["duration"]) <= 1 / 60
    assert abs(v["duration"] - len(read_wav(tmp_cwd / "hi.wav")) / 24000) <= 1 / 60
