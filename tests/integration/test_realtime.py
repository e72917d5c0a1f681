"""Real-time mode with a simulated sound card: the callback only copies; under-runs are counted."""
import time

import numpy as np

from psigraph import Graph
from psigraph.node import Node
from psigraph.ports import In, Signal
from psigraph import registry
from psigraph.runtime import Session
from psigraph.runtime.realtime import RealtimeRunner, RingBuffer, SimulatedClock


def tone_graph():
    g = Graph()
    g.add_node("tone", "sine", {"freq": 300.0, "amp": 0.5})
    g.add_node("out", "audio_sink")
    g.connect("tone.y", "out.x")
    return g


def test_ring_buffer_wraps_and_counts_underruns():
    r = RingBuffer(8)
    assert r.write(np.arange(6, dtype=float)[:, None]) == 6
    out = np.zeros((4, 1), np.float32)
    r.read_into(out)
    assert out[:, 0].tolist() == [0, 1, 2, 3]
    assert r.write(np.arange(10, dtype=float)[:, None]) == 6
    out = np.zeros((10, 1), np.float32)
    r.read_into(out)
    assert out[:, 0].tolist() == [4, 5, 0, 1, 2, 3, 4, 5, 0, 0] and r.underruns == 1 and r.missing == 2


def test_live_output_equals_offline_output():
    s = Session(tone_graph(), block=240)
    runner = RealtimeRunner(s, ahead_s=0.05)
    runner.start()
    played = SimulatedClock(runner.callback, 24000, 240).run(0.3)
    runner.stop()
    ref = Session(tone_graph(), block=4800)
    tap = ref.tap("tone.y")
    ref.run(duration=0.3)
    n = len(played)
    assert runner.stats()["underruns"] == 0
    assert np.allclose(played[:, 0], np.asarray(tap)[:n, 0].astype(np.float32))


class _Slow(Node):
    """Pass-through that stalls on some control ticks (a heavy slow-rate node)."""
    type_id = "_test_slow"
    x = In(Signal, rate="control")

    def process(self, x):
        if len(x) and self.t0 // 120 % 20 == 0:
            time.sleep(0.03)


def test_heavy_node_never_blocks_the_callback():
    registry.register(_Slow)
    g = tone_graph()
    g.add_node("ctl", "sine", {"rate": "control", "freq": 1.0})
    g.add_node("slow", "_test_slow")
    g.connect("ctl.y", "slow.x")
    runner = RealtimeRunner(Session(g, block=240), ahead_s=0.1)
    runner.start()
    clock = SimulatedClock(runner.callback, 24000, 240)
    clock.run(0.2)
    runner.stop()
    assert len(clock.blocks) == 20          # the device was served on time, every block
    assert runner.stats()["graph_time_s"] > 0
