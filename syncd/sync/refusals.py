"""Okdesk's refusals in a client's words, pure: what a 413 or a 422 said, as a key of syncd.texts.

Okdesk answers a refused request with its own words under each field (``{"attachments": ["Недопустимый
тип файла «a.exe»"]}``), in no documented wording. A client never sees them, nor an HTTP status: they
go to the log, and the client reads one of a few plain reasons recognised in them, or a general one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

# Why a file went without being attached (keys of syncd.texts, kept with the job's dropped files).
FILE_TOO_LARGE = "reason_okdesk_too_large"
FILE_TYPE = "reason_okdesk_file_type"
FILE_REFUSED = "reason_okdesk_refused"  # words not recognised
# Why the message as a whole was refused (keys of syncd.texts; None: a general "not accepted").
POST_TOO_LARGE = "refusal_too_large"
POST_CLOSED = "refusal_closed"
POST_TOO_LONG = "refusal_too_long"

# Lower-case stems, Russian (Okdesk's own language) and English (a proxy's or a future API's words).
_SIZE = ("размер", "превыша", "слишком больш", "size", "too large", "too big")
_TYPE = ("тип", "расширени", "формат", "type", "extension", "format")
_CLOSED = ("закрыт", "заверш", "решен", "closed", "completed", "resolved")
_LONG = ("длин", "too long", "length")
# The field a line is about ("attachments.0.content_type: …"): Okdesk's field names are never its words.
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*: ")


def words_of(errors: Any, field: str = "") -> list[str]:
    """Okdesk's ``errors`` value (a string, a list, or fields with lists, nested) as one line per
    message, each prefixed with the field it is about."""
    if errors is None:
        return []
    if isinstance(errors, dict):
        out: list[str] = []
        for key, value in errors.items():
            out += words_of(value, f"{field}.{key}" if field else str(key))
        return out
    if isinstance(errors, (list, tuple)):
        return [line for item in errors for line in words_of(item, field)]
    text = " ".join(str(errors).split())
    return [f"{field}: {text}" if field else text] if text else []


def _says(words: Sequence[str], stems: Sequence[str]) -> bool:
    low = " ".join(_FIELD.sub("", word) for word in words).lower()
    return any(stem in low for stem in stems)


def file_reason(words: Sequence[str], file_name: str, *, too_large: bool = False) -> str:
    """Why Okdesk refused this file: what its messages naming the file say (all of them when none does)."""
    if too_large:
        return FILE_TOO_LARGE
    about = [w for w in words if file_name and file_name in w] or list(words)
    # The name itself may hold a stem ("type.pdf"): only the words around it count.
    about = [w.replace(file_name, " ") if file_name else w for w in about]
    if _says(about, _SIZE):
        return FILE_TOO_LARGE
    if _says(about, _TYPE):
        return FILE_TYPE
    return FILE_REFUSED


def post_reason(words: Sequence[str], *, too_large: bool = False, commenting: bool = True) -> str | None:
    """Why Okdesk refused the message as a whole, when its words say something a client can act on.
    A closed something refusing a new issue (a contract, a service object) is no closed request."""
    if too_large:
        return POST_TOO_LARGE
    if commenting and _says(words, _CLOSED):
        return POST_CLOSED
    if _says(words, _LONG):
        return POST_TOO_LONG
    return None
