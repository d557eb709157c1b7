"""Russian taxpayer numbers (ИНН): the check digits, before anything is asked of Okdesk.

Ten digits for an organisation (one check digit), twelve for an individual entrepreneur (two).
The check is the tax service's: weighted sums taken modulo 11, then modulo 10. That last step
folds remainders 10 and 0 onto the same digit, so a few single-digit typos still pass; the
company search (an exact match) catches those.
"""

from __future__ import annotations

_W10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_W11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_W12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def check_digit(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 % 10


def valid_inn(digits: str) -> bool:
    """True for a 10- or 12-digit string whose check digits hold."""
    if not digits.isascii() or not digits.isdigit():
        return False
    if len(digits) == 10:
        return check_digit(digits[:9], _W10) == int(digits[9])
    if len(digits) == 12:
        return (check_digit(digits[:10], _W11) == int(digits[10])
                and check_digit(digits[:11], _W12) == int(digits[11]))
    return False


def parse_inn(text: str) -> str | None:
    """The INN the client typed, spaces dropped, or None when it is not a valid one."""
    digits = "".join(text.split())
    return digits if valid_inn(digits) else None
