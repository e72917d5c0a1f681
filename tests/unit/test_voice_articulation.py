"""Plan → score: event kinds, ordering, exact f0 ramps, stop and fricative gestures."""
import numpy as np
import pytest

from psigraph.nodes.speech import phonetics as P
from psigraph.nodes.speech.articulation import CONTROL_PERIOD, score_events
from psigraph.nodes.speech.offline import plan, tract_track
from psigraph.kernels.tract import CHANNELS, INDEX

TEXT = "The birch canoe slid on the smooth planks."


@pytest.fixture(scope="module")
def pl():
    return plan(TEXT)


def test_score_kinds_and_order(pl):
    ev = score_events(pl, t0=2400)
    assert ev[0].kind == "utterance" and ev[-1].kind == "end"
    assert ev[0].payload["duration"] == int(round(pl.duration * 24000))
    assert [e.t for e in ev] == sorted(e.t for e in ev) and ev[0].t == 2400
    kinds = {e.kind for e in ev}
    assert {"utterance", "emotion", "target", "phone", "syllable", "end"} <= kinds
    phones = [e.payload for e in ev if e.kind == "phone"]
    assert [p["ph"] for p in phones if p["ph"] != "sil"] == [p.arpabet for p in pl.phones if not p.is_pause]
    assert all(p["viseme"] in P.VISEMES for p in phones)
    for e in ev:
        if e.kind == "target":
            assert e.t % CONTROL_PERIOD == 0
            assert set(e.payload["values"]) <= set(CHANNELS)


def test_f0_track_reproduces_plan_exactly(pl):
    ev = score_events(pl)
    n = int(pl.duration * 200)
    tr = tract_track(ev, n)
    k = np.arange(n)
    # the tract leads by one tick (voice reads c[k-1]..c[k]); plan points are 10 ms apart
    ref = pl.f0_at((k + 1) * 0.005)
    got = tr[:, INDEX["f0"]]
    inside = (k + 1) * 0.005 <= pl.f0[-1][0]
    ticks = [round(t * 200) for t, _ in pl.f0]
    on_grid = all(abs(t * 200 - round(t * 200)) < 1e-6 for t, _ in pl.f0)
    if on_grid:
        np.testing.assert_allclose(got[inside], ref[inside], atol=1e-9)
    else:
        np.testing.assert_allclose(got[inside], ref[inside], rtol=0.02)
    assert len(ticks) > 5


def test_stop_has_closure_burst_aspiration_then_voicing():
    pl = plan("a top")
    ev = score_events(pl)
    tr = tract_track(ev, int(pl.duration * 200))
    t_ph = next(p for p in pl.phones if p.ph == "T")
    k_rel = round(t_ph.end * 200)
    k_mid = round((t_ph.start + 0.6 * t_ph.dur) * 200)
    av, ab, ah = tr[:, INDEX["AV"]], tr[:, INDEX["AB"]], tr[:, INDEX["AH"]]
    assert av[k_mid] < 0.05 and ab[k_mid] == 0.0                  # silent closure
    assert ab[k_rel] > 0.5                                        # burst at the release
    assert ah[k_rel + 3] > 0.2 and av[k_rel + 3] < 0.1             # aspiration (VOT)
    assert av[k_rel + 25] > 0.8 and ah[k_rel + 25] < 0.05          # then voicing


def test_fricative_sets_noise_spectrum():
    pl = plan("see she")
    tr = tract_track(score_events(pl), int(pl.duration * 200))
    s, sh = [p for p in pl.phones if p.ph in ("S", "SH")]
    ks, ksh = round((s.start + 0.7 * s.dur) * 200), round((sh.start + 0.7 * sh.dur) * 200)
    assert tr[ks, INDEX["AF"]] > 0.3 and tr[ksh, INDEX["AF"]] > 0.3
    assert tr[ks, INDEX["FF"]] > tr[ksh, INDEX["FF"]] + 1500


def test_locus_equations_point_to_place():
    f2_b = P.consonant_targets("B", 2200)["F2"]
    f2_d = P.consonant_targets("D", 2200)["F2"]
    assert f2_b < f2_d < 2200
    assert P.consonant_targets("D", 900)["F2"] > 900


def test_every_arpabet_phone_has_targets():
    for ph in list(P.VOWELS) + list(P.CONSONANTS):
        if P.is_vowel(ph):
            assert P.vowel_targets(ph)["F1"] > 200
        else:
            P.consonant_targets(ph)
        assert P.VISEME_OF[ph] in P.VISEMES
