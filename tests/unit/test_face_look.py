"""What makes the ICT head read as a person: lips that meet at rest, a dark mouth with the upper
teeth showing and the lower ones behind the lip, phonetic viseme postures, catch lights in both eyes."""
import numpy as np
import pytest
from psigraph.nodes.face.animator import REST_SEAL_JAW, VISEME_SHAPES, AnimatorCore
from psigraph.nodes.face.arkit import INDEX, VISEME_INDEX
from psigraph.nodes.face.deform import HeadPoser
from psigraph.nodes.face.heads import load_head
from psigraph.nodes.face.landmarks import LandmarkTracker
from psigraph.nodes.face.render import MIN_HALF_GAP, mouth_opening, row_from
from psigraph.nodes.face.synthetic import LABELS, PHONES


@pytest.fixture(scope="module")
def head():
    return load_head("ict")


def settled(phone=None, tract=None, viseme=None, frames=40):
    """The animator's row after ``frames`` frames of one tract target (phone of synthetic.PHONES or a
    (jaw, lip_ap, round, spread, tip) tuple) and viseme; blinks, gaze and head motion zeroed."""
    core = AnimatorCore(LABELS, head_motion=0.0, blink_rate=0.5)
    t = PHONES[phone] if phone else (*tract, 0.0, viseme)
    row = np.zeros(len(LABELS))
    row[:5] = t[:5]
    row[5] = VISEME_INDEX[t[6] if phone else viseme]
    out = core.frames(np.tile(row, (frames, 1)), 0)
    for k in ("eyeBlink_L", "eyeBlink_R", "gazeX", "gazeY", "headPitch", "headYaw", "headRoll"):
        out[:, INDEX[k]] = 0.0
    return out


def test_lips_meet_at_rest_and_part_in_a_pause_with_the_jaw_open(head):
    t = LandmarkTracker(head)
    assert abs(t.measure(row_from({}))["lip_gap_mm"]) < 0.5           # the scan's 0.8 mm gap is sealed
    rest = settled("sil")[-1]                                          # jaw 0.05, the sil viseme
    assert rest[INDEX["mouthClose"]] > 0.9 and t.measure(rest)["lip_gap_mm"] < 0.6
    pause = settled(tract=(REST_SEAL_JAW[0] + 0.1, 0.4, 0.0, 0.0, 0.0), viseme="sil")[-1]
    assert pause[INDEX["mouthClose"]] < 0.05 and t.measure(pause)["lip_gap_mm"] > 3.0


def test_viseme_postures_differ_by_phonetics(head):
    t = LandmarkTracker(head)
    w = {v: settled(tract=(0.15, 0.35, 0.0, 0.0, 0.0), viseme=v)[-1] for v in ("DD", "kk", "CH", "SS", "FF", "TH")}
    assert w["FF"][INDEX["mouthRollLower"]] > 0.5                      # lower lip under the upper teeth
    assert w["TH"][INDEX["tongueOut"]] > 0.5
    assert w["CH"][INDEX["mouthFunnel"]] > 0.15 and w["CH"][INDEX["mouthShrugUpper"]] > 0.15
    assert w["SS"][INDEX["mouthStretch_L"]] > 0.2
    assert w["kk"][INDEX["jawOpen"]] > w["DD"][INDEX["jawOpen"]] + 0.05
    # the TH tongue tip comes out between the teeth: in front of the upper incisors, between the lips
    v = HeadPoser(head).vertices(w["TH"])[0]
    tongue = np.nonzero(np.abs(head.deltas[head.shape_names.index("tongueOut")]).max(axis=1) > 0)[0]
    tip = v[tongue[np.argmax(v[tongue, 2])]]
    teeth = head.vertices[head.material == 2.0]
    lm = v[head.landmarks]
    assert tip[2] > np.percentile(teeth[:, 2], 99.5) - 0.01
    assert lm[66, 1] - 0.01 < tip[1] < lm[62, 1] + 0.01
    # the lips differ between the look-alike visemes: inner-lip gap, mouth width, lip protrusion (mm)
    def lips(r):
        v = HeadPoser(head).vertices(r)[0][head.landmarks]
        return t.measure(r)["lip_gap_mm"], 100 * float(np.ptp(v[[60, 64], 0])), 100 * float(v[[51, 57], 2].mean())
    m = {k: lips(r) for k, r in w.items()}
    assert m["CH"][2] > m["DD"][2] + 2.0 and m["CH"][1] < m["DD"][1] - 2.0    # rounded and pushed forward
    assert m["SS"][1] > m["DD"][1] + 4.0                                     # spread
    assert m["kk"][0] > m["DD"][0] + 1.0                                     # more jaw
    assert m["FF"][2] < m["DD"][2] - 1.5                                     # the lower lip tucked back


