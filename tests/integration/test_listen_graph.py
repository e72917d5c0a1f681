"""Listening through the real runtime: audio_source → listener → psi_core → koopman → surprise,
the entrainment node, `psigraph listen` and the live input runner."""
import json

import numpy as np
import pytest
import soundfile as sf

import psigraph
from psigraph import Graph
from psigraph.nodes.listen.synth import syllable_train
from psigraph.runtime import Session
from psigraph.runtime.cli import main
from psigraph.runtime.shipped import graph_path

RATE = 24000


def write(path, x, rate=RATE):
    sf.write(str(path), x, rate, subtype="PCM_16")
    return str(path)


def listen_graph(path, **params):
    g = psigraph.load(graph_path("listen"))
    g.set_param("source", "path", str(path))
    for ref, v in params.items():
        nid, name = ref.split("__")
        g.set_param(nid, name, v)
    g.remove_node("face")
    return g


def heard(g, block=4800):
    refs = ["listener.events", "surprise.events", "entrain.events", "entrain.entrainment", "listener.features"]
    out = {r: [] for r in refs}
    with Session(g, block=block) as s:
        for r in refs:
            s.watch(r)
        for got in s.until_done(max_duration=None):
            for r in refs:
                out[r].append(got[r])
        end = s.now
    ev = [e for r in refs[:3] for b in out[r] for e in b]
    return {"events": sorted(ev, key=lambda e: (e.t, e.kind)), "entrain": np.vstack(out[refs[3]]),
            "features": np.vstack(out[refs[4]]), "end": end}


# ---------------------------------------------------------------- audio_source
@pytest.mark.parametrize("rate,channels", [(16000, 1), (44100, 2), (24000, 1)])
def test_audio_source_resamples_and_stops_at_the_end_of_the_file(tmp_path, rate, channels):
    t = np.arange(int(0.5 * rate)) / rate
    tone = 0.5 * np.sin(2 * np.pi * 440.0 * t)
    path = write(tmp_path / "in.wav", np.stack([tone] * channels, axis=1) if channels > 1 else tone, rate)
    g = Graph("src", seed=1)
    g.add_node("src", "audio_source", {"path": path})
    g.add_node("out", "npy_sink", {"path": str(tmp_path / "out.npy")})
    g.connect("src.audio", "out.x")
    with Session(g, block=1000) as s:
        s.run_until_done()
        assert s.now == int(0.5 * RATE)                         # exactly the file's length at 24 kHz
    y = np.load(tmp_path / "out.npy")[:, 0]
    spec = np.abs(np.fft.rfft(y[2000:-2000] * np.hanning(len(y) - 4000)))
    peak = np.fft.rfftfreq(len(y) - 4000, 1 / RATE)[spec.argmax()]
    assert peak == pytest.approx(440.0, abs=3.0)
    assert np.abs(y).max() == pytest.approx(0.5, abs=0.02)


def test_unreadable_input_is_one_line_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "notsound.wav"
    bad.write_text("hello")
    out = tmp_path / "e.jsonl"
    for path in (bad, tmp_path / "missing.wav"):
        rc = main(["listen", str(path), "--events", str(out)])
        err = capsys.readouterr().err
        assert rc == 1 and len(err.strip().splitlines()) == 1, err
        assert "path" in err and not out.exists()


# ---------------------------------------------------------------- the listening graph
@pytest.mark.parametrize("rate", [3.0, 5.0, 7.0])
def test_entrained_syllable_frequency_tracks_the_input_rate(tmp_path, rate):
    train = syllable_train(rate, phrases=2, per_phrase=14, seed=int(rate) + 10)
    h = heard(listen_graph(write(tmp_path / "s.wav", train.audio)))
    onsets = [e for e in h["events"] if e.kind == "syllable_onset"]
    assert len(onsets) == len(train.onsets)
    assert sum(e.kind == "phrase_boundary" for e in h["events"]) == 2
    hz = h["entrain"][:, 0]
    k = np.arange(len(hz)) / 200.0
    speaking = np.zeros(len(hz), bool)
    for a, b in train.phrases:
        speaking |= (k >= a) & (k < b)
    true = len(train.onsets) / train.speaking_s
    assert hz[speaking].mean() == pytest.approx(true, rel=0.10)


