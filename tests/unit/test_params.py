import pytest

from psigraph import Params, param
from psigraph.errors import ParamError


class P(Params):
    gain: float = param(1.0, ge=0, le=10, unit="dB", doc="g")
    mode: str = param("a", choices=["a", "b"])
    n: int = param(3, ge=1)


def test_defaults_and_coercion():
    p = P.from_dict({"gain": 2})
    assert p.gain == 2.0 and isinstance(p.gain, float) and p.n == 3


@pytest.mark.parametrize("values, text", [
    ({"gain": -1}, "gain: error: must be >= 0"),
    ({"gain": 11}, "must be <= 10"),
    ({"mode": "c"}, "must be one of 'a', 'b'"),
    ({"n": 0}, "n: error: must be >= 1 (got 0)"),
    ({"n": 1.5}, "must be int"),
    ({"n": True}, "must be int"),
    ({"gain": float("nan")}, "must be finite"),
])
def test_invalid_values_name_field_expected_and_got(values, text):
    with pytest.raises(ParamError) as e:
        P.from_dict(values)
    assert text in str(e.value)


def test_unknown_param_suggests():
    with pytest.raises(ParamError, match="did you mean 'gain'"):
        P.from_dict({"gian": 1}, where="nodes.x.params")


def test_frozen_and_replace_validates():
    p = P()
    with pytest.raises(Exception):
        p.gain = 3  # type: ignore[misc]
    assert p.replace(gain=4).gain == 4.0
    with pytest.raises(ParamError):
        p.replace(gain=-4)


def test_describe_has_limits_units_docs():
    d = {x["name"]: x for x in P.describe()}
    assert d["gain"]["ge"] == 0 and d["gain"]["unit"] == "dB" and d["mode"]["choices"] == ["a", "b"]
