"""The JSON Schema generated from the registry."""
import glob
import json
from pathlib import Path

import pytest
import yaml

from psigraph import registry
from psigraph.schema import json_schema, param_schema

ROOT = Path(__file__).resolve().parents[2]


def test_every_type_with_versions_aliases_and_params():
    s = json_schema()
    json.dumps(s)                                            # plain JSON
    ids = s["$defs"]["node"]["properties"]["type"]["enum"]
    for cls in registry.all_types():
        d = s["$defs"][f"node.{cls.type_id}"]
        enum = d["properties"]["type"]["enum"]
        assert cls.type_id in enum and f"{cls.type_id}@{cls.version}" in enum
        assert set(cls.aliases) <= set(enum) and set(enum) <= set(ids)
        names = [f.name for f in cls.Params.fields()]
        assert list(d["properties"]["params"]["properties"]) == names
        assert d["properties"]["params"]["additionalProperties"] is False
    assert "amp" in s["$defs"]["node.gain"]["properties"]["type"]["enum"]     # alias
    freq = s["$defs"]["node.sine"]["properties"]["params"]["properties"]["freq"]
    assert freq == {"type": "number", "minimum": 0, "description": "frequency [Hz]", "default": 440.0}
    ticks = s["$defs"]["node.delay"]["properties"]["params"]["properties"]["ticks"]
    assert ticks["type"] == "integer" and ticks["minimum"] == 1
    rate = s["$defs"]["node.sine"]["properties"]["params"]["properties"]["rate"]
    assert rate["type"] == ["string", "number"]


def test_param_schema_mapping():
    p = param_schema({"name": "m", "type": "str", "default": "a", "choices": ["a", "b"], "unit": "", "doc": "mode"})
    assert p == {"type": "string", "enum": ["a", "b"], "description": "mode", "default": "a"}
    assert param_schema({"name": "x", "type": "Any"}) == {}
    assert param_schema({"name": "x", "type": "float | None", "gt": 0, "lt": 1})["type"] == ["number", "null"]
    assert param_schema({"name": "x", "type": "float", "gt": 0, "lt": 1})["exclusiveMaximum"] == 1


def _validator():
    jsonschema = pytest.importorskip("jsonschema")
    s = json_schema()
    jsonschema.Draft202012Validator.check_schema(s)
    return jsonschema.Draft202012Validator(s)


@pytest.mark.parametrize("path", sorted(glob.glob(str(ROOT / "graphs" / "*.yaml"))) +
                         [str(ROOT / "tests" / "data" / "canonical.yaml")], ids=lambda p: Path(p).name)
def test_shipped_graphs_validate(path):
    v = _validator()
    doc = yaml.safe_load(Path(path).read_text())
    assert [e.message for e in v.iter_errors(doc)] == []


def test_schema_rejects_bad_files():
    v = _validator()
    doc = yaml.safe_load((ROOT / "tests" / "data" / "canonical.yaml").read_text())
    doc["nodes"]["lfo"]["params"]["freq"] = -1.0
    doc["nodes"]["lfo"]["params"]["frq"] = 1.0
    doc["nodes"]["mix"]["type"] = "gian"
    doc["edges"].append("nonsense")
    doc["psigraph"] = 2
    paths = sorted(e.json_path for e in v.iter_errors(doc))
    assert paths == ["$.edges[7]", "$.nodes.lfo.params", "$.nodes.lfo.params.freq", "$.nodes.mix.type", "$.psigraph"]
