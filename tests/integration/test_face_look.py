"""The rendered mouth of the ICT head (off-screen GL): a dark graded cavity with the upper teeth
showing and the lower ones mostly behind the lower lip; at rest the lips meet."""
import importlib.util
import os

import numpy as np
import pytest

HERE = os.path.dirname(__file__)


def _sheet():
    spec = importlib.util.spec_from_file_location("face_contact_sheet", os.path.join(HERE, "..", "..", "benchmarks", "face_contact_sheet.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _inside(poly, h, w):
    """Mask of the pixels inside a polygon (even-odd rule)."""
    yy, xx = np.mgrid[0:h, 0:w] + 0.5
    out = np.zeros((h, w), bool)
    for (x0, y0), (x1, y1) in zip(poly, np.roll(poly, -1, axis=0)):
        cross = (y0 > yy) != (y1 > yy)
        xi = x0 + (yy - y0) * (x1 - x0) / np.where(y1 == y0, 1e-12, y1 - y0)
        out ^= cross & (xx < xi)
    return out


@pytest.fixture(scope="module")
def renders():
    from psigraph.nodes.face.render import FaceRenderer
    sheet = _sheet()
    rows = dict(zip(sheet.sheet_names(), sheet.sheet_rows()))
    r = FaceRenderer(320, 320, distance=3.2, target=(0.0, -0.45, 0.0))     # the lower face, 1 px ≈ 0.3 mm
    try:
        yield {k: (r.render(rows[k])[..., :3].astype(float), r.landmarks(rows[k])) for k in ("aa", "E", "neutral")}
    finally:
        r.close()


@pytest.mark.parametrize("viseme", ["aa", "E"])
def test_open_mouth_is_dark_inside_with_the_upper_teeth_showing(renders, viseme):
    img, lm = renders[viseme]
    lum = img @ np.array([0.2126, 0.7152, 0.0722])
    mouth = _inside(lm[60:68], *lum.shape)
    top, bottom = lm[[61, 62, 63], 1].mean(), lm[[65, 66, 67], 1].mean()
    ys = np.arange(lum.shape[0])[:, None] + 0.5
    third = (bottom - top) / 3
    upper, lower = mouth & (ys < top + third), mouth & (ys > bottom - third)
    assert mouth.sum() > 300
    assert (lum[mouth] < 60).mean() > 0.4                              # a dark cavity, not a flat wall
    assert (lum[upper] > 150).mean() > 0.08                            # the upper teeth show
    assert (lum[lower] > 150).mean() < 0.5 * (lum[upper] > 150).mean()  # the lower ones mostly behind the lip
    deep = mouth & (ys > top + third) & (ys < bottom - third)
    assert np.std(lum[deep]) > 3.0                                     # graded, not one flat colour


def test_lips_meet_at_rest_no_line_of_teeth(renders):
    img, lm = renders["neutral"]
    lum = img @ np.array([0.2126, 0.7152, 0.0722])
    x0, x1 = int(lm[60, 0]), int(lm[64, 0])
    y = int(round(lm[[62, 66], 1].mean()))
    band = lum[y - 3:y + 4, x0 + 5:x1 - 5]
    assert (band > 200).mean() < 0.02                                   # no white teeth between the lips
