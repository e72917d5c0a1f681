"""Paths of the graphs shipped with psigraph (graphs/*.yaml, installed as psigraph.graphs)."""
from __future__ import annotations

import os
from importlib import resources


def graph_path(name: str) -> str:
    """The shipped graph ``name`` (e.g. "speak"): the source tree's copy, else the installed one."""
    local = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "graphs", f"{name}.yaml")
    return local if os.path.exists(local) else str(resources.files("psigraph.graphs") / f"{name}.yaml")
