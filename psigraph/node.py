"""The Node base class: ports as class attributes, validated params, pure processing.

A node is driven by the runtime through three calls:

* ``reset()`` — (re)build state for a run; compile kernels here.
* ``process(**inputs)`` — called for a span ``[self.t0, self.t1)`` of master
  time. Signal inputs arrive as arrays of shape (n, channels) holding every
  sample whose time lies in the span; Events inputs as lists of :class:`Event`
  (all of them at ``self.t0``: the runtime splits spans at event times); Value
  inputs as the current value. Return the outputs: a dict keyed by port name,
  or a bare array/list when the node has exactly one output. Every Signal
  output must hold exactly the samples of its rate in the span
  (``self.ticks(port)``), each computed only from inputs at or before its
  own time. Output events may be timed at or after ``self.t0``.
* ``flush()`` — write pending results (sinks); ``close()`` — release resources.

Zero-length spans must pass through and leave state intact.
"""
from __future__ import annotations

import typing
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np

from .params import NoParams, Params
from .ports import PortDecl, SignalSpec, Signal
from .timebase import ticks_in

P = TypeVar("P", bound=Params)


class Node(Generic[P]):
    """Base class of every node type. See the module docstring for the contract."""

    type_id: ClassVar[str] = ""
    version: ClassVar[int] = 1
    aliases: ClassVar[tuple] = ()
    HOT_PARAMS: ClassVar[frozenset] = frozenset()
    IS_DELAY: ClassVar[bool] = False       # emits from state before absorbing (breaks cycles)
    FINITE: ClassVar[bool] = False         # has a natural end: Session.run_until_done waits for done()
    Params: ClassVar[type] = NoParams
    category: ClassVar[str] = "basic"

    # set by the runtime before reset()
    t0: int = 0
    t1: int = 0
    master_rate: int = 24000
    seed: int = 0
    in_specs: dict
    out_specs: dict

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        for base in getattr(cls, "__orig_bases__", ()):
            if typing.get_origin(base) is Node:
                (arg,) = typing.get_args(base)
                if isinstance(arg, type) and issubclass(arg, Params):
                    cls.Params = arg
        ports = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, PortDecl):
                    ports[name] = value
        cls._ports = ports

    def __init__(self, params: Params | dict | None = None, **kw):
        if params is None or isinstance(params, dict):
            params = self.Params.from_dict({**(params or {}), **kw})
        elif kw:
            params = params.replace(**kw)
        self.params: P = params  # type: ignore[assignment]
        self.in_specs, self.out_specs = {}, {}
        self.state = None

    # ---- introspection (class level) -----------------------------------
    @classmethod
    def ports(cls) -> dict[str, PortDecl]:
        return dict(cls._ports)

    @classmethod
    def inputs(cls) -> dict[str, PortDecl]:
        return {n: p for n, p in cls._ports.items() if p.direction == "in"}

    @classmethod
    def outputs(cls) -> dict[str, PortDecl]:
        return {n: p for n, p in cls._ports.items() if p.direction == "out"}

    @classmethod
    def describe(cls) -> dict:
        """Plain data: id, version, doc, ports, params (for CLI, schema and editor)."""
        return {
            "type": cls.type_id, "version": cls.version, "aliases": list(cls.aliases),
            "category": cls.category, "doc": (cls.__doc__ or "").strip().split("\n")[0],
            "inputs": [p.describe() for p in cls.inputs().values()],
            "outputs": [p.describe() for p in cls.outputs().values()],
            "params": cls.Params.describe(), "hot_params": sorted(cls.HOT_PARAMS),
        }

    @classmethod
    def example_input_specs(cls, params: Params, timebase) -> dict:
        """Input specs used by the contract test harness (override when channel labels matter)."""
        from .ports import Signal
        specs = {}
        for name, decl in cls.inputs().items():
            if decl.kind is not Signal:
                continue
            rate = decl.rate if decl.rate is not None else "control"
            rate = _from_param(rate, params)
            ch = _from_param(decl.channels, params) if decl.channels is not None else 1
            period = timebase.period(rate)
            specs[name] = SignalSpec(period, int(ch), decl.dtype, (), float(timebase.master_rate / period))
        return specs

    # ---- lifecycle ---------------------------------------------------------
    def reset(self) -> None:
        """Build state for a new run. Override; called after ports are resolved."""

    def process(self, **inputs):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.process")

    def flush(self) -> None:
        """Write anything pending (sinks). Called at the end of every run."""

    def close(self) -> None:
        """Release resources. Called once when the session closes."""

    def done(self) -> bool:
        """For FINITE nodes: True once everything this node will produce has been produced."""
        return True

    def set_params(self, params: Params) -> None:
        """Apply a hot parameter change (default: just swap the frozen params)."""
        self.params = params

    # ---- helpers for process() ----------------------------------------------
    def ticks(self, port: str) -> tuple[int, int]:
        """(first tick index, count) of a Signal port inside the current span."""
        spec = self.out_specs.get(port) or self.in_specs[port]
        return ticks_in(self.t0, self.t1, spec.period)

    def zeros(self, port: str) -> np.ndarray:
        """A zero block of the right shape for output ``port`` in the current span."""
        spec = self.out_specs[port]
        return np.zeros((self.ticks(port)[1], spec.channels), dtype=spec.dtype)

    def rng(self, stream: int = 0) -> np.random.Generator:
        """A generator seeded from the graph seed, this node and a stream number."""
        return np.random.default_rng([self.seed, stream])

    def __getstate__(self):
        return dict(self.__dict__)

    def __repr__(self):
        return f"<{type(self).__name__} {self.params}>"


def signal_spec(decl: PortDecl, params: Params, timebase, inputs: dict[str, SignalSpec],
                where: str = "") -> SignalSpec | None:
    """Resolve a Signal declaration against params, timebase and resolved inputs.

    Returns None when it depends on an input that is not resolved yet.
    """
    if decl.kind is not Signal:
        return None
    base = inputs.get(decl.like) if decl.like else None
    if decl.like and base is None:
        return None
    rate, channels = decl.rate, decl.channels
    if rate is None:
        if base is None:
            return None
        period, hz = base.period, base.rate_hz
    else:
        rate = _from_param(rate, params)
        period = timebase.period(rate, where=where)
        hz = float(timebase.master_rate / period)
    if channels is None:
        channels = base.channels if base is not None else None
        if channels is None:
            return None
    else:
        channels = _from_param(channels, params)
    labels = decl.labels(params) if callable(decl.labels) else (decl.labels or ())
    if not labels and base is not None and decl.channels is None:
        labels = base.labels
    return SignalSpec(period=period, channels=int(channels), dtype=decl.dtype, labels=tuple(labels), rate_hz=hz)


def _from_param(rule, params):
    if callable(rule):
        return rule(params)
    if isinstance(rule, str) and rule.startswith("param:"):
        return getattr(params, rule[6:])
    return rule
