"""A contract every registered node type must honour (HOUSE_STYLE: one test over EVERY node)."""
import json
import pickle

import numpy as np
import pytest

from psigraph import registry
from psigraph.ports import Signal
from psigraph.testing import empty_inputs, instantiate

TYPES = registry.pack_types()
IDS = [c.type_id for c in TYPES]


def test_registry_found_the_basic_nodes():
    for tid in ("sine", "gain", "add", "delay", "hold", "decimate", "resample", "npy_sink", "wav_sink",
                "events_sink", "vector_source", "vector_sink"):
        assert tid in IDS
    assert not registry.load_errors


@pytest.mark.parametrize("cls", TYPES, ids=IDS)
def test_introspection_without_instantiating(cls):
    d = cls.describe()
    json.dumps(d)
    assert d["type"] == cls.type_id and d["doc"], "every node needs a one-line docstring"
    assert d["inputs"] or d["outputs"]
    for p in d["params"]:
        assert "default" in p, f"{cls.type_id}.{p['name']} has no default"


@pytest.mark.parametrize("cls", TYPES, ids=IDS)
def test_default_params_are_valid(cls):
    p = cls.Params()
    assert cls.Params.from_dict(p.to_dict()) == p


@pytest.mark.parametrize("cls", TYPES, ids=IDS)
def test_zero_length_input_passes_and_state_is_picklable(cls, tmp_cwd):
    node = instantiate(cls)
    before = pickle.dumps(node.state)
    out = node.process(**empty_inputs(node))
    outs = type(node).outputs()
    if len(outs) == 1 and not isinstance(out, dict):
        out = {next(iter(outs)): out}
    for name, decl in outs.items():
        if decl.kind is Signal:
            got = (out or {}).get(name)
            assert got is not None and got.shape == (0, node.out_specs[name].channels), name
    assert pickle.dumps(node.state) == before, "a zero-length span changed the state"
    assert pickle.dumps(pickle.loads(before)) == before


def test_import_psigraph_pulls_no_gui_audio_or_sqlite():
    import subprocess
    import sys
    code = ("import sys, psigraph, psigraph.runtime, psigraph.compile, psigraph.testing; "
            "psigraph.registry.all_types(); "
            "bad = [m for m in ('PySide6', 'vispy', 'sounddevice', 'sqlite3', 'pyqtgraph') if m in sys.modules]; "
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
