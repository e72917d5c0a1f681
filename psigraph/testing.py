"""Test helpers shipped for node packs: vector sources and sinks, and a node outside a graph.

One-call offline runs of a graph are in :func:`psigraph.runtime.testing.run_offline`
(the core imports no runtime code):

    g = Graph()
    g.add_node("src", "vector_source", {"data": [[0.0], [1.0]], "rate": "control"})
    g.add_node("amp", "gain", {"gain": 2.0})
    g.add_node("out", "vector_sink")
    g.connect("src.y", "amp.x"); g.connect("amp.y", "out.x")
    out = run_offline(g, duration=0.01)["out"]
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .node import Node
from .params import Params, param
from .ports import Events, In, Out, Signal


class VectorSourceParams(Params):
    data: Any = param([], doc="samples: a list of rows (n × channels) or a flat list")
    rate: str | float = param("audio", doc="a rate name or Hz")
    repeat: bool = param(False, doc="loop the data instead of padding with zeros")


def _as_rows(data) -> np.ndarray:
    a = np.asarray(data, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValueError("vector_source data must be 1-D or 2-D")
    return a


class VectorSource(Node[VectorSourceParams]):
    """Plays back given samples (zeros after the end, or looped with repeat)."""

    type_id = "vector_source"
    HIDDEN = True
    category = "testing"
    y = Out(Signal, rate="param:rate", channels=lambda p: max(1, _as_rows(p.data).shape[1]) if len(p.data) else 1)

    def reset(self):
        self.rows = _as_rows(self.params.data) if len(self.params.data) else np.zeros((0, 1))

    def process(self):
        k0, n = self.ticks("y")
        out = np.zeros((n, self.out_specs["y"].channels))
        if len(self.rows) and n:
            idx = np.arange(k0, k0 + n)
            if self.params.repeat:
                out[:] = self.rows[idx % len(self.rows)]
            else:
                ok = idx < len(self.rows)
                out[ok] = self.rows[idx[ok]]
        return out


@dataclass
class _Collected:
    chunks: list = field(default_factory=list)


class VectorSink(Node):
    """Collects every sample it receives; read it with ``.data``."""

    type_id = "vector_sink"
    HIDDEN = True
    category = "testing"
    x = In(Signal)

    def reset(self):
        self.state = _Collected()

    def process(self, x):
        if len(x):
            self.state.chunks.append(np.array(x))

    @property
    def data(self) -> np.ndarray:
        ch = self.in_specs["x"].channels
        return np.concatenate(self.state.chunks) if self.state.chunks else np.zeros((0, ch))


class EventCollector(Node):
    """Collects every event it receives; read it with ``.events``."""

    type_id = "event_collector"
    HIDDEN = True
    category = "testing"
    x = In(Events)

    def reset(self):
        self.state = _Collected()

    def process(self, x):
        self.state.chunks.extend(x)

    @property
    def events(self) -> list:
        return list(self.state.chunks)


def instantiate(cls, params=None, inputs: dict | None = None, master_rate: int = 24000, seed: int = 0):
    """A node ready to process outside a graph: specs resolved, ``reset()`` called, span at 0.

    ``inputs`` maps input ports to SignalSpecs (default: ``cls.example_input_specs``).
    """
    from .node import NodeContext, signal_spec
    from .timebase import Timebase
    tb = Timebase(master_rate)
    node = cls(params)
    in_specs = dict(inputs if inputs is not None else cls.example_input_specs(node.params, tb))
    out_specs = {}
    for name, decl in cls.outputs().items():
        spec = signal_spec(decl, node.params, tb, in_specs)
        if spec is not None:
            out_specs[name] = spec
    node.bind(NodeContext(cls.type_id, tb, seed, in_specs, out_specs))
    node.t0 = node.t1 = 0
    node.reset()
    return node


def empty_inputs(node) -> dict:
    """Zero-length inputs for every input port of an instantiated node."""
    out = {}
    for name, decl in type(node).inputs().items():
        if decl.kind is Signal:
            spec = node.in_specs.get(name)
            out[name] = spec.empty() if spec is not None else None
        elif decl.kind is Events:
            out[name] = []
        else:
            out[name] = decl.default
    return out
