"""Counter-based noise: the value at sample index i depends only on (seed, i),
so any block split gives bit-identical noise (block-size invariance, exact replay)."""
from __future__ import annotations

import numpy as np

from . import njit

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_G = np.uint64(0x9E3779B97F4A7C15)


@njit
def _splitmix(x):
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit
def _uniform_into(seed, start, out):
    """out[i] = uniform in [-1, 1) for absolute index start+i."""
    s = _splitmix(np.uint64(seed))
    for i in range(out.shape[0]):
        z = _splitmix(s ^ (np.uint64(start + i) * np.uint64(0x9E3779B97F4A7C15)))
        out[i] = (z >> np.uint64(11)) * (1.0 / 9007199254740992.0) * 2.0 - 1.0


def uniform(seed: int, start: int, n: int) -> np.ndarray:
    """n uniform values in [-1, 1) for absolute indices start..start+n-1."""
    out = np.empty(n)
    _uniform_into(np.uint64(seed & 0xFFFFFFFFFFFFFFFF), np.int64(start), out)
    return out


def gaussian(seed: int, start: int, n: int) -> np.ndarray:
    """Approximately standard-normal counter-based noise (sum of 4 uniforms, variance-scaled)."""
    acc = np.zeros(n)
    for k in range(4):
        acc += uniform(seed * 4 + k + 1, start, n)
    return acc * np.sqrt(3.0 / 4.0)
