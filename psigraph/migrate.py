"""Graph-file migrations: chained pure functions, one per format version.

``MIGRATIONS[n]`` turns a format-``n`` document (plain dicts and lists, as read
from YAML) into a format-``n+1`` document and returns it together with a map of
renamed dotted paths (old prefix → new prefix) so that problems found later
still point at the right line of the original file. :func:`migrate` applies the
chain up to :data:`CURRENT`; a newer format is refused by the loader.
"""
from __future__ import annotations

import copy
from typing import Callable

CURRENT = 1


def _v0_to_v1(doc: dict) -> tuple[dict, dict]:
    """Format 0 (pre-release) → 1.

    Format 0 kept ``name``/``master_rate``/``seed``/``rates`` at the top level and
    wrote edges as ``connections: [[a.y, b.x], ...]``.
    """
    doc = copy.deepcopy(doc)
    renames: dict[str, str] = {}
    graph = dict(doc.pop("graph", None) or {})
    for key in ("name", "master_rate", "seed", "rates"):
        if key in doc:
            graph[key] = doc.pop(key)
            renames[key] = f"graph.{key}"
    out: dict = {"psigraph": 1}
    if graph:
        out["graph"] = graph
    for key, value in doc.items():
        if key == "psigraph":
            continue
        if key == "connections":
            edges = list(out.get("edges", []))
            for i, c in enumerate(value or []):
                renames[f"connections.{i}"] = f"edges.{len(edges)}"
                if isinstance(c, (list, tuple)) and len(c) == 2:
                    edges.append(f"{c[0]} -> {c[1]}")
                else:
                    edges.append(c)              # left for the structure check to report
            out["edges"] = edges
        else:
            out[key] = value
    return out, renames


#: version n -> function migrating a format-n document to format n+1
MIGRATIONS: dict[int, Callable[[dict], tuple[dict, dict]]] = {0: _v0_to_v1}


def migrate(doc: dict, version: int) -> tuple[dict, dict]:
    """Bring ``doc`` (format ``version``) to :data:`CURRENT`; returns (doc, path renames)."""
    renames: dict[str, str] = {}
    while version < CURRENT:
        step = MIGRATIONS.get(version)
        if step is None:
            raise ValueError(f"format {version} is too old to migrate (oldest supported: {min(MIGRATIONS)})")
        doc, more = step(doc)
        # compose: earlier renames now point at paths the later step may rename again
        renames = {old: _rename(new, more) for old, new in renames.items()}
        for old, new in more.items():
            renames.setdefault(old, new)
        version += 1
    return doc, renames


def _rename(path: str, renames: dict) -> str:
    for old, new in renames.items():
        if path == old or path.startswith(old + "."):
            return new + path[len(old):]
    return path


def rename_path(path: str, renames: dict) -> str:
    """Apply a rename map to one dotted path (longest matching prefix wins)."""
    best = None
    for old in renames:
        if (path == old or path.startswith(old + ".")) and (best is None or len(old) > len(best)):
            best = old
    return path if best is None else renames[best] + path[len(best):]
