"""The ICT head model without GL: asset, ARKit mapping, gaze, head pose, landmarks, persona faces."""
import numpy as np
import pytest
from psigraph.nodes.face.arkit import ARKIT_NAMES
from psigraph.nodes.face.deform import HeadPoser, gaze_angles
from psigraph.nodes.face.face_style import (
    FaceStyle,
    FaceStyleError,
    face_style,
    style_from_dict,
)
from psigraph.nodes.face.heads import HeadError, load_head
from psigraph.nodes.face.ict import build_ict_head, load_asset
from psigraph.nodes.face.landmarks import LandmarkTracker
from psigraph.nodes.face.render import row_from


@pytest.fixture(scope="module")
def head():
    return load_head("ict")


def test_default_head_is_ict_and_procedural_stays(head):
    assert load_head() is head and head.name == "ict"
    assert load_head("procedural").name == "procedural"
    with pytest.raises(HeadError, match="unknown head"):
        load_head("mannequin")


def test_all_52_arkit_weights_have_a_shape(head):
    assert set(head.shape_names) == set(ARKIT_NAMES)
    for n in head.shape_names:
        assert np.abs(head.deltas[head.shape_names.index(n)]).max() > 1e-3, n
    assert head.faces.max() < head.n_vertices


def test_split_shapes_drive_both_sides(head):
    z = load_asset()
    k = head.shape_names.index("browInnerUp")
    total = np.zeros((head.n_vertices, 3))
    for side in ("L", "R"):
        np.add.at(total, z[f"x_browInnerUp_{side}_idx"], z[f"x_browInnerUp_{side}_delta"].astype(np.float64) * 0.1)
    assert np.allclose(head.deltas[k], total, atol=1e-4)
    d = head.deltas[head.shape_names.index("cheekPuff")]
    moved = np.linalg.norm(d, axis=1) > 0.01
    assert (head.vertices[moved, 0] > 0.2).any() and (head.vertices[moved, 0] < -0.2).any()


def test_tongue_out_moves_only_the_tongue_forward(head):
    d = head.deltas[head.shape_names.index("tongueOut")]
    moved = np.nonzero(np.linalg.norm(d, axis=1) > 1e-6)[0]
    assert set(moved) <= set(load_asset()["tongue"].tolist())
    assert d[moved, 2].max() > 0.2                        # the tip comes 2.6 cm forward


def test_mouth_close_acts_on_top_of_jaw_open(head):
    t = LandmarkTracker(head)
    gap = lambda w: t.measure(row_from(w))["lip_gap_mm"]
    assert gap({"jawOpen": 0.6}) > gap({}) + 8.0
    assert gap({"mouthClose": 1.0}) == pytest.approx(gap({}), abs=1e-6)   # alone: nothing
    assert abs(gap({"jawOpen": 0.6, "mouthClose": 1.0})) < 1.0          # sealed lips on an open jaw


@pytest.mark.parametrize("gx,gy", [(0.3, 0.0), (-0.25, 0.15), (0.0, -0.4)])
def test_gaze_rotates_the_eyeballs_by_the_commanded_angle(head, gx, gy):
    t = LandmarkTracker(head)
    row = row_from({"gazeX": gx, "gazeY": gy})
    got = t.measure(row)["gaze_deg"]
    want = gaze_angles(row)
    for s in ("L", "R"):
        assert np.allclose(got[s], want[s], atol=0.05), (s, got[s], want[s])
    assert want["L"][0] == pytest.approx(25.8 * gx)


def test_gaze_moves_the_lids_through_eye_look_shapes(head):
    p = HeadPoser(head)
    w = p.weights(row_from({"gazeY": 0.5}))
    assert w[head.shape_names.index("eyeLookUp_L")] == pytest.approx(10.0 / 25.0)
    assert w[head.shape_names.index("eyeLookDown_L")] == 0.0


def test_head_pose_turns_the_skull_and_bends_the_neck(head):
    p = HeadPoser(head)
    v0, _ = p.vertices(row_from({}))
    v1, M = p.vertices(row_from({"headYaw": 0.3}))
    assert np.allclose(M, np.eye(4))
    moved = np.linalg.norm(v1 - v0, axis=1)
    top = head.vertices[:, 1] > 0.5
    bottom = head.vertices[:, 1] < head.vertices[:, 1].min() + 0.2
    assert moved[top].mean() > 0.05 and moved[bottom].max() < 1e-4
    # rigid on the skull: distances between skull vertices are kept
    a, b = np.nonzero(top)[0][:50], np.nonzero(top)[0][-50:]
    assert np.allclose(np.linalg.norm(v1[a] - v1[b], axis=1), np.linalg.norm(v0[a] - v0[b], axis=1), atol=1e-5)


