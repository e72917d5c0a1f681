"""Integration fixtures: run the shipped listening graph (without the face) on audio."""
import numpy as np
import pytest
import soundfile as sf
from psigraph.runtime import Session
from psigraph.runtime.shipped import graph_path

import psigraph


def _listen_blocks(audio: np.ndarray, rate: int, path, ref: str):
    """Write ``audio`` to the WAV ``path``, run graphs/listen.yaml on it and return ``ref`` per block."""
    sf.write(str(path), audio, rate, subtype="PCM_16")
    g = psigraph.load(graph_path("listen"))
    g.set_param("source", "path", str(path))
    g.remove_node("face")
    with Session(g, block=4800) as s:
        s.watch(ref)
        return [got[ref] for got in s.until_done(max_duration=None)], s.master_rate


@pytest.fixture(scope="session")
def listen_blocks():
    """``listen_blocks(audio, rate, wav_path, ref) -> (outputs of ref per block, master rate)``."""
    return _listen_blocks
