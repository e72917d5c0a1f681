"""A surprise that reaches prosody_planner.reactions while the avatar speaks: the voice stops for pause_ms
(40 ms) at the next control tick and goes on where it stopped; when silent, nothing changes."""
import numpy as np
import pytest

from psigraph import chain, registry
from psigraph.graph import Graph
from psigraph.kernels.prosody import AUDIBLE, SOURCES

registry.import_pack("psigraph.nodes.speech.node")
pytest.importorskip("psigraph.nodes.psi.node")
registry.import_pack("psigraph.nodes.psi.node")

from psigraph.runtime import Session  # noqa: E402

TEXT = "We were away."                      # voiced almost throughout
CP = 120                                   # master samples per control tick


def _sounding(surprise_at=None, block=480, pause_ms=40.0):
    g = Graph("pause-test", seed=3)
    g.add_node("text", "text_source", {"text": TEXT})
    g.add_node("planner", "prosody_planner", {"pause_ms": pause_ms})
    g.add_node("core", "psi_core", {"bands": [], "roles": []})
    g.connect("text.text", "planner.text")
    g.connect("planner.score", "core.score")
    if surprise_at is not None:
        g.add_node("ev", "event_source", {"events": [{"t": surprise_at, "kind": chain.SURPRISE}]})
        g.connect("ev.y", "planner.reactions")
    with Session(g, block=block) as s:
        tap = s.tap("core.state")
        s.run_until_done(max_duration=5.0)
        labels = s.node("core").out_specs["state"].labels
        rows = np.asarray(tap.data)
        pauses = list(s.node("planner").state.pauses)
    src = np.max([rows[:, labels.index(c)] for c in SOURCES], axis=0)
    return src > AUDIBLE, pauses


def _same(a, b):
    """Equal tracks (runs stop at different block ends after the text: the tails are silent)."""
    n = min(len(a), len(b))
    return np.array_equal(a[:n], b[:n]) and not a[n:].any() and not b[n:].any()


def _silent_runs(on):
    """(start tick, length) of silent stretches between the first and last sounding tick."""
    idx = np.flatnonzero(on)
    inner = ~on[idx[0]:idx[-1] + 1]
    runs, k = [], 0
    while k < len(inner):
        if inner[k]:
            j = k
            while j < len(inner) and inner[j]:
                j += 1
            runs.append((idx[0] + k, j - k))
            k = j
        else:
            k += 1
    return runs


def test_surprise_while_speaking_pauses_the_voice_for_40_ms():
    plain, _ = _sounding()
    paused, at = _sounding(surprise_at=0.5)
    assert at == [int(round(0.5 * 24000 / CP)) * CP]
    tick = at[0] // CP
    new = [r for r in _silent_runs(paused) if r not in _silent_runs(plain)]
    assert len(new) == 1
    start, length = new[0]
    assert 0 <= start - tick <= 3, new                    # silent within 15 ms of the surprise
    assert 5 <= length <= 9, new                          # ≈ 40 ms = 8 ticks, minus the source decay
    assert int(paused.sum()) == pytest.approx(int(plain.sum()), abs=4)   # nothing said is lost
    # the rest of the utterance is the same, 40 ms later
    assert np.array_equal(paused[tick + 12 + 8:], plain[tick + 12:len(paused) - 8])
    again, _ = _sounding(surprise_at=0.5, block=37)
    assert _same(again, paused)                           # block-size invariant


def test_no_pause_when_silent_or_switched_off():
    plain, _ = _sounding()
    after, at = _sounding(surprise_at=4.0)                # the utterance is over by then
    assert at == [] and _same(after, plain)
    off, at = _sounding(surprise_at=0.5, pause_ms=0.0)
    assert at == [] and _same(off, plain)
