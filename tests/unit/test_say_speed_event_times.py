"""psi_core applies its score events at their own ticks in one call per span (OWN_EVENT_TIMES): the
ψ-state is bit-identical to the session cutting the span at every event, in far fewer calls."""
import os

import numpy as np
import pytest

from psigraph.runtime import Session
from psigraph.runtime import say as say_mod
from psigraph.nodes.psi.node import PsiCore

pytestmark = pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0"),
                                reason="a whole say as plain Python is too slow; the JIT pass runs it")


def _state(tmp_path, block):
    g = say_mod.build_say_graph(say_mod.SayOptions(text="Clue, crow and train. Is it sunny?",
                                                   output=str(tmp_path / "a.wav")))
    s = Session(g, block=block)
    tap = s.tap("core.state")
    for _ in s.until_done(max_duration=None):
        pass
    s.abort()
    return tap.data, s.profile()["core"]["calls"]


@pytest.mark.parametrize("block", [4800, 337])
def test_own_event_times_equal_cut_spans(tmp_path, monkeypatch, block):
    own, own_calls = _state(tmp_path, block)
    monkeypatch.setattr(PsiCore, "OWN_EVENT_TIMES", False)
    cut, cut_calls = _state(tmp_path, block)
    assert own.shape == cut.shape and own.shape[0] > 400
    assert np.array_equal(own, cut)
    assert own_calls < cut_calls
