"""One-call offline runs for tests of node packs (the node helpers are in :mod:`psigraph.testing`)."""
from __future__ import annotations

import numpy as np

from psigraph.testing import EventCollector, VectorSink


def run_offline(graph, duration: float, block: int = 480, taps=(), **session_kw) -> dict:
    """Run a graph headless; returns {sink id: data} for vector sinks/collectors plus {ref: data} for taps."""
    from psigraph.runtime import Session
    s = Session(graph, block=block, **session_kw)
    handles = {ref: s.tap(ref) for ref in taps}
    s.run(duration=duration)
    out = {ref: np.asarray(t) if t.kind == "signal" else t.events for ref, t in handles.items()}
    for nid, slot in s.slots.items():
        if isinstance(slot.node, VectorSink):
            out[nid] = slot.node.data
        elif isinstance(slot.node, EventCollector):
            out[nid] = slot.node.events
    s.close()
    return out
