"""The Node base class: ports as class attributes, validated params, pure processing.

The runtime↔node protocol, in the order the runtime uses it:

* ``check(params, inputs)`` (classmethod) — problems that would stop this node
  from running with these params and resolved input specs, as located
  :class:`~psigraph.errors.Issue` s. Called by the one analysis pass
  (``psigraph validate``) before any instance exists: whatever it accepts must
  build and run.
* ``bind(context)`` — the runtime hands the node its :class:`NodeContext`
  (id, timebase, seed, resolved port specs). Readable as ``self.node_id``,
  ``self.timebase``, ``self.master_rate``, ``self.seed``, ``self.in_specs``,
  ``self.out_specs``.
* ``reset()`` — (re)build state for a run. Cheap; no compilation.
* ``warmup()`` — compile or load kernels (numba) on tiny inputs, so no kernel
  compiles inside ``process()``. Must not change the state ``reset()`` built.
* ``process(**inputs)`` — called for a span ``[self.t0, self.t1)`` of master
  time. Signal inputs arrive as arrays of shape (n, channels) holding every
  sample whose time lies in the span; Events inputs as lists of :class:`Event`
  (all of them at ``self.t0``: the runtime splits spans at event times); Value
  inputs as the current value. Return the outputs: a dict keyed by port name,
  or a bare array/list when the node has exactly one output. Every Signal
  output must hold exactly the samples of its rate in the span
  (``self.ticks(port)``), each computed only from inputs at or before its
  own time. Output events may be timed at or after ``self.t0``.
* ``set_params(params)`` — a hot param change, between spans.
* ``flush()`` — finish pending results (sinks, under temporary names);
  ``commit()`` — publish them (only after every node flushed without error);
  ``close()`` — release resources, discard anything uncommitted.

Zero-length spans must pass through and leave state intact. A node that
breaks feedback loops derives from :class:`DelayNode` instead.
"""
from __future__ import annotations

import inspect
import typing
from dataclasses import dataclass, field
from typing import ClassVar, Generic, TypeVar

import numpy as np

from .params import NoParams, Params
from .ports import PortDecl, SignalSpec, Signal
from .timebase import Timebase, seconds_to_index, ticks_in


@dataclass(frozen=True)
class NodeContext:
    """What the runtime tells a node about its place in a graph."""

    node_id: str = ""
    timebase: Timebase = field(default_factory=Timebase)
    seed: int = 0
    in_specs: dict = field(default_factory=dict)      # input port -> SignalSpec
    out_specs: dict = field(default_factory=dict)     # output port -> SignalSpec


P = TypeVar("P", bound=Params)


