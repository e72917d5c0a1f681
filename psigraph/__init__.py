"""psigraph — speech and a talking face from one network of coupled phase oscillators.

Public facade. The core imports no Qt, vispy, sounddevice or sqlite.
"""
from .errors import (GraphError, GraphFileError, Issue, ParamError, PortError,  # noqa: F401
                     PsigraphError, RateError, RegistryError, SchedulingError)
from .graph import Edge, Graph  # noqa: F401
from .node import Node  # noqa: F401
from .params import Params, param  # noqa: F401
from .ports import Event, Events, In, Out, Signal, SignalSpec, Value  # noqa: F401

__version__ = "0.1.0"

__all__ = ["load", "loads", "save", "dumps", "check", "Graph", "Edge", "Node", "Params", "param", "In", "Out",
           "Signal", "Events", "Value", "Event", "SignalSpec", "PsigraphError", "GraphFileError", "Issue"]


def load(path: str) -> Graph:
    """Load and validate a graph file; raises GraphFileError listing every problem."""
    from .fileformat import load as _load
    return _load(path)


def loads(text: str, filename: str = "<string>") -> Graph:
    """Load a graph from YAML text."""
    from .fileformat import loads as _loads
    return _loads(text, filename)


def save(graph: Graph, path: str) -> None:
    """Write a graph in canonical form (deterministic, byte for byte)."""
    from .fileformat import save as _save
    _save(graph, path)


def dumps(graph: Graph) -> str:
    from .fileformat import dumps as _dumps
    return _dumps(graph)


def check(graph: Graph) -> list:
    """Every issue of an in-memory graph (empty list when valid)."""
    from .compile import check as _check
    return _check(graph)
