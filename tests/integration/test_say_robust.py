"""Issue 9's findings as regression tests: a failed `say` never destroys earlier output, bad input
gets one clear line before any work, long text has no hidden cap, text comes from files or stdin."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import wave

import pytest

from psigraph.runtime.cli import main

GOOD = ["say", "A good file.", "-o", "x.wav", "--frames", "x.jsonl"]


def one_error_line(capsys) -> str:
    err = [line for line in capsys.readouterr().err.strip().splitlines() if line]
    assert len(err) == 1, err
    assert "Traceback" not in err[0] and "internal error" not in err[0] and "?" not in err[0].split(":")[0]
    return err[0]


def snapshot(folder) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def good_outputs(tmp_cwd, capsys):
    assert main(GOOD) == 0
    capsys.readouterr()
    before = snapshot(tmp_cwd)
    assert set(before) == {"x.wav", "x.jsonl"} and len(before["x.wav"]) > 10_000 and before["x.jsonl"]
    return before


@pytest.mark.parametrize("change", [["--emotion", "furious"], ["--text-file", "missing.txt"], ["--persona", "nobody"],
                                   ["--rate", "0"], ["--size", "0", "--video", "x.mp4"]])
def test_a_failed_say_leaves_earlier_files_intact(good_outputs, tmp_cwd, capsys, change):
    args = GOOD[:]
    if change[0] == "--text-file":
        args.pop(1)
    assert main(args + change) == 1
    line = one_error_line(capsys)
    assert change[0].lstrip("-").split("-")[0] in line or "missing.txt" in line
    assert snapshot(tmp_cwd) == good_outputs          # nothing replaced, no stray .part files


@pytest.mark.parametrize("text", ["🙂🙂🙂", "你好世界", "   "])
def test_unspeakable_text_leaves_earlier_files_intact(good_outputs, tmp_cwd, capsys, text):
    assert main(["say", text, "-o", "x.wav", "--frames", "x.jsonl"]) == 1
    one_error_line(capsys)
    assert snapshot(tmp_cwd) == good_outputs


def test_emotion_error_names_the_value_and_the_choices(tmp_cwd, capsys):
    assert main(["say", "Hi.", "-o", "x.wav", "--emotion", "furious"]) == 1
    line = one_error_line(capsys)
    assert "'furious'" in line and "happy" in line and "(expected ?" not in line


def test_output_into_a_folder_is_refused_without_leftovers(tmp_cwd, capsys):
    (tmp_cwd / "d").mkdir()
    assert main(["say", "Hi.", "-o", "d"]) == 1
    assert "is a folder" in one_error_line(capsys)
    assert list((tmp_cwd / "d").iterdir()) == [] and [p.name for p in tmp_cwd.iterdir()] == ["d"]


@pytest.mark.parametrize("flag,value,words", [("-o", "x.mp3", ".wav"), ("--frames", "f.txt", ".jsonl"),
                                              ("--video", "v.avi", ".mp4")])
def test_wrong_extensions_are_refused(tmp_cwd, capsys, flag, value, words):
    args = ["say", "Hi.", "-o", "x.wav", flag, value] if flag != "-o" else ["say", "Hi.", "-o", value]
    assert main(args) == 1
    line = one_error_line(capsys)
    assert flag in line and words in line
    assert snapshot(tmp_cwd) == {}


@pytest.mark.parametrize("size", ["0", "-5", "20000"])
def test_video_size_is_checked_before_any_work(tmp_cwd, capsys, size):
    assert main(["say", "Hi.", "-o", "x.wav", "--video", "x.mp4", "--size", size]) == 1
    assert "--size must be 16..4096" in one_error_line(capsys)
    assert snapshot(tmp_cwd) == {}


def test_unwritable_video_place_fails_before_rendering(tmp_cwd, capsys):
    (tmp_cwd / "afile").write_text("x")
    assert main(["say", "Hi.", "-o", "x.wav", "--video", "afile/v.mp4"]) == 1
    assert "--video" in one_error_line(capsys)
    assert sorted(snapshot(tmp_cwd)) == ["afile"]


def test_text_from_a_file_and_from_stdin(tmp_cwd, capsys, monkeypatch):
    import io
    (tmp_cwd / "t.txt").write_text("Read this from a file.\n\nAnd a second paragraph.", encoding="utf-8")
    assert main(["say", "--text-file", "t.txt", "-o", "f.wav"]) == 0
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("Read this from a file.\n\nAnd a second "
                                                                    "paragraph.".encode())))
    assert main(["say", "-", "-o", "s.wav"]) == 0
    assert (tmp_cwd / "f.wav").read_bytes() == (tmp_cwd / "s.wav").read_bytes()
    assert "start-up" in capsys.readouterr().err          # steady-state RTF reported apart from start-up
    assert main(["say", "Hi.", "--text-file", "t.txt", "-o", "b.wav"]) == 1
    assert "not both" in one_error_line(capsys)


def test_long_text_streams_in_chunks_with_the_same_result_at_any_block(tmp_cwd):
    """The planner plans a chunk at a time ahead of the playhead: the score does not depend on when."""
    import argparse

    from psigraph.runtime import Session
    from psigraph.runtime.say import build_graph
    text = " ".join(["The quick brown fox jumps over the lazy dog."] * 12)
    out = {}
    for block in (480, 24000):
        args = argparse.Namespace(text=text, text_file=None, output=f"b{block}.wav", emotion="neutral",
                                  persona="default", rate=1.0, frames=None, video=None, size=640, graph=None,
                                  seed=None)
        g = build_graph(args, text)
        with Session(g, block=block) as s:
            score = s.tap("planner.score")
            s.run_until_done(max_duration=None)
            out[block] = [(e.t, e.kind) for e in score.data]
        planner_chunks = sum(1 for t, k in out[block] if k == "utterance")
        assert planner_chunks >= 2
    assert out[480] == out[24000]
    assert (tmp_cwd / "b480.wav").read_bytes() == (tmp_cwd / "b24000.wav").read_bytes()


@pytest.mark.slow
def test_two_thousand_words_have_no_hidden_cap(tmp_cwd):
    text = " ".join(["The quick brown fox jumps over the lazy dog."] * 223)       # 2,007 words
    (tmp_cwd / "long.txt").write_text(text)
    assert main(["say", "--text-file", "long.txt", "-o", "long.wav", "-q"]) == 0
    with wave.open(str(tmp_cwd / "long.wav")) as w:
        assert w.getnframes() / w.getframerate() > 600


def test_interrupt_leaves_earlier_file_and_no_partial_file(tmp_cwd):
    (tmp_cwd / "x.wav").write_bytes(b"EARLIER")
    (tmp_cwd / "long.txt").write_text(" ".join(["The quick brown fox jumps over the lazy dog."] * 900))   # ~30 s of work: still running when interrupted
    proc = subprocess.Popen([sys.executable, "-m", "psigraph.runtime.cli", "say", "--text-file", "long.txt",
                             "-o", "x.wav", "-q"], cwd=tmp_cwd, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not any(p.name.endswith(".part") for p in tmp_cwd.iterdir()):      # wait until it is writing
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() else ""
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err
    assert (tmp_cwd / "x.wav").read_bytes() == b"EARLIER"
    assert sorted(p.name for p in tmp_cwd.iterdir()) == ["long.txt", "x.wav"]


def test_live_names_what_is_missing(tmp_cwd, capsys, monkeypatch):
    import types
    monkeypatch.setitem(sys.modules, "sounddevice", None)                      # package not installed
    assert main(["live", "--text", "Hi."]) == 1
    assert "pip install 'psigraph[audio]'" in one_error_line(capsys)
    fake = types.SimpleNamespace(query_devices=lambda: [{"name": "mic", "max_output_channels": 0}])
    monkeypatch.setitem(sys.modules, "sounddevice", fake)                      # no output device
    assert main(["live", "--text", "Hi."]) == 1
    assert "no sound output device" in one_error_line(capsys)


def test_non_english_text_is_named_once_and_still_spoken(tmp_cwd, capsys):
    assert main(["say", "Hello 世界", "-o", "a.wav", "-q"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["warning: skipped 2 Chinese characters it cannot read: '世界' (psigraph speaks English)"]
    assert main(["say", "Bonjour, je m'appelle Marie et je suis très contente de vous voir.", "-o", "b.wav",
                 "-q"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "French" in err[0] and "English" in err[0]
    assert main(["say", "Hello, how are you today?", "-o", "c.wav", "-q"]) == 0
    assert capsys.readouterr().err == ""
