"""The reply's tone after listening: cross-speaker entrainment and adaptive comprehension (nodes/speech/tone.py),
and the planner honouring a tone's ``articulation`` on the mouth targets."""
import pytest

from psigraph import chain
from psigraph.nodes.speech import tone as T
from psigraph.ports import Event
from psigraph.testing import instantiate

OWN = {"rate_sps": 4.5, "f0_range_st": 6.0}


def test_entrainment_moves_rate_and_range_toward_the_speaker():
    fast = T.reply_tone(OWN, {"rate_sps": 6.5, "f0_range_st": 10.0})
    slow = T.reply_tone(OWN, {"rate_sps": 3.0, "f0_range_st": 3.0})
    assert slow["rate_sps"] < OWN["rate_sps"] < fast["rate_sps"] < 6.5
    assert fast["rate_sps"] == pytest.approx(5.5)                          # half-way
    assert fast["f0_range_st"] == pytest.approx(8.0) and slow["f0_range_st"] == pytest.approx(4.5)
    # the replies differ in the speakers' direction by a fixed share of their difference
    share = (fast["rate_sps"] - slow["rate_sps"]) / (6.5 - 3.0)
    assert 0.3 <= share <= 0.7
    none = T.reply_tone(OWN, {"rate_sps": 6.5}, pull=0.0)
    assert none["rate_sps"] == pytest.approx(OWN["rate_sps"]) and "articulation" not in none


def test_repeated_surprise_makes_the_reply_careful():
    heard = {"rate_sps": 5.0, "f0_range_st": 6.0}
    calm = T.reply_tone(OWN, heard, surprises=T.REPEATED_SURPRISES - 1)
    careful = T.reply_tone(OWN, heard, surprises=T.REPEATED_SURPRISES)
    assert "articulation" not in calm
    assert careful["rate_sps"] == pytest.approx(calm["rate_sps"] * T.CAREFUL_RATE)
    assert careful["rate_sps"] <= 0.85 * calm["rate_sps"]                  # ≥ 15 % slower
    assert careful["articulation"] >= 1.2
    assert T.clean_tone(careful) == careful                                # a valid chain.TONE payload


def test_articulate_scales_mouth_targets_about_rest():
    ev = Event(0, chain.TARGET, {"values": {"jaw": 0.45, "lip_ap": 0.9, "F1": 700.0, "AV": 1.0}, "tau_ms": 14.0,
                                 "mode": "smooth"})
    other = Event(0, chain.PHONE, {"ph": "AA"})
    out = T.articulate([ev, other], 1.5)
    vals = out[0].payload["values"]
    rest = chain.TRACT_REST
    assert vals["jaw"] == pytest.approx(rest["jaw"] + 1.5 * (0.45 - rest["jaw"]))
    assert vals["lip_ap"] == 1.0                                           # clipped to [0, 1]
    assert vals["F1"] == 700.0 and vals["AV"] == 1.0                       # the sound is untouched
    assert out[1] is other and ev.payload["values"]["jaw"] == 0.45         # input not modified
    assert T.articulate([ev], 1.0)[0] is ev


def _jaw_targets(tone):
    from psigraph.nodes.speech.node import ProsodyPlanner
    node = instantiate(ProsodyPlanner, {})
    node.t1 = 24000
    evs = node.process(text=[Event(0, "text", {"text": "Papa saw a large dog."})],
                       tone=[Event(0, chain.TONE, tone)] if tone else None)
    return [e.payload["values"]["jaw"] for e in evs if e.kind == chain.TARGET and "jaw" in e.payload["values"]]


def test_planner_honours_articulation():
    plain, wide = _jaw_targets(None), _jaw_targets({"articulation": 1.3})
    assert len(plain) == len(wide) > 5
    rest = chain.TRACT_REST["jaw"]
    for a, b in zip(plain, wide):
        assert b - rest == pytest.approx(min(1.0 - rest, 1.3 * (a - rest)))


def test_repeated_means_within_the_working_memory_span():
    from psigraph.runtime.converse import WORKING_SPAN_S, most_within
    assert most_within([], WORKING_SPAN_S) == 0
    assert most_within([0.1, 11.0], 10.0) == 1                             # 11 s apart: not repeated
    assert most_within([0.1, 11.0, 14.0, 20.5, 30.0], 10.0) == 3
    assert most_within([5.0, 1.0, 3.0], 1.9) == 1 and most_within([5.0, 1.0, 3.0], 2.0) == 2
