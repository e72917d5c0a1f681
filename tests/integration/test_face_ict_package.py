"""The wheel ships the ICT head asset and its licence beside the face family (issue 14)."""
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _builder():
    """An interpreter that can build a wheel offline (setuptools + wheel), or None."""
    for py in (sys.executable, "/usr/bin/python3"):
        if Path(py).exists() and subprocess.run([py, "-c", "import setuptools, wheel"],
                                                capture_output=True, check=False).returncode == 0:
            return py
    return None


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_wheel_contains_the_ict_asset_and_licence(tmp_path):
    py = _builder()
    if py is None:
        pytest.skip("no interpreter with setuptools and wheel to build a wheel offline")
    src = tmp_path / "src"
    src.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "HEAD"], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    p = subprocess.run([py, "setup.py", "-q", "bdist_wheel", "-d", str(tmp_path / "dist")], cwd=src,
                       capture_output=True, text=True, timeout=600, check=False)
    assert p.returncode == 0, p.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("psigraph-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        assert "psigraph/nodes/face/assets/ict_head.npz" in names
        assert "psigraph/nodes/face/assets/LICENSE.ict" in names
        assert "psigraph/nodes/face/assets/faces.yaml" in names
        licence = z.read("psigraph/nodes/face/assets/LICENSE.ict").decode()
        assert "MIT" in licence or "Permission is hereby granted" in licence
        info = z.getinfo("psigraph/nodes/face/assets/ict_head.npz")
        assert info.file_size == (REPO / "nodes/face/assets/ict_head.npz").stat().st_size
