"""Counter-based randomness: the value at (seed, counter) depends on nothing else, so any block
split gives bit-identical noise (block-size invariance, exact replay). One mixer for the psi and
speech kernels (the face animator's pure-Python blink noise still has its own variant)."""
from __future__ import annotations

import numpy as np

from . import njit


@njit
def _splitmix64(z):
    """The splitmix64 finaliser of a uint64 state (Steele, Lea & Flood 2014)."""
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))