def test_events_are_block_size_invariant(tmp_path):
    train = syllable_train(5.0, phrases=2, per_phrase=8, seed=3)
    g = listen_graph(write(tmp_path / "s.wav", train.audio))
    a, b = heard(g, block=480), heard(g, block=4801)
    assert [(e.t, e.kind) for e in a["events"]] == [(e.t, e.kind) for e in b["events"]]
    assert np.array_equal(a["entrain"], b["entrain"]) and np.array_equal(a["features"], b["features"])


def test_a_pitch_splice_surprises_and_clean_speech_does_not(tmp_path):
    clean = syllable_train(4.5, phrases=4, per_phrase=10, seed=5)
    shifted = syllable_train(4.5, phrases=4, per_phrase=10, seed=5, f0=120.0 * 2 ** (6 / 12))
    at = int((clean.phrases[2][0] + 1.0) * RATE)              # inside the third phrase
    spliced = clean.audio.copy()
    spliced[at:at + int(0.4 * RATE)] = shifted.audio[at:at + int(0.4 * RATE)]
    quiet = heard(listen_graph(write(tmp_path / "clean.wav", clean.audio)))
    loud = heard(listen_graph(write(tmp_path / "spliced.wav", spliced)))
    assert not [e for e in quiet["events"] if e.kind == "surprise"]
    lat = [e.t / RATE - at / RATE for e in loud["events"] if e.kind == "surprise"]
    assert lat and 0.0 <= lat[0] <= 0.15, lat


def test_turn_end_predicted_before_each_falling_phrase_ends(tmp_path):
    train = syllable_train(4.0, phrases=4, per_phrase=9, fall_st=8.0, pause_s=1.2, seed=8)
    h = heard(listen_graph(write(tmp_path / "t.wav", train.audio)))
    ends = [e.t / RATE for e in h["events"] if e.kind == "turn_end_predicted"]
    leads = [b - max([t for t in ends if t < b], default=-9) for _, b in train.phrases]
    assert len(ends) == len(train.phrases)
    assert all(0.1 <= lead <= 1.0 for lead in leads[1:]), leads     # the first phrase teaches the speaker


# ---------------------------------------------------------------- psigraph listen
def test_listen_command_writes_events_and_frames(tmp_path, tmp_cwd):
    train = syllable_train(5.0, phrases=2, per_phrase=6, seed=4)
    wav = write(tmp_path / "in.wav", train.audio)
    ev, fr = tmp_path / "e.jsonl", tmp_path / "f.jsonl"
    assert main(["listen", wav, "--events", str(ev), "--frames", str(fr), "-q"]) == 0
    rows = [json.loads(line) for line in ev.read_text().splitlines()]
    kinds = {row["kind"] for row in rows}
    assert {"syllable_onset", "phrase_boundary"} <= kinds
    assert all(row["time"] == pytest.approx(row["t"] / RATE) and "payload" in row for row in rows)
    assert sum(row["kind"] == "syllable_onset" for row in rows) == len(train.onsets)
    frames = fr.read_text().splitlines()
    assert len(frames) == pytest.approx(len(train.audio) / RATE * 60, abs=2)


# ---------------------------------------------------------------- live, from a simulated microphone
def test_live_listening_from_a_simulated_microphone_matches_the_offline_run(tmp_path):
    from psigraph.runtime.realtime import InputRunner, SimulatedInput
    train = syllable_train(5.0, phrases=1, per_phrase=8, pause_s=0.3, seed=6)
    offline = heard(listen_graph(write(tmp_path / "s.wav", train.audio)), block=480)
    g = listen_graph("")
    with Session(g, block=480) as s:
        s.tap("listener.events")
        runner = InputRunner(s)
        runner.start()
        SimulatedInput(runner.callback, train.audio, RATE, 480).run()
        runner.stop()
        got = s.tap("listener.events")
        stats = runner.stats()
    assert stats["input_underruns"] == 0 and stats["input_overruns"] == 0
    want = [(e.t, e.kind) for e in offline["events"] if e.kind in ("syllable_onset", "phrase_boundary")]
    assert [(e.t, e.kind) for e in got] == want[:len(got)] and len(got) >= len(train.onsets)
