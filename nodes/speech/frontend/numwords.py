"""Numbers as English words: cardinals (to trillions), ordinals, years, decimals and digit strings."""
from __future__ import annotations

__all__ = ["cardinal", "cardinal_str", "ordinal", "ordinal_str", "year", "decimal", "digits", "ordinal_word"]

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = [(10 ** 12, "trillion"), (10 ** 9, "billion"), (10 ** 6, "million"), (1000, "thousand")]
_ORD_IRREGULAR = {"one": "first", "two": "second", "three": "third", "five": "fifth",
                  "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}
MAX_CARDINAL = 10 ** 15 - 1


def _below_100(n: int) -> str:
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")


def _below_1000(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    parts = []
    if hundreds:
        parts.append(f"{_ONES[hundreds]} hundred")
    if rest or not hundreds:
        parts.append(_below_100(rest))
    return " ".join(parts)


def digits(s: str) -> str:
    """Read a digit string one digit at a time: ``"555"`` → ``"five five five"``."""
    return " ".join(_ONES[ord(c) - 48] for c in s if "0" <= c <= "9")


def cardinal_str(s: str) -> str:
    """:func:`cardinal` of a digit string; more than 15 digits are read one by one (never
    converts a huge string to ``int``: Python refuses more than 4300 digits)."""
    s = s.strip()
    if not s or len(s) > 15 or not s.isascii() or not s.isdigit():
        return digits(s) or "zero"
    return cardinal(int(s))


def ordinal_str(s: str) -> str:
    """:func:`ordinal` of a digit string (long strings: digit by digit, the last one ordinal)."""
    return ordinal_word(cardinal_str(s))


def cardinal(n: int) -> str:
    """American cardinal without "and": 1234 → "one thousand two hundred thirty-four".

    Negative numbers get "minus"; numbers above 999 trillion are read digit by digit.
    """
    if n < 0:
        return "minus " + cardinal(-n)
    if n > MAX_CARDINAL:
        return digits(str(n))
    if n < 1000:
        return _below_1000(n)
    parts = []
    for scale, name in _SCALES:
        q, n = divmod(n, scale)
        if q:
            parts.append(f"{_below_1000(q)} {name}")
    if n:
        parts.append(_below_1000(n))
    return " ".join(parts)


def ordinal_word(words: str) -> str:
    """Turn the last word of a cardinal phrase into its ordinal: "twenty-one" → "twenty-first"."""
    head, sep, last = words.rpartition(" ")
    h2, hy, last2 = last.rpartition("-")
    if last2 in _ORD_IRREGULAR:
        last2 = _ORD_IRREGULAR[last2]
    elif last2.endswith("y"):
        last2 = last2[:-1] + "ieth"
    else:
        last2 = last2 + "th"
    return head + sep + h2 + hy + last2


def ordinal(n: int) -> str:
    """21 → "twenty-first"."""
    return ordinal_word(cardinal(n))


def year(n: int) -> str:
    """Read a year the way people say it: 1999 → "nineteen ninety-nine", 2005 → "two thousand five",
    1905 → "nineteen oh five", 1900 → "nineteen hundred", 2024 → "twenty twenty-four"."""
    if n < 1000 or n > 9999:
        return cardinal(n)
    if 2000 <= n <= 2009:
        return cardinal(n)
    hi, lo = divmod(n, 100)
    if lo == 0:
        return f"{_below_100(hi)} hundred"
    if lo < 10:
        return f"{_below_100(hi)} oh {_ONES[lo]}"
    return f"{_below_100(hi)} {_below_100(lo)}"


def decimal(s: str) -> str:
    """Read a decimal string: "3.14" → "three point one four", "-0.5" → "minus zero point five".

    Thousands separators (commas) in the integer part are allowed.
    """
    s = s.strip()
    neg = s.startswith("-")
    if neg:
        s = s[1:]
    whole, _, frac = s.partition(".")
    whole = whole.replace(",", "")
    out = cardinal_str(whole) if whole else "zero"
    if frac:
        out += " point " + digits(frac)
    return ("minus " + out) if neg else out
