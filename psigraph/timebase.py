"""Master clock and rates: every rate is an exact integer divisor of ``master_rate``.

Time is always an integer master-sample index. A rate of ``r`` Hz has a *period*
of ``master_rate / r`` master samples; its k-th tick happens at master index
``k * period``. A span ``[t0, t1)`` of master time contains the ticks
``ceil(t0/period) .. ceil(t1/period) - 1``.
"""
from __future__ import annotations

from fractions import Fraction

from .errors import RateError

DEFAULT_MASTER_RATE = 24000
DEFAULT_RATES = {"audio": 24000, "control": 200, "micro": 50, "video": 60, "meso": 4, "macro": 0.5}


def as_fraction(hz: float | int | str | Fraction) -> Fraction:
    """Hz as an exact fraction (0.5 → 1/2; floats are read as their shortest decimal)."""
    if isinstance(hz, Fraction):
        return hz
    if isinstance(hz, bool):
        raise RateError(f"rate must be a number, not {hz!r}")
    try:
        return Fraction(str(hz)) if isinstance(hz, float) else Fraction(hz)
    except (ValueError, ZeroDivisionError) as exc:
        raise RateError(f"rate {hz!r} is not a number") from exc


def period_of(hz, master_rate: int = DEFAULT_MASTER_RATE, where: str = "") -> int:
    """Master samples per tick of ``hz``; refuses rates that do not divide the master rate."""
    f = as_fraction(hz)
    if f <= 0:
        raise RateError(f"rate must be > 0 Hz (got {hz})", where=where)
    p = Fraction(master_rate) / f
    if p.denominator != 1:
        raise RateError(f"rate {hz} Hz does not divide the master rate {master_rate} Hz",
                        where=where, hint="choose a rate r with master_rate / r an integer")
    return int(p)


def ticks_in(t0: int, t1: int, period: int) -> tuple[int, int]:
    """(first tick index, tick count) of a period inside master span [t0, t1)."""
    k0 = -(-t0 // period)
    k1 = -(-t1 // period)
    return k0, k1 - k0


def seconds_to_index(seconds, master_rate) -> int:
    """Master index of a time in seconds: the nearest sample (ties to even), exact for decimal text.

    The one rounding rule of psigraph: every seconds → samples/ticks conversion uses it.
    Floats are read as their shortest decimal (0.1 s at 24 kHz is exactly 2400).
    """
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float, Fraction, str)):
        raise RateError(f"time must be a number of seconds (got {seconds!r})")
    try:
        f = Fraction(str(seconds)) if isinstance(seconds, (float, str)) else Fraction(seconds)
    except (ValueError, ZeroDivisionError) as exc:
        raise RateError(f"time {seconds!r} is not a finite number of seconds") from exc
    return round(f * master_rate)


def format_hz(hz) -> str:
    """Short text for a rate: 24000, 0.5, 200."""
    f = as_fraction(hz)
    return str(f.numerator) if f.denominator == 1 else f"{float(f):g}"


class Timebase:
    """Named rate domains of one graph, resolved against its master rate."""

    def __init__(self, master_rate: int = DEFAULT_MASTER_RATE, rates: dict | None = None):
        if not isinstance(master_rate, int) or master_rate <= 0:
            raise RateError(f"master_rate must be a positive integer (got {master_rate!r})")
        self.master_rate = master_rate
        self.rates = dict(DEFAULT_RATES if rates is None else rates)

    def hz(self, rate) -> Fraction:
        """A rate name or number as exact Hz (the name ``master`` is the master rate itself)."""
        if isinstance(rate, str):
            if rate == "master":
                return Fraction(self.master_rate)
            if rate in self.rates:
                return as_fraction(self.rates[rate])
            try:
                return as_fraction(float(rate))
            except (RateError, ValueError):
                from .util import did_you_mean
                raise RateError(f"unknown rate name {rate!r}" + did_you_mean(rate, self.rates),
                                hint="declare it under graph.rates or give Hz") from None
        return as_fraction(rate)

    def period(self, rate, where: str = "") -> int:
        return period_of(self.hz(rate), self.master_rate, where)

    def seconds_to_index(self, t: float) -> int:
        """Master index of a time in seconds (see :func:`seconds_to_index`)."""
        return seconds_to_index(t, self.master_rate)

