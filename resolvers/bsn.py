"""The BSN rule: nine digits passing the 11-proef (SPEC §3, REFERENCE "BSN").

A valid checksum does not mean the number was issued. BSNs are personal data: never log them.
"""

from __future__ import annotations

from stdnum.exceptions import ValidationError
from stdnum.nl import bsn as _bsn


def normalise_bsn(value: str) -> str:
    """Strip spaces, dots and dashes; 8-digit numbers get a leading zero."""
    return _bsn.compact(value)


def is_valid_bsn(value: str) -> bool:
    """True when ``value`` is a BSN: 8 or 9 digits (after normalising) passing the 11-proef."""
    try:
        _bsn.validate(value)
    except ValidationError:
        return False
    return True


def bsn_checksum(digits: str) -> int:
    """The 11-proef sum: weights 9..2 for the first eight digits and −1 for the last."""
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    return sum(w * int(d) for w, d in zip(weights, digits, strict=True))


def with_check_digit(first_eight: str) -> str | None:
    """Complete eight digits into a valid BSN, or None when no check digit makes it valid."""
    if len(first_eight) != 8 or not first_eight.isdigit():
        raise ValueError("expected eight digits")
    partial = sum(w * int(d) for w, d in zip((9, 8, 7, 6, 5, 4, 3, 2), first_eight, strict=True))
    check = partial % 11
    if check > 9:
        return None
    candidate = first_eight + str(check)
    return candidate if is_valid_bsn(candidate) else None
