"""Session(skip_unread=True): psi_core skips its oscillators when only tract channels are read (say to a WAV),
and the audio stays bit-identical."""
import os

import numpy as np
import pytest

from psigraph.errors import SchedulingError
from psigraph.runtime import Session
from psigraph.runtime import say as say_mod

pytestmark = pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0"),
                                reason="a whole say as plain Python is too slow; the JIT pass runs it")


def _graph(tmp_path):
    g = say_mod.build_say_graph(say_mod.SayOptions(text="Clue, crow and train.", output=str(tmp_path / "a.wav")))
    g.set_param("wav", "path", str(tmp_path / "a.wav"))
    return g


def _run(g, skip, tap_state=False):
    s = Session(g, block=4800, skip_unread=skip)
    audio = s.tap("voice.audio")
    state = s.tap("core.state") if tap_state else None
    for _ in s.until_done(max_duration=None):
        pass
    s.abort()
    return s, audio.data, (state.data if state else None)


def test_voice_only_skips_the_oscillators_and_keeps_the_audio(tmp_path):
    g = _graph(tmp_path)
    s_skip, a_skip, _ = _run(g, True)
    s_full, a_full, _ = _run(g, False)
    core = s_skip.node("core")
    assert core.integrate is False and s_full.node("core").integrate is True
    assert len(a_skip) > 24000 and np.array_equal(a_skip, a_full)


def test_a_reader_of_the_phases_keeps_them(tmp_path):
    s, audio, state = _run(_graph(tmp_path), True, tap_state=True)
    n = s.node("core").layout.n
    assert s.node("core").integrate is True
    assert np.all(np.isfinite(state[:, :2 * n])) and np.ptp(state[:, 0]) > 1.0


def test_skipped_phases_are_nan_and_late_taps_are_refused(tmp_path):
    g = _graph(tmp_path)
    s = Session(g, block=4800, skip_unread=True)
    s.advance(4800)
    with pytest.raises(SchedulingError, match="skip_unread"):
        s.add_tap("core.state")
    s.add_tap("voice.audio")                      # nothing skipped there: fine
    core = s.node("core")
    assert core.integrate is False
    core.t0, core.t1 = 4800, 9600
    out = core.process()                           # the next span, no events
    assert np.isnan(out["state"][:, 0]).all() and np.isnan(out["r"]).all()
    assert np.isfinite(out["state"][:, 2 * core.layout.n:]).all()
    s.abort()
