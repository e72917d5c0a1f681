"""Port types and port declarations.

A node declares ports as class attributes::

    class Gain(Node[GainParams]):
        x = In(Signal)                    # any rate, any channels
        y = Out(Signal, like="x")         # same rate and channels as x

Port kinds:

* ``Signal`` — sampled blocks of shape (n, channels), stamped with the master
  index of their first sample. ``rate`` is a rate name ("control"), Hz, a
  reference to a param (``"param:rate"``) or ``None`` (adopts what connects).
* ``Events`` — timestamped records :class:`Event` (master index, kind, payload).
* ``Value`` — a latest-value control; the node receives the current value.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np


class Event(NamedTuple):
    """A timestamped record. ``t`` is an absolute master-sample index."""

    t: int
    kind: str
    payload: Any = None


class PortKind:
    """Marker base for the three port kinds."""

    name = "port"


class Signal(PortKind):
    name = "signal"


class Events(PortKind):
    name = "events"


class Value(PortKind):
    name = "value"


KINDS = {"signal": Signal, "events": Events, "value": Value}


@dataclass
class PortDecl:
    """Class-level declaration of a port (direction, kind, rate and channel rules)."""

    kind: type
    rate: Any = None              # name | Hz | "param:NAME" | None
    channels: Any = None          # int | "param:NAME" | callable(params) | None
    like: str | None = None       # copy rate/channels from this input port
    dtype: str = "float64"
    doc: str = ""
    optional: bool = False        # inputs only: may stay unconnected
    default: Any = None           # Value inputs: value before the first change
    labels: Any = None            # channel names: list | callable(params)
    name: str = ""                # filled in by __set_name__
    direction: str = ""

    def __set_name__(self, owner, name):
        self.name = name

    # ---- introspection ----------------------------------------------------
    def describe(self) -> dict:
        """Plain-data description for `psigraph nodes --json` and the editor palette."""
        d = {"name": self.name, "kind": self.kind.name, "direction": self.direction}
        if self.kind is Signal:
            d["rate"] = _describe_rule(self.rate, self.like, "any")
            d["channels"] = _describe_rule(self.channels, self.like, "any")
            d["dtype"] = self.dtype
        if self.optional:
            d["optional"] = True
        if self.doc:
            d["doc"] = self.doc
        return d


def _describe_rule(value, like, fallback):
    if like:
        return f"like {like}"
    if value is None:
        return fallback
    if callable(value):
        return "computed from params"
    return float(value) if type(value).__name__ == "Fraction" else value   # ints stay ints


def In(kind=Signal, *, rate=None, channels=None, like=None, dtype="float64", doc="",
       optional=False, default=None) -> Any:
    """Declare an input port."""
    return PortDecl(kind, rate, channels, like, dtype, doc, optional, default, direction="in")


def Out(kind=Signal, *, rate=None, channels=None, like=None, dtype="float64", doc="", labels=None) -> Any:
    """Declare an output port."""
    return PortDecl(kind, rate, channels, like, dtype, doc, labels=labels, direction="out")


@dataclass(frozen=True)
class SignalSpec:
    """A resolved Signal port: exact period in master samples, channel count, names."""

    period: int
    channels: int
    dtype: str = "float64"
    labels: tuple = field(default=(), compare=False)
    rate_hz: float = 0.0

    def empty(self) -> np.ndarray:
        return np.zeros((0, self.channels), dtype=self.dtype)

    def index(self, label: str) -> int:
        """Channel index of a label (for ports with named channels)."""
        try:
            return self.labels.index(label)
        except ValueError:
            from .errors import PortError
            from .util import did_you_mean
            raise PortError(f"no channel named {label!r}" + did_you_mean(label, self.labels)) from None
