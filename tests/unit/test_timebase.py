import pytest

from psigraph.errors import RateError
from psigraph.timebase import Timebase, period_of, ticks_in


def test_periods_are_exact_integers():
    tb = Timebase(24000)
    assert [tb.period(r) for r in ("audio", "control", "micro", "video", "meso", "macro")] == \
        [1, 120, 480, 400, 6000, 48000]
    assert tb.period(0.5) == 48000 and tb.period("0.5") == 48000


def test_rate_must_divide_master():
    with pytest.raises(RateError, match="does not divide"):
        period_of(7, 24000)
    with pytest.raises(RateError, match="unknown rate name 'contrl'.*did you mean 'control'"):
        Timebase().period("contrl")


@pytest.mark.parametrize("t0,t1,p,expected", [(0, 120, 120, (0, 1)), (1, 120, 120, (1, 0)),
                                              (1, 241, 120, (1, 2)), (240, 240, 120, (2, 0))])
def test_ticks_in_span(t0, t1, p, expected):
    assert ticks_in(t0, t1, p) == expected


def test_ticks_partition_any_split():
    p, total = 7, 0
    cuts = [0, 3, 4, 17, 18, 50]
    for a, b in zip(cuts, cuts[1:]):
        total += ticks_in(a, b, p)[1]
    assert total == ticks_in(0, 50, p)[1] == 8
