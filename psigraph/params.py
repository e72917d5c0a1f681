"""Typed, validated node parameters.

    class GainParams(Params):
        gain: float = param(1.0, doc="linear gain")

Subclasses become frozen dataclasses automatically; values are checked (type,
``ge``/``le``/``gt``/``lt``, ``choices``) on construction, so an instance is
always valid. ``replace(**changes)`` returns a new validated instance.
"""
from __future__ import annotations

import dataclasses
import math
import typing
from typing import Any

from .errors import ParamError, ParamErrors
from .util import did_you_mean

_MISSING = dataclasses.MISSING


def param(default=_MISSING, *, ge=None, le=None, gt=None, lt=None, choices=None, unit: str = "",
          doc: str = "", nullable: bool = False) -> Any:
    """Declare a parameter with limits and documentation (read by registry, schema, editor)."""
    meta = {"ge": ge, "le": le, "gt": gt, "lt": lt, "choices": tuple(choices) if choices else None,
            "unit": unit, "doc": doc, "nullable": nullable}
    if isinstance(default, (list, dict, set)):
        value = default
        return dataclasses.field(default_factory=lambda: _copy(value), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def _copy(v):
    import copy
    return copy.deepcopy(v)


class Params:
    """Base class of every node's parameter set (a frozen, validated dataclass)."""

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if "__dataclass_fields__" not in cls.__dict__:
            dataclasses.dataclass(frozen=True)(cls)

    def __post_init__(self):
        hints = _hints(type(self))
        errors = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            try:
                checked = _check(f, hints.get(f.name, Any), value, type(self).__name__)
            except ParamError as e:
                errors.append(e)
                continue
            if checked is not value:
                object.__setattr__(self, f.name, checked)
        if not errors:
            errors = list(self.validate())
        if errors:
            raise errors[0] if len(errors) == 1 else ParamErrors(errors)

    def validate(self) -> list:
        """Cross-field checks after every field is valid; return ParamErrors (override)."""
        return []

    # ---- API --------------------------------------------------------------
    @classmethod
    def fields(cls) -> list[dataclasses.Field]:
        return list(dataclasses.fields(cls))

    @classmethod
    def from_dict(cls, values: dict | None, where: str = "") -> "Params":
        """Build from a plain mapping; unknown keys are an error with a suggestion."""
        if values is not None and not isinstance(values, dict):
            raise ParamError(f"params must be a mapping of name: value (got {type(values).__name__})",
                             where=where, code="param.type")
        values = dict(values or {})
        names = [f.name for f in dataclasses.fields(cls)]
        errors = [ParamError(f"unknown param {k!r}" + did_you_mean(k, names), where=str(k),
                             hint=f"known params: {', '.join(names) or '(none)'}", code="param.unknown")
                  for k in values if k not in names]
        try:
            obj = cls(**{k: v for k, v in values.items() if k in names})
        except ParamError as e:
            errors += getattr(e, "errors", [e])
            obj = None
        if not errors:
            return obj
        if where:
            for e in errors:
                e.where = f"{where}.{e.where}" if e.where else where
                e.args = (e.line(),)
        raise errors[0] if len(errors) == 1 else ParamErrors(errors)

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def replace(self, **changes) -> "Params":
        return self.from_dict({**self.to_dict(), **changes})

    @classmethod
    def describe(cls) -> list[dict]:
        """Plain-data description of every param (name, type, default, limits, unit, doc)."""
        hints = _hints(cls)
        out = []
        for f in dataclasses.fields(cls):
            d = {"name": f.name, "type": _type_name(hints.get(f.name, Any))}
            if f.default is not _MISSING:
                d["default"] = f.default
            elif f.default_factory is not _MISSING:  # type: ignore[misc]
                d["default"] = f.default_factory()   # type: ignore[misc]
            for k in ("ge", "le", "gt", "lt", "choices", "unit", "doc"):
                v = f.metadata.get(k)
                if v not in (None, ""):
                    d[k] = list(v) if k == "choices" else v
            out.append(d)
        return out


def _hints(cls) -> dict:
    try:
        return typing.get_type_hints(cls)
    except Exception:  # pragma: no cover - unresolvable annotations
        return dict(getattr(cls, "__annotations__", {}))


def _type_name(t) -> str:
    origin = typing.get_origin(t)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        return " | ".join(_type_name(a) for a in typing.get_args(t))
    if origin is not None:
        return getattr(origin, "__name__", str(origin))
    return getattr(t, "__name__", str(t))


def _accepts(t) -> tuple:
    """Python types accepted for annotation t."""
    origin = typing.get_origin(t)
    if t is Any:
        return (object,)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        acc = ()
        for a in typing.get_args(t):
            acc += _accepts(a)
        return acc
    if origin is not None:
        return (origin,)
    if t is float:
        return (float, int)
    if t is type(None):
        return (type(None),)
    return (t,) if isinstance(t, type) else (object,)


def _check(f: dataclasses.Field, t, value, owner: str):
    meta, name = f.metadata, f.name
    if value is _MISSING:
        raise ParamError("required param is missing", where=name, code="param.missing")
    if value is None and (meta.get("nullable") or type(None) in _accepts(t)):
        return value
    accepted = _accepts(t)
    if isinstance(value, bool) and bool not in accepted and object not in accepted:
        raise ParamError(f"must be {_type_name(t)}", where=name, got=repr(value), code="param.type")
    if not isinstance(value, accepted):
        raise ParamError(f"must be {_type_name(t)} (got {value!r})", where=name, code="param.type")
    if t is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            raise ParamError(f"must be finite (got {value!r})", where=name, code="param.range")
        for key, ok, sym in (("ge", lambda a, b: a >= b, ">="), ("le", lambda a, b: a <= b, "<="),
                             ("gt", lambda a, b: a > b, ">"), ("lt", lambda a, b: a < b, "<")):
            lim = meta.get(key)
            if lim is not None and not ok(value, lim):
                raise ParamError(f"must be {sym} {lim} (got {value!r})", where=name, code="param.range")
    choices = meta.get("choices")
    if choices and value not in choices:
        raise ParamError(f"must be one of {', '.join(map(repr, choices))} (got {value!r})"
                         + did_you_mean(value, choices), where=name, code="param.choice")
    return value


class NoParams(Params):
    """Params of a node without parameters."""
