"""psigraph.runtime — run graphs: offline sessions, taps, profiling, real-time and CLI."""
from .session import Session, Tap  # noqa: F401

__all__ = ["Session", "Tap"]
