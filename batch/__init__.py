"""`psigraph batch`: idempotent clip rendering on a concurrent.futures executor (process pool or Dask).

From Python (evaluation sweeps, benchmarks)::

    from psigraph.batch import Settings, render
    report = render([{"id": "a", "text": "Hello."}], Settings(out="clips", frames=True), workers=2)
"""
from .clip import Settings
from .commands import render

__all__ = ["Settings", "render"]
