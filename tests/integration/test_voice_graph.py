"""text_source → prosody_planner → psi_core → voice through the real runtime."""
import numpy as np
import pytest

from psigraph import registry
from psigraph.graph import Graph

registry.import_pack("psigraph.nodes.speech.node")
psi = pytest.importorskip("psigraph.nodes.psi.node")
registry.import_pack("psigraph.nodes.psi.node")

from psigraph.runtime import Session  # noqa: E402


def _graph(text):
    g = Graph("speak-test", seed=3)
    g.add_node("text", "text_source", {"text": text})
    g.add_node("planner", "prosody_planner")
    g.add_node("core", "psi_core")
    g.add_node("voice", "voice")
    g.connect("text.text", "planner.text")
    g.connect("planner.score", "core.score")
    g.connect("core.state", "voice.state")
    return g


def _run(text, block, seconds):
    s = Session(_graph(text), block=block)
    s.tap("voice.audio")
    s.tap("planner.score")
    s.run(duration=seconds)
    audio = np.asarray(s.tap("voice.audio")).ravel()
    score = s.tap("planner.score")
    s.close()
    return audio, score


def test_graph_speaks_and_is_block_size_invariant():
    ref, score = _run("Hi there.", 480, 0.8)
    assert len(ref) == int(0.8 * 24000) and np.isfinite(ref).all()
    assert np.sqrt(np.mean(ref ** 2)) > 1e-3
    kinds = [e.kind for e in score]
    assert kinds[0] == "utterance" and "end" in kinds
    for block in (37, 24000):
        got, _ = _run("Hi there.", block, 0.8)
        assert np.array_equal(got, ref), block


@pytest.mark.slow
def test_graph_block_of_one_sample():
    ref, _ = _run("Hi.", 480, 0.3)
    got, _ = _run("Hi.", 1, 0.3)
    assert np.array_equal(got, ref)


def test_voice_matches_offline_render_of_the_same_track():
    """The graph voice equals VoiceSynth on psi_core's tract channels (same seed)."""
    from psigraph.nodes.speech.voice import VoiceQuality, VoiceSynth
    from psigraph.nodes.speech.frontend.persona import load_persona
    s = Session(_graph("Hi there."), block=480)
    s.tap("voice.audio")
    s.tap("core.state")
    s.run(duration=0.5)
    audio = np.asarray(s.tap("voice.audio")).ravel()
    state = np.asarray(s.tap("core.state"))
    spec = s.slots["core"].node.out_specs["state"]
    seed = s.slots["voice"].node.seed
    s.close()
    v = VoiceSynth(spec.labels, VoiceQuality.from_persona(load_persona("default")), seed=seed)
    np.testing.assert_array_equal(v.render(0, state, len(audio)), audio)


def test_text_source_forwards_text_events():
    from psigraph.nodes.speech.node import TextSource
    from psigraph.ports import Event
    from psigraph.testing import instantiate
    n = instantiate(TextSource, {"text": "one"})
    n.t0, n.t1 = 0, 0
    assert n.process(text_in=[]) == []            # zero-length span: nothing, state intact
    n.t0, n.t1 = 0, 480
    out = n.process(text_in=[Event(100, "text", "two")])
    assert [e.payload["text"] for e in out] == ["one", "two"]
    n.t0, n.t1 = 480, 960
    assert n.process(text_in=[]) == []
