"""psi_core's start-up hash in Python integers equals the kernel's uint64 hash (so initial phases are unchanged)."""
import numpy as np
from psigraph.nodes.psi import kernels


def test_hash_int_equals_kernel_hash():
    rng = np.random.default_rng(3)
    seeds = [0, 1, 2**64 - 1] + [int(x) for x in rng.integers(0, 2**63, 20, dtype=np.int64)]
    counters = [0, 1, 2**62, 2**62 + 177, 2**63 - 1] + [int(x) for x in rng.integers(0, 2**62, 20, dtype=np.int64)]
    for s in seeds:
        for c in counters:
            assert kernels.hash_int(s, c) == int(kernels._hash(np.uint64(s), np.int64(c))), (s, c)
