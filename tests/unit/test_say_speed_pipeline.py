"""Session(pipeline=True): the voice and what follows it run a chunk behind on a second thread; the
WAV is bit-identical, taps and errors behave."""
import os

import numpy as np
import pytest

from psigraph.errors import PsigraphError
from psigraph.runtime import Session
from psigraph.runtime import say as say_mod

pytestmark = pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0"),
                                reason="a whole say as plain Python is too slow; the JIT pass runs it")


def _graph(path):
    return say_mod.build_say_graph(say_mod.SayOptions(text="Clue, crow and train. Is it sunny?", output=str(path)))


def _say(path, **kw):
    s = Session(_graph(path), block=4800, skip_unread=True, **kw)
    behind = []
    for _ in s.until_done(max_duration=None):
        behind.append(sorted(b.nid for b in s._behind))
    s.close()
    return s, behind, path.read_bytes()


def test_the_voice_runs_behind_and_the_wav_is_bit_identical(tmp_path):
    _, behind, piped = _say(tmp_path / "a.wav", pipeline=True)
    _, alone, plain = _say(tmp_path / "b.wav")
    assert behind[0] == ["voice", "wav"] and alone[0] == []
    assert len(piped) > 20000 and piped == plain


def test_a_tap_on_the_behind_part_keeps_everything_on_one_thread(tmp_path):
    s = Session(_graph(tmp_path / "c.wav"), block=4800, pipeline=True)
    tap = s.tap("voice.audio")
    s.advance(9600)
    assert s._behind == [] and tap.data.shape == (9600, 1)
    s.abort()


def test_a_late_tap_waits_for_the_chunk_in_flight(tmp_path):
    s = Session(_graph(tmp_path / "d.wav"), block=4800, pipeline=True)
    s.advance(4800)
    assert [b.nid for b in s._behind] == ["voice", "wav"]
    tap = s.add_tap("voice.audio")              # stops the pipeline: taps are fed on the calling thread
    s.advance(4800)
    assert s._behind == [] and tap.data.shape == (4800, 1) and np.abs(tap.data).max() > 0
    s.abort()


def test_an_error_behind_surfaces_as_one_line(tmp_path, monkeypatch):
    s = Session(_graph(tmp_path / "e.wav"), block=4800, pipeline=True)

    def broken(state):
        raise ValueError("boom")
    monkeypatch.setattr(s.node("voice"), "process", broken)
    with pytest.raises(PsigraphError, match="voice.*boom"):   # at the latest when the run is finished
        for _ in range(3):
            s.advance(4800)
        s.close()
    assert not (tmp_path / "e.wav").exists()


def test_the_second_thread_lags_at_most_the_pipeline_depth(tmp_path):
    from psigraph.runtime import session as session_mod
    s = Session(_graph(tmp_path / "f.wav"), block=4800, pipeline=True)
    for _ in range(session_mod.PIPELINE_DEPTH + 3):
        s.advance(4800)
        assert s._worker._pending <= session_mod.PIPELINE_DEPTH
    s.close()
    assert s._worker is None and (tmp_path / "f.wav").stat().st_size > 4 * 4800
