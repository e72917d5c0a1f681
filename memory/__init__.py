"""psigraph.memory: the ψ-trajectory store (DESIGN §7) — record, verify, forget, replay.

``Store(path, key=None)`` opens (or creates) a store; see memory/API.md for the contract.
Names are imported lazily so that ``import psigraph.memory`` (and the CLI) stays light.
"""
from __future__ import annotations

__all__ = ["Store", "Recording", "Utterance", "Frame", "canonical", "open_store", "resolve_key"]

_FROM = {"Store": "store", "Recording": "store", "Utterance": "store", "Frame": "store", "canonical": "store",
         "open_store": "keys", "resolve_key": "keys"}


def __getattr__(name):
    if name in _FROM:
        import importlib
        return getattr(importlib.import_module(f"{__name__}.{_FROM[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