def test_viseme_postures_ease_in():
    core = AnimatorCore(LABELS, head_motion=0.0, blink_rate=0.5)
    row = np.zeros(len(LABELS))
    row[:5] = PHONES["f"][:5]
    row[5] = VISEME_INDEX["FF"]
    roll = core.frames(np.tile(row, (12, 1)), 0)[:, INDEX["mouthRollLower"]]
    assert 0.0 < roll[0] < roll[2] < roll[-1] and roll[-1] == pytest.approx(VISEME_SHAPES["FF"]["mouthRollLower"], abs=0.02)


def test_mouth_opening_follows_the_inner_lips(head):
    t = LandmarkTracker(head)
    for w, lo, hi in (({}, 0.0, 0.01), ({"jawOpen": 0.6}, 0.05, 0.3)):
        v = HeadPoser(head).vertices(row_from(w))[0]
        cx, cy, hw, hh = mouth_opening(v[head.landmarks])
        assert abs(cx) < 1e-3 and 0.15 < hw < 0.3
        assert hh >= MIN_HALF_GAP and lo <= hh <= hi
        assert 2 * hh == pytest.approx(max(t.measure(row_from(w))["lip_gap_mm"] / 100, 2 * MIN_HALF_GAP), abs=1e-3)


def test_catch_lights_sit_in_front_of_both_eyes_and_follow_the_gaze(head):
    p = HeadPoser(head)
    c0 = p.cornea_centers(row_from({}))
    for s in ("L", "R"):
        assert c0[s][2] > head.eye_center[s][2] + 0.05                 # in front of the eyeball's centre
    right = p.cornea_centers(row_from({"gazeX": 0.3}))
    assert all(right[s][0] > c0[s][0] + 0.009 for s in ("L", "R"))     # both move with the gaze (7.7°: 1.2 mm)
    turned = p.cornea_centers(row_from({"headYaw": 0.3}))
    assert all(turned[s][0] > c0[s][0] for s in ("L", "R"))            # and with the head


def _emotion_row(valence, arousal, dominance, frames=60):
    core = AnimatorCore(LABELS, head_motion=0.0, blink_rate=0.5)
    row = np.zeros(len(LABELS))
    row[:5] = (0.04, 0.2, 0.0, 0.0, 0.0)
    row[5] = VISEME_INDEX["sil"]
    row[7:10] = valence, arousal, dominance
    out = core.frames(np.tile(row, (frames, 1)), 0)[-1]
    for k in ("eyeBlink_L", "eyeBlink_R", "gazeX", "gazeY", "headPitch", "headYaw", "headRoll"):
        out[INDEX[k]] = 0.0
    return out


def test_sad_raises_the_inner_brows_and_anger_lowers_them_with_the_lips_pressed(head):
    t = LandmarkTracker(head)
    pose = HeadPoser(head)
    def brows(r):                                       # inner brow ends (landmarks 21, 22), mm
        v = pose.vertices(r)[0][head.landmarks] * head.mm_per_unit
        return v[[21, 22], 1].mean(), v[22, 0] - v[21, 0]
    y0, gap0 = brows(_emotion_row(0, 0, 0))
    y_sad, _ = brows(_emotion_row(-0.7, -0.5, -0.4))
    angry = _emotion_row(-0.7, 0.7, 0.7)
    y_ang, gap_ang = brows(angry)
    assert y_sad > y0 + 4.0                              # inner brows up (browInnerUp)
    assert y_ang < y0 - 3.0 and gap_ang < gap0 - 3.0     # down and drawn together
    assert abs(t.measure(angry)["lip_gap_mm"]) < 1.0     # lips pressed, no teeth bared


def test_pp_presses_and_rolls_the_lips_unlike_silence(head):
    pose = HeadPoser(head)
    def red_height(r):                                   # visible lip height, landmarks 51 to 57 (mm)
        v = pose.vertices(r)[0][head.landmarks]
        return float(v[51, 1] - v[57, 1]) * head.mm_per_unit
    sil, pp = settled("sil")[-1], settled("p")[-1]
    assert pp[INDEX["mouthPress_L"]] > sil[INDEX["mouthPress_L"]] + 0.3 and pp[INDEX["mouthRollLower"]] > 0.2
    assert red_height(pp) < red_height(sil) - 5.0


def test_teeth_are_painted_as_separate_teeth(head):
    teeth = np.nonzero(head.material == 2.0)[0]
    lum = head.colors[teeth].mean(axis=1)
    assert lum.max() > 0.8 and np.percentile(lum, 10) < 0.6 * lum.max()   # gaps and back teeth darker
