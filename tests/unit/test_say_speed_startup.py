"""Start-up of the say path stays light: a whole short say imports neither networkx nor SciPy's BLAS."""
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0"),
                                reason="a whole say as plain Python is too slow; the JIT pass runs it")


def test_say_imports_neither_networkx_nor_scipy_linalg(tmp_path):
    wav = tmp_path / "x.wav"
    code = ("import sys; from psigraph.runtime.say import SayOptions, say;"
            f"say(SayOptions(text='Hi.', output={str(wav)!r}));"
            "print(sorted(m for m in ('networkx', 'scipy.linalg') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
    assert wav.stat().st_size > 1000
