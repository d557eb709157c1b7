"""Rails/Rack-style parameters and the validation vocabulary of the Okdesk API.

Query strings, urlencoded and multipart bodies all use bracketed names
(`page[size]`, `contact_ids[]`, `comment[attachments][0][attachment]`); they are
folded into nested dicts/lists the way Rack does, so handlers see the same
structure whatever transport the client used.  Error texts are the Russian
messages quoted in okdesk-api.md §1.1.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl

from .timefmt import parse_filter_date

MSG_BLANK = "не может быть пустым"
MSG_MISSING = "отсутствует"
MSG_NOT_FOUND = "не найден"
MSG_INTEGER = "должно иметь тип integer"
MSG_BOOLEAN = "должно иметь тип boolean"
MSG_ARRAY = "должно иметь тип array"
MSG_DATE = "Неверный формат даты"

MIB = 1024 * 1024


def human_size(limit: int) -> str:
    """A byte limit as Okdesk's web UI would phrase it: "20 МБ", "512 КБ", "1000 байт"."""
    if limit >= MIB and limit % MIB == 0:
        return f"{limit // MIB} МБ"
    if limit >= 1024 and limit % 1024 == 0:
        return f"{limit // 1024} КБ"
    return f"{limit} байт"


_NAME_RE = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_KEY_RE = re.compile(r"\[([^\[\]]*)\]")


class ApiError(Exception):
    """Raised by handlers; becomes `status` + {"errors": errors}."""

    def __init__(self, status: int, errors: Any, headers: dict[str, str] | None = None):
        super().__init__(status, errors)
        self.status = status
        self.errors = errors
        self.headers = headers or {}


class Errors:
    """Collects field errors so one 422 reports all of them, as Rails does."""

    def __init__(self) -> None:
        self.tree: dict[str, Any] = {}

    def add(self, path: str | tuple[str, ...], message: str) -> None:
        keys = (path,) if isinstance(path, str) else path
        node = self.tree
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node.setdefault(keys[-1], []).append(message)

    def raise_if_any(self) -> None:
        if self.tree:
            raise ApiError(422, self.tree)


def nest(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Fold bracketed names into nested dicts; `[]` appends to a list."""
    root: dict[str, Any] = {}
    for name, value in pairs:
        match = _NAME_RE.match(name)
        if not match:
            root[name] = value  # odd names such as "a]b" are kept verbatim
            continue
        _assign(root, [match.group(1), *_KEY_RE.findall(match.group(2))], value)
    return root


def _assign(node: dict[str, Any], keys: list[str], value: Any) -> None:
    head, rest = keys[0], keys[1:]
    if not rest:
        node[head] = value
        return
    if rest[0] == "":  # head[] or head[][x]
        items = node.setdefault(head, [])
        if not isinstance(items, list):
            raise ApiError(400, f"Параметр {head} имеет несовместимый тип")
        if len(rest) == 1:
            items.append(value)
            return
        # Rack rule for head[][x]: reuse the last hash unless it already has key x.
        if not items or not isinstance(items[-1], dict) or rest[1] in items[-1]:
            items.append({})
        _assign(items[-1], rest[1:], value)
        return
    child = node.setdefault(head, {})
    if not isinstance(child, dict):
        raise ApiError(400, f"Параметр {head} имеет несовместимый тип")
    _assign(child, rest, value)


def parse_query(query: str) -> dict[str, Any]:
    return nest(parse_qsl(query, keep_blank_values=True, errors="replace"))


def indexed_list(value: Any) -> list[Any]:
    """`x[0][..]`, `x[1][..]` arrive as {"0": .., "1": ..}; JSON sends a list."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and all(key.isdigit() for key in value):
        return [value[key] for key in sorted(value, key=int)]
    return []


def to_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def to_bool(value: Any) -> bool | None:
    """Grape-like boolean coercion; None when the value is not a boolean."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "t", "yes"):
        return True
    if text in ("false", "0", "f", "no"):
        return False
    return None


def text(value: Any) -> str | None:
    """String fields may arrive as JSON numbers (phones); None stays None."""
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def int_list(params: dict[str, Any], name: str, errors: Errors) -> list[int] | None:
    """An `name[]=1&name[]=2` filter; per-item errors are keyed by index as in §1.1."""
    if name not in params:
        return None
    raw = params[name]
    if not isinstance(raw, list):
        errors.add(name, MSG_ARRAY)
        return None
    result = []
    for index, item in enumerate(raw):
        number = to_int(item)
        if number is None:
            errors.add((name, str(index)), MSG_INTEGER)
        else:
            result.append(number)
    return result


def str_list(params: dict[str, Any], name: str, errors: Errors) -> list[str] | None:
    if name not in params:
        return None
    raw = params[name]
    if not isinstance(raw, list):
        errors.add(name, MSG_ARRAY)
        return None
    return [str(item) for item in raw]


def date_param(params: dict[str, Any], name: str, tz: timezone, errors: Errors) -> datetime | None:
    if name not in params:
        return None
    raw = params[name]
    parsed = parse_filter_date(raw, tz) if isinstance(raw, str) else None
    if parsed is None:
        errors.add(name, MSG_DATE)
    return parsed


def bounded_int(
    params: dict[str, Any],
    name: str,
    default: int,
    errors: Errors,
    *,
    minimum: int,
    maximum: int | None = None,
    error_path: tuple[str, ...],
) -> int:
    if name not in params:
        return default
    number = to_int(params[name])
    if number is None:
        errors.add(error_path, MSG_INTEGER)
    elif number < minimum:
        errors.add(error_path, f"должно быть больше или равно {minimum}")
    elif maximum is not None and number > maximum:
        errors.add(error_path, f"должно быть меньше или равно {maximum}")
    else:
        return number
    return default


def one_of(
    params: dict[str, Any],
    name: str,
    choices: tuple[str, ...],
    default: str,
    errors: Errors,
    error_path: tuple[str, ...],
) -> str:
    if name not in params:
        return default
    value = params[name]
    if value not in choices:
        errors.add(error_path, "должен быть одним из: " + ", ".join(choices))
        return default
    return value


def sub_dict(params: dict[str, Any], name: str, errors: Errors) -> dict[str, Any]:
    value = params.get(name, {})
    if not isinstance(value, dict):
        errors.add(name, "должно иметь тип hash")
        return {}
    return value
