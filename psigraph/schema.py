"""JSON Schema (draft 2020-12) of graph files, generated from the node registry.

Every registered node type contributes its ``type`` ids (``gain``, ``gain@1``,
aliases) and a params object with each param's JSON type, default,
limits (``minimum``/``maximum``/exclusive), ``enum`` and a description that
includes the unit. Editors with YAML language servers can use it for completion;
``psigraph schema`` prints it. The schema checks structure and params only —
ports, rates and cycles are checked by ``psigraph validate``.
"""
from __future__ import annotations

import json
import math

from . import registry
from .migrate import CURRENT

ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
REF_PATTERN = r"^\s*[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*\s*$"
EDGE_PATTERN = (r"^\s*[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*\s*->"
                r"\s*[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*\s*$")

_JSON_TYPES = {"float": ["number"], "int": ["integer"], "str": ["string"], "bool": ["boolean"],
               "list": ["array"], "tuple": ["array"], "dict": ["object"], "None": ["null"], "NoneType": ["null"]}


def type_ids(cls) -> list[str]:
    """Every spelling of a node type in a file: id, id@version for each version, aliases."""
    tid = cls.type_id
    versions = sorted(registry.versions(tid) or {cls.version: cls})
    return [tid] + [f"{tid}@{v}" for v in versions] + sorted(cls.aliases)


def param_schema(p: dict) -> dict:
    """Schema of one param from ``Params.describe()`` output."""
    types: list[str] = []
    for part in str(p.get("type", "Any")).split("|"):
        t = _JSON_TYPES.get(part.strip())
        if t is None:
            types = []                 # Any or an unknown annotation: accept any value
            break
        types += [x for x in t if x not in types]
    s: dict = {}
    if types:
        s["type"] = types[0] if len(types) == 1 else types
    for key, jkey in (("ge", "minimum"), ("le", "maximum"), ("gt", "exclusiveMinimum"), ("lt", "exclusiveMaximum")):
        if key in p and isinstance(p[key], (int, float)) and math.isfinite(p[key]):
            s[jkey] = p[key]
    if p.get("choices"):
        s["enum"] = list(p["choices"])
    desc = p.get("doc", "")
    if p.get("unit"):
        desc = f"{desc} [{p['unit']}]".strip()
    if desc:
        s["description"] = desc
    if "default" in p and _jsonable(p["default"]):
        s["default"] = p["default"]
    return s


def node_schema(cls) -> dict:
    """Schema of one node entry ``{type: ..., params: {...}}`` of type ``cls``."""
    params = {p["name"]: param_schema(p) for p in cls.Params.describe()}
    required = [p["name"] for p in cls.Params.describe() if "default" not in p]
    ps: dict = {"type": "object", "properties": params, "additionalProperties": False}
    if required:
        ps["required"] = required
    desc = cls.describe().get("doc", "")
    return {
        "type": "object",
        "description": desc,
        "properties": {"type": {"enum": type_ids(cls)}, "params": ps},
        "required": ["type"],
    }


def json_schema() -> dict:
    """The JSON Schema of a format-1 graph file for the node types registered now."""
    classes = registry.all_types()
    defs: dict = {}
    cases = []
    all_ids: list[str] = []
    for cls in classes:
        key = f"node.{cls.type_id}"
        defs[key] = node_schema(cls)
        ids = type_ids(cls)
        all_ids += ids
        cases.append({"if": {"properties": {"type": {"enum": ids}}, "required": ["type"]},
                      "then": {"$ref": f"#/$defs/{key}"}})
    defs["node"] = {
        "type": "object",
        "description": "a node: {type: <registry id>, params: {...}}",
        "properties": {"type": {"enum": all_ids, "description": "registry id, optionally id@version"},
                       "params": {"type": "object"}},
        "required": ["type"],
        "additionalProperties": False,
        "allOf": cases,
    }
    defs["edge"] = {
        "oneOf": [
            {"type": "string", "pattern": EDGE_PATTERN, "description": "'src.port -> dst.port'"},
            {"type": "object", "required": ["from", "to"], "additionalProperties": False,
             "properties": {"from": {"type": "string", "pattern": REF_PATTERN},
                            "to": {"type": "string", "pattern": REF_PATTERN},
                            "delay": {"type": "integer", "minimum": 0,
                                      "description": "loop delay in ticks of the consumer's rate"}}},
        ]
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://psigraph.dev/schema/graph-{CURRENT}.json",
        "title": f"psigraph graph file (format {CURRENT})",
        "type": "object",
        "required": ["psigraph", "nodes"],
        "properties": {
            "psigraph": {"const": CURRENT, "description": "file-format version"},
            "graph": {
                "type": "object", "additionalProperties": False,
                "properties": {
                    "name": {"type": "string"},
                    "master_rate": {"type": "integer", "exclusiveMinimum": 0, "default": 24000,
                                    "description": "master clock [Hz]; every rate divides it"},
                    "seed": {"type": "integer", "default": 0},
                    "rates": {"type": "object", "propertyNames": {"pattern": ID_PATTERN},
                              "additionalProperties": {"type": "number", "exclusiveMinimum": 0},
                              "description": "named rate domains [Hz]"},
                },
            },
            "nodes": {"type": "object", "propertyNames": {"pattern": ID_PATTERN},
                      "additionalProperties": {"$ref": "#/$defs/node"}},
            "edges": {"type": "array", "items": {"$ref": "#/$defs/edge"}},
            "editor": {"type": "object", "description": "view settings; the runtime ignores them"},
        },
        "additionalProperties": True,
        "$defs": defs,
    }


def _jsonable(v) -> bool:
    try:
        json.dumps(v, allow_nan=False)
        return True
    except (TypeError, ValueError):
        return False
