"""Bake ICT-FaceKit's head (``/work/shared/assets/ict_face/ict_face.npz``) into ``ict_head.npz`` (run once, offline).

    python nodes/face/assets/make_ict_asset.py [SOURCE.npz] [--out nodes/face/assets/ict_head.npz]

What the shipped file keeps (everything else of the source is left out):

- ``vertices`` (V, 3) float32 cm, ``faces`` (F, 3) int32, ``face_material`` (F,) uint8, ``materials``;
- per expression ``x_<name>_idx`` (k,) int32 / ``x_<name>_delta`` (k, 3) float16, offsets below
  ``MIN_DELTA_CM`` dropped (a twentieth of a pixel at 640 px) — the source's eyeballs never move
  in an expression (gaze is a rotation, done by the renderer);
- ``identity_modes`` (16, V, 3) float16, ``landmarks68``, ``rigid_vertices``;
- ``tongue`` (k,) int32: the tongue's vertices (texture islands of M_GumsTongue that sit
  between the lower teeth), so ``tongueOut`` can push it forward.
UV coordinates and source polygon ids are dropped (the head has no texture). The licence
(MIT, USC ICT) is copied beside it as ``LICENSE.ict``.
"""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np

SOURCE = Path("/work/shared/assets/ict_face/ict_face.npz")
HERE = Path(__file__).resolve().parent
MIN_DELTA_CM = 0.002


def tongue_vertices(z) -> np.ndarray:
    """Vertices of the UV islands of M_GumsTongue that lie inside the lower dental arch (the tongue)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    mats = list(z["materials"])
    fm, f, uf, v = z["face_material"], z["faces"], z["uv_faces"], z["vertices"]
    sel = fm == mats.index("M_GumsTongue")
    ff, uu = f[sel], uf[sel]
    n = len(z["uv"])
    e = np.concatenate([uu[:, [0, 1]], uu[:, [1, 2]], uu[:, [2, 0]]])
    _, lab = connected_components(coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n, n)), directed=False)
    island = lab[uu[:, 0]]
    keep = []
    for k in np.unique(island):
        vv = np.unique(ff[island == k])
        p = v[vv]
        # the tongue: narrow (|x| < 2.8 cm), low (below the upper gums), reaching back to the throat
        if np.abs(p[:, 0]).max() < 2.8 and p[:, 1].max() < -1.0 and p[:, 2].min() < 4.5 and len(vv) > 200:
            keep.append(vv)
    return np.unique(np.concatenate(keep)).astype(np.int32)


def bake(src: Path, out: Path) -> dict:
    z = np.load(src)
    mats = list(z["materials"])
    fm, f = z["face_material"], z["faces"]
    eyeball = np.zeros(len(z["vertices"]), bool)
    for name in ("M_ScleraLeft", "M_IrisLeft", "M_ScleraRight", "M_IrisRight"):
        eyeball[np.unique(f[fm == mats.index(name)])] = True
    data = {"vertices": z["vertices"].astype(np.float32), "faces": f.astype(np.int32),
            "face_material": fm.astype(np.uint8), "materials": z["materials"],
            "expressions": z["expressions"], "identity_modes": z["identity_modes"].astype(np.float16),
            "landmarks68": z["landmarks68"].astype(np.int32), "rigid_vertices": z["rigid_vertices"].astype(np.int32),
            "tongue": tongue_vertices(z)}
    kept = total = 0
    for name in z["expressions"]:
        idx, d = z[f"x_{name}_idx"], z[f"x_{name}_delta"].astype(np.float32)
        ok = (np.linalg.norm(d, axis=1) >= MIN_DELTA_CM) & ~eyeball[idx]
        order = np.argsort(idx[ok])
        data[f"x_{name}_idx"] = idx[ok][order].astype(np.int32)
        data[f"x_{name}_delta"] = d[ok][order].astype(np.float16)
        kept, total = kept + ok.sum(), total + len(idx)
    np.savez_compressed(out, **data)
    shutil.copyfile(src.parent / "LICENSE", out.parent / "LICENSE.ict")
    return {"offsets kept": f"{kept}/{total}", "tongue vertices": len(data["tongue"]),
            "bytes": out.stat().st_size}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", nargs="?", default=str(SOURCE))
    ap.add_argument("--out", default=str(HERE / "ict_head.npz"))
    a = ap.parse_args(argv)
    print(bake(Path(a.source), Path(a.out)))


if __name__ == "__main__":
    main()
