"""Registry of node types: ``type_id`` (optionally ``@version``) → class.

Third-party packs register through the entry-point group ``psigraph.nodes``;
each entry point names a module (all Node subclasses with a ``type_id`` are
taken) or a single Node class. psigraph's own nodes are found the same way.
"""
from __future__ import annotations

import inspect
from importlib import import_module
from importlib.metadata import entry_points

from .errors import RegistryError
from .util import did_you_mean

GROUP = "psigraph.nodes"
_types: dict[str, dict[int, type]] = {}
_aliases: dict[str, str] = {}
_loaded = False
_from_packs: set = set()          # classes that came from entry points (shipped node packs)
load_errors: list[str] = []


def register(cls: type) -> type:
    """Register a Node class (usable as a decorator). Re-registering the same class is a no-op."""
    tid, ver = cls.type_id, int(getattr(cls, "version", 1))
    if not tid:
        raise RegistryError(f"{cls.__name__} has no type_id")
    existing = _types.setdefault(tid, {}).get(ver)
    if existing is not None and existing is not cls and existing.__qualname__ != cls.__qualname__:
        raise RegistryError(f"node type {tid}@{ver} registered twice ({existing.__module__} and {cls.__module__})")
    _types[tid][ver] = cls
    for alias in getattr(cls, "aliases", ()):
        _aliases[alias] = tid
    return cls


def _register_module(mod) -> None:
    from .node import Node
    for _, obj in inspect.getmembers(mod, inspect.isclass):
        if issubclass(obj, Node) and obj is not Node and obj.__dict__.get("type_id"):
            register(obj)


def load_entry_points(force: bool = False) -> None:
    """Discover node packs once (or again with force=True)."""
    global _loaded
    if _loaded and not force:
        return
    _loaded = True
    for ep in entry_points(group=GROUP):
        try:
            obj = ep.load()
        except Exception as exc:  # a broken pack must not take the others down
            load_errors.append(f"node pack {ep.name!r} ({ep.value}) failed to load: {exc}")
            continue
        if inspect.ismodule(obj):
            _register_module(obj)
            package = obj.__name__.rpartition(".")[0] + "."     # classes defined in the pack's package
            _from_packs.update(c for c in vars(obj).values() if isinstance(c, type) and c.__dict__.get("type_id")
                               and (c.__module__ == obj.__name__ or c.__module__.startswith(package)))
        else:
            register(obj)
            _from_packs.add(obj)


def parse_type(ref: str) -> tuple[str, int | None]:
    """'gain@2' → ('gain', 2); 'gain' → ('gain', None)."""
    tid, _, ver = str(ref).partition("@")
    if ver:
        try:
            return tid, int(ver)
        except ValueError:
            raise RegistryError(f"bad version in node type {ref!r}", hint="write TYPE@N with an integer N") from None
    return tid, None


def get(ref: str) -> type:
    """The class for a type id (alias or ``id@version``); newest version if none given."""
    load_entry_points()
    tid, ver = parse_type(ref)
    tid = _aliases.get(tid, tid)
    versions = _types.get(tid)
    if not versions:
        raise RegistryError(f"unknown node type {ref!r}" + did_you_mean(tid, all_ids()),
                            hint="run `psigraph nodes` to list the available types")
    if ver is None:
        return versions[max(versions)]
    if ver not in versions:
        raise RegistryError(f"node type {tid!r} has no version {ver}",
                            hint=f"available: {', '.join(f'{tid}@{v}' for v in sorted(versions))}")
    return versions[ver]


def has(ref: str) -> bool:
    try:
        get(ref)
        return True
    except RegistryError:
        return False


def versions(tid: str) -> dict[int, type]:
    """{version: class} registered for a type id (empty when unknown)."""
    load_entry_points()
    return dict(_types.get(_aliases.get(tid, tid), {}))


def aliases_of(tid: str) -> list[str]:
    load_entry_points()
    return sorted(a for a, t in _aliases.items() if t == tid)


def all_ids() -> list[str]:
    load_entry_points()
    return sorted(set(_types) | set(_aliases))


def all_types() -> list[type]:
    """Newest version of every registered type, sorted by id."""
    load_entry_points()
    return [v[max(v)] for _, v in sorted(_types.items())]


def pack_types() -> list[type]:
    """Every version of every type shipped by an installed node pack (not ad-hoc test registrations)."""
    load_entry_points()
    return sorted(_from_packs, key=lambda c: (c.type_id, c.version))


def import_pack(module: str) -> None:
    """Register every node type in a module by import path (for tests and scripts)."""
    _register_module(import_module(module))
