"""Phone numbers: the forms to ask Okdesk for, and exact comparison. Never a substring match.

Telegram sends digits without '+' ("79123456789"); Okdesk keeps whatever staff typed
("+7 (912) 345-67-89", "89123456789", ...). Okdesk's lookup is exact, so we ask for the
usual forms and compare what comes back by the normalised number.
"""

from __future__ import annotations


def digits_of(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())


def normalize(phone: str | None) -> str | None:
    """Comparable form: international digits; Russian 8XXXXXXXXXX and bare 10-digit numbers become 7XXXXXXXXXX."""
    if not phone:
        return None
    digits = digits_of(phone)
    if len(digits) == 11 and digits[0] == "8":
        return "7" + digits[1:]
    if len(digits) == 10 and not phone.strip().startswith("+"):
        return "7" + digits
    return digits or None


def lookup_variants(phone: str) -> list[str]:
    """The forms a Russian helpdesk is likely to have stored, most likely first."""
    norm = normalize(phone)
    if not norm:
        return []
    if len(norm) == 11 and norm[0] == "7":
        n = norm[1:]
        pretty = f"({n[:3]}) {n[3:6]}-{n[6:8]}-{n[8:]}"
        forms = ["+7" + n, "7" + n, "8" + n, n, f"+7 {pretty}", f"8 {pretty}",
                 f"+7 {n[:3]} {n[3:6]}-{n[6:8]}-{n[8:]}", f"+7{pretty.replace(' ', '')}"]
    else:
        forms = ["+" + norm, norm]
    return list(dict.fromkeys(forms))


def same_number(a: str | None, b: str | None) -> bool:
    na, nb = normalize(a), normalize(b)
    return na is not None and na == nb


def international(phone: str) -> str:
    """The form we store in a new Okdesk contact: +7XXXXXXXXXX."""
    norm = normalize(phone) or digits_of(phone)
    return "+" + norm


def mask_phone(phone: str | None) -> str:
    """What the profile shows: enough for the client to recognise the number, not enough to use it.

    ``+7 *** ***-45-67`` for a Russian number; other numbers keep only their last four digits.
    """
    norm = normalize(phone)
    if not norm or len(norm) < 5:
        return "***"
    if len(norm) == 11 and norm[0] == "7":
        return f"+7 *** ***-{norm[7:9]}-{norm[9:]}"
    return f"+{'*' * (len(norm) - 4)}-{norm[-4:-2]}-{norm[-2:]}"
