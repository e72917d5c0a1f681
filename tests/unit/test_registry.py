import pytest

from psigraph import Node, Out, Params, Signal, param, registry
from psigraph.errors import RegistryError


class _P(Params):
    k: int = param(1, ge=0)


class V1(Node[_P]):
    """Test node, version 1."""
    type_id = "reg_probe"
    version = 1
    aliases = ("probe_alias",)
    y = Out(Signal, rate="control", channels=1)


class V2(Node[_P]):
    """Test node, version 2."""
    type_id = "reg_probe"
    version = 2
    y = Out(Signal, rate="control", channels=2)


def setup_module():
    registry.register(V1)
    registry.register(V2)


def test_versions_and_aliases():
    assert registry.get("reg_probe") is V2
    assert registry.get("reg_probe@1") is V1
    assert registry.get("probe_alias") is V2
    with pytest.raises(RegistryError, match="no version 3"):
        registry.get("reg_probe@3")
    with pytest.raises(RegistryError, match="bad version"):
        registry.get("reg_probe@x")


def test_unknown_type_suggests_and_says_how_to_list():
    with pytest.raises(RegistryError, match=r"did you mean 'reg_probe'.*psigraph nodes"):
        registry.get("reg_prob")


def test_params_class_comes_from_generic_argument():
    assert V1.Params is _P and V1.ports()["y"].direction == "out"


def test_entry_points_supply_basic_nodes():
    assert registry.get("gain").__module__ == "psigraph.nodes.basic.node"
