"""The burgerservicenummer (BSN) and its 11-check (elfproef).

A BSN has nine digits d1..d9. It passes the elfproef when
9*d1 + 8*d2 + 7*d3 + 6*d4 + 5*d5 + 4*d6 + 3*d7 + 2*d8 - 1*d9 is divisible by 11.
The check catches every single mistyped digit and most swaps of two neighbouring digits; it does
not prove that the number was ever issued.
"""

from __future__ import annotations

_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)
# Separators people type when they copy a BSN from a letter or a passport.
_SEPARATORS = str.maketrans("", "", " .-")


def normalise_bsn(raw: str) -> str:
    """Strip the spaces, dots and hyphens people type; keep everything else as given."""
    return raw.translate(_SEPARATORS)


def bsn_problem(raw: str) -> str | None:
    """What is wrong with `raw` as a BSN, or None when it is valid.

    The message never contains the number itself: it ends up in logs and responses.
    """
    digits = normalise_bsn(raw)
    if not digits.isascii() or not digits.isdigit():
        return "must contain only digits"
    if len(digits) != len(_WEIGHTS):
        # Old 8-digit numbers are valid BSNs once a leading 0 is added; we do not guess that.
        return "must be exactly 9 digits (put a 0 in front of an 8-digit number)"
    if set(digits) == {"0"}:
        return "cannot be all zeros"
    if _weighted_sum(digits) % 11 != 0:
        return "fails the 11-check (elfproef); check the digits"
    return None


def is_valid_bsn(raw: str) -> bool:
    return bsn_problem(raw) is None


def _weighted_sum(digits: str) -> int:
    return sum(int(digit) * weight for digit, weight in zip(digits, _WEIGHTS, strict=True))
