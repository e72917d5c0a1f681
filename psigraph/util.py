"""Small shared helpers (no heavy imports)."""
from __future__ import annotations

import difflib


def did_you_mean(name: str, candidates) -> str:
    """' (did you mean 'x'?)' or '' when nothing is close."""
    close = difflib.get_close_matches(str(name), [str(c) for c in candidates], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def split_ref(ref: str, what: str = "port") -> tuple[str, str]:
    """'node.port' → ('node', 'port')."""
    node, sep, port = str(ref).strip().rpartition(".")
    if not sep or not node or not port:
        from .errors import PortError
        raise PortError(f"{what} reference {ref!r} must look like node.{what}")
    return node, port