def test_blink_closes_the_eyes(head):
    t = LandmarkTracker(head)
    open_ = t.measure(row_from({}))["eye_open_mm"]
    shut = t.measure(row_from({"eyeBlink_L": 1.0, "eyeBlink_R": 1.0}))["eye_open_mm"]
    for s in ("L", "R"):
        assert open_[s] > 5.0 and shut[s] < 0.2 * open_[s], (s, open_[s], shut[s])


def test_persona_faces_differ_and_bald_is_an_option():
    a, b = face_style("default"), face_style("bright")
    assert a != b and a.hair == "short"
    ha, hb = build_ict_head(a), build_ict_head(b)
    assert np.abs(ha.vertices - hb.vertices).max() > 0.02          # identity weights change the shape
    bald = build_ict_head(FaceStyle(hair="bald"))
    assert bald.material.max() <= 6.0 and (ha.material[ha.material < 0.5] > 0.3).any()
    assert not (bald.material[bald.material < 0.5] > 0.0).any()


def test_bad_face_sections_name_the_field():
    with pytest.raises(FaceStyleError, match="unknown face field 'nose'"):
        style_from_dict({"nose": 1})
    with pytest.raises(FaceStyleError, match="face.skin must be 3 numbers"):
        style_from_dict({"skin": [1, 2, 3]})
    with pytest.raises(FaceStyleError, match="face.hair must be one of"):
        style_from_dict({"hair": "mohawk"})
    with pytest.raises(FaceStyleError, match="unknown persona"):
        face_style("nobody")


def test_shape_mix_smile_raises_the_cheeks_and_blinks_relax_the_squint(head):
    poser = HeadPoser(head)
    pos = {n: k for k, n in enumerate(head.shape_names)}
    smile = poser.weights(row_from({"mouthSmile_L": 0.5, "mouthSmile_R": 0.5}))
    assert smile[pos["cheekSquint_L"]] > 0.15 and smile[pos["eyeSquint_R"]] > 0.1
    assert smile[pos["mouthSmile_L"]] > 0.5                     # the ICT smile is weaker than ARKit's
    shut = poser.weights(row_from({"mouthSmile_L": 0.5, "mouthSmile_R": 0.5, "eyeBlink_L": 1.0, "eyeBlink_R": 1.0}))
    assert shut[pos["cheekSquint_L"]] == 0.0 and shut[pos["eyeSquint_R"]] == 0.0
    lips = poser.weights(row_from({"jawOpen": 0.4, "mouthClose": 0.7}))   # the lip-gap calibration is untouched
    assert lips[pos["jawOpen"]] == pytest.approx(0.4) and lips[pos["mouthClose"]] == pytest.approx(0.7)


def test_the_tongue_sinks_as_the_jaw_opens(head):
    t = load_asset()["tongue"]
    v0 = HeadPoser(head).vertices(row_from({}))[0][t]
    v1 = HeadPoser(head).vertices(row_from({"jawOpen": 1.0}))[0][t]
    assert (v1[:, 1] - v0[:, 1]).max() < -0.07       # every tongue vertex at least 7 mm lower (head units: 10 cm)


def test_contact_sheet_cells_are_labelled():
    import importlib.util
    import os
    path = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "face_contact_sheet.py")
    spec = importlib.util.spec_from_file_location("face_contact_sheet", path)
    sheet = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sheet)
    names = sheet.sheet_names()
    assert len(names) == 20 and names[:5] == ["neutral", "happy", "sad", "angry", "surprised"] and "PP" in names
    img = np.full((128, 128, 4), 100, np.uint8)
    for name in names:                                   # every name can be written
        out = sheet.label(img, name)
        changed = np.nonzero((out != img).any(axis=2))
        assert changed[0].max() < 20 and (out == 235).any()   # the label stays in the top strip


