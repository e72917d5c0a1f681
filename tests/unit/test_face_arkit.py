"""ARKit names, OVR visemes and the phone → viseme map."""
from psigraph.nodes.face.arkit import (ARKIT_NAMES, BLENDSHAPE_LABELS, VISEMES, phone_viseme,
                                       tract_viseme, viseme_name)


def test_names_and_visemes():
    assert len(ARKIT_NAMES) == 52 and len(set(ARKIT_NAMES)) == 52
    assert BLENDSHAPE_LABELS[:52] == ARKIT_NAMES
    assert BLENDSHAPE_LABELS[52:] == ("headPitch", "headYaw", "headRoll", "gazeX", "gazeY", "viseme")
    assert VISEMES == ("sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "ih", "oh", "ou")


def test_phone_map():
    assert [phone_viseme(p) for p in ("P", "b", "M", "F", "DH", "AA1", "IY0", "UW2", "OW1", "S", "K")] == \
        ["PP", "PP", "PP", "FF", "TH", "aa", "ih", "ou", "oh", "SS", "kk"]
    assert phone_viseme("???") == "sil"
    assert viseme_name(10.2) == "aa" and viseme_name(99) == "sil"


def test_tract_viseme():
    assert tract_viseme(0.1, 0.0, 0, 0, 0) == "PP"
    assert tract_viseme(0.7, 0.9, 0, 0, 0) == "aa"
    assert tract_viseme(0.2, 0.3, 1.0, 0, 0) == "ou"
