"""say drops the nodes that feed no output (face, Koopman, surprise for a WAV) without changing the audio."""
import os

import numpy as np
import pytest
import soundfile as sf
from psigraph.runtime import say as say_mod

pytestmark = pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0"),
                                reason="a whole say as plain Python is too slow; the JIT pass runs it")

def _say(tmp_path, name):
    out = tmp_path / name
    say_mod.say(say_mod.SayOptions(text="Clue, crow and train.", output=str(out)))
    return out


def test_pruned_graph_keeps_the_wav_bit_identical(tmp_path, monkeypatch):
    pruned = say_mod.build_say_graph(say_mod.SayOptions(text="x", output=str(tmp_path / "p.wav")))
    a = _say(tmp_path, "pruned.wav")
    kept = []
    monkeypatch.setattr(say_mod, "keep_only_what_feeds", lambda g, sinks: kept.append(set(g.nodes)))
    full = say_mod.build_say_graph(say_mod.SayOptions(text="x", output=str(tmp_path / "f.wav")))
    b = _say(tmp_path, "full.wav")
    assert {"face", "koopman", "surprise"} <= set(full.nodes) and not {"face", "koopman", "surprise"} & set(pruned.nodes)
    assert kept and {"face", "koopman"} <= kept[-1]          # the unpruned run really ran them
    xa, ra = sf.read(a, dtype="int16")
    xb, rb = sf.read(b, dtype="int16")
    assert ra == rb and len(xa) > ra and np.array_equal(xa, xb)