class Node(Generic[P]):
    """Base class of every node type. See the module docstring for the contract."""

    type_id: ClassVar[str] = ""
    version: ClassVar[int] = 1
    aliases: ClassVar[tuple] = ()
    HOT_PARAMS: ClassVar[frozenset] = frozenset()
    FINITE: ClassVar[bool] = False         # has a natural end: the runtime waits for done()
    ROLE: ClassVar[str] = ""               # what the node is in the speech/face chain (psigraph.chain parts)
    HIDDEN: ClassVar[bool] = False         # test helpers: not listed by `psigraph nodes` unless asked
    Params: ClassVar[type] = NoParams
    category: ClassVar[str] = "basic"
    # Offline-run hints read by the runtime's Session (all optional):
    READS: ClassVar[dict] = {}             # {input port: labels} the node actually reads (skip_unread)
    PIPELINE: ClassVar[bool] = False       # process() runs mostly without the GIL: may run a chunk behind
    OWN_EVENT_TIMES: ClassVar[bool] = False  # takes a span's events in one call and applies them at their ticks

    context: NodeContext = NodeContext()
    t0: int = 0                            # the span being processed (master indices)
    t1: int = 0

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        for base in getattr(cls, "__orig_bases__", ()):
            origin = typing.get_origin(base)
            if isinstance(origin, type) and issubclass(origin, Node):
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
        self.state = None

    # ---- context (set by the runtime through bind) ---------------------------
    def bind(self, context: NodeContext) -> None:
        """Receive the node's context; called by the runtime before ``reset()``."""
        self.context = context

    @property
    def node_id(self) -> str:
        return self.context.node_id or self.type_id

    @property
    def timebase(self) -> Timebase:
        return self.context.timebase

    @property
    def master_rate(self) -> int:
        return self.context.timebase.master_rate

    @property
    def seed(self) -> int:
        return self.context.seed

    @property
    def in_specs(self) -> dict:
        return self.context.in_specs

    @property
    def out_specs(self) -> dict:
        return self.context.out_specs

    def index(self, seconds) -> int:
        """Master samples in ``seconds`` (the one rounding rule, :func:`psigraph.timebase.seconds_to_index`)."""
        return seconds_to_index(seconds, self.master_rate)

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

    @classmethod
    def check(cls, params: Params, inputs: dict) -> list:
        """Problems with these params and resolved input specs (``{port: SignalSpec}``; unresolved
        ports are absent), as :class:`~psigraph.errors.Issue` s with paths relative to the node
        (``params.<name>`` or ``inputs.<port>``) and a structured ``code``. Override."""
        return []

    # ---- lifecycle ---------------------------------------------------------
    def reset(self) -> None:
        """Build state for a new run. Override; called after ``bind()``."""

    def warmup(self) -> None:
        """Compile or load kernels on tiny inputs (called once after the first ``reset()``). Override."""

    def outputs_read(self, read: dict) -> None:
        """Told before a run which signal outputs are read, ``{port: labels or None for all}``; a node
        may skip computing the rest (Session ``skip_unread``). Default: compute everything."""

    def process(self, **inputs):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.process")

    def flush(self) -> None:
        """Finish writing what is pending (sinks), still under temporary names. End of every run."""

    def commit(self) -> None:
        """Publish finished outputs (move temporary files into place). Called only after every node
        of the session flushed successfully, so a failed run publishes nothing."""

    def close(self) -> None:
        """Release resources and discard anything uncommitted. Called once when the session closes."""

    def done(self) -> bool:
        """For FINITE nodes: True once everything this node will produce has been produced."""
        return True

    def end(self) -> int | None:
        """For FINITE nodes: the master index where the node will be done, once it knows (else None).
        The runtime stops exactly there, so the length of every output is block-size invariant."""
        return None

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

    def __repr__(self):
        return f"<{type(self).__name__} {self.params}>"


class DelayNode(Node[P]):
    """A node that breaks feedback loops: in a cycle the runtime calls ``emit()`` (output from state)
    at the start of each chunk and ``absorb(x)`` (the input) at its end, instead of ``process()``."""

    def max_span(self) -> int:
        """Longest chunk (master samples) the loop can be advanced in."""
        raise NotImplementedError

    def emit(self):
        """The output for span [t0, t1) computed from state alone."""
        raise NotImplementedError

    def absorb(self, x) -> None:
        """Take the input for span [t0, t1) into state."""
        raise NotImplementedError


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
        channels = _from_param(channels, params, inputs)
    labels = _from_param(decl.labels, params, inputs) if callable(decl.labels) else (decl.labels or ())
    if not labels and base is not None and decl.channels is None:
        labels = base.labels
    return SignalSpec(period=period, channels=int(channels), dtype=decl.dtype, labels=tuple(labels), rate_hz=hz)


def _takes_inputs(rule) -> bool:
    try:
        return len(inspect.signature(rule).parameters) >= 2
    except (TypeError, ValueError):
        return False


def _from_param(rule, params, inputs=None):
    if callable(rule):     # rule(params), or rule(params, inputs) when it takes the resolved input specs
        return rule(params, inputs or {}) if _takes_inputs(rule) else rule(params)
    if isinstance(rule, str) and rule.startswith("param:"):
        return getattr(params, rule[6:])
    return rule