def test_rest_eyes_are_wider_than_the_scan_and_a_blink_still_closes_them(head):
    from psigraph.nodes.face.ict import REST_EYE_WIDE
    z = load_asset()
    lm = z["landmarks68"]
    scan = z["vertices"][lm].astype(np.float64)
    rest = head.vertices[lm].astype(np.float64) * head.mm_per_unit      # mm, offset irrelevant for differences
    for upper, lower in ((37, 41), (38, 40), (43, 47), (44, 46)):
        opened = (rest[upper, 1] - rest[lower, 1]) - 10.0 * (scan[upper, 1] - scan[lower, 1])
        assert 0.5 < opened < 3.0, (upper, opened)               # mm wider than the scan's sleepy lids
    assert 0.1 <= REST_EYE_WIDE <= 0.5
    poser = HeadPoser(head)
    shut = poser.vertices(row_from({"eyeBlink_L": 1.0, "eyeBlink_R": 1.0}))[0]
    lids = lm[36:48]                                   # the lid landmarks (skin vertices)
    for s in ("L", "R"):
        full = np.zeros((len(z["vertices"]), 3))
        full[z[f"x_eyeBlink_{s}_idx"]] = z[f"x_eyeBlink_{s}_delta"]
        want = z["vertices"][lids] + full[lids]
        got = shut[lids] / 0.1 - (head.vertices[lm[30]] / 0.1 - z["vertices"][lm[30]])   # back to the asset's cm frame
        moved = np.linalg.norm(full[lids], axis=1) > 0.05             # this side's lids
        assert moved.sum() >= 4 and np.abs(got - want)[moved].max() < 0.02   # the blink lands where the scan's does


def test_hair_hugs_the_skull_with_sideburns_and_a_shirt_dresses_the_shoulders():
    from psigraph.nodes.face.ict_paint import _hair_weight
    z = load_asset()
    v = z["vertices"].astype(np.float64)
    w, _ = _hair_weight(v, "short")
    near = lambda p: int(np.argmin(((v - np.array(p)) ** 2).sum(1)))
    assert w[near((7.0, 3.0, 3.0))] > 0.5                          # a sideburn in front of the ear
    assert w[near((0.0, 14.5, 0.0))] == pytest.approx(1.0)         # the crown
    assert w[near((0.0, 6.0, 11.0))] == 0.0                        # no hair on the brow ridge
    long_, _ = _hair_weight(v, "long")
    assert long_[near((7.0, -1.0, 3.5))] == 0.0 and w[near((7.0, -1.0, 3.5))] == 0.0   # no hair down the cheek
    assert long_[near((5.0, -4.0, -7.0))] > 0.5 > w[near((5.0, -4.0, -7.0))]           # long: over the nape
    styled, bald = build_ict_head(face_style("default")), build_ict_head(FaceStyle(hair="bald", shirt_rgb=(0.1, 0.5, 0.2)))
    lift_mm = np.linalg.norm(styled.vertices - bald.vertices, axis=1) * styled.mm_per_unit
    scalp = (styled.material > 0.3) & (styled.material < 0.5)
    side = scalp & (np.abs(v[:, 0]) > 6.5) & (v[:, 1] < 8.0)
    assert np.median(lift_mm[side]) < 7.0 and lift_mm[scalp].max() < 22.0   # close on the sides, no dome
    chest = near((0.0, -14.8, 3.5))
    assert bald.colors[chest, 1] > bald.colors[chest, 0] + 0.15           # the persona's green shirt
    assert style_from_dict({"shirt": [0.2, 0.3, 0.4]}).shirt_rgb == (0.2, 0.3, 0.4)


def test_brows_are_painted_thick_at_the_inner_end(head):
    z = load_asset()
    v = z["vertices"].astype(np.float64)
    L = v[z["landmarks68"]]
    skin = head.material == 0.0
    dark = skin & (head.colors.sum(1) < 0.8 * np.asarray(face_style("default").skin).sum())
    for inner, outer in ((21, 17), (22, 26)):
        col = (dark & (np.abs(v[:, 0] - L[inner, 0] - np.sign(L[outer, 0]) * 0.3) < 0.25) & (v[:, 2] > 8.0)
               & (np.abs(v[:, 1] - L[inner, 1]) < 2.0))
        ys = v[col, 1]
        assert len(ys) and 0.5 < np.ptp(ys) < 1.6, (inner, np.ptp(ys) if len(ys) else None)   # ~1 cm tall
