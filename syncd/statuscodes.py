"""Which Okdesk status codes count as open, completed and closed: one setting, read in one place.

"My issues" lists open issues first, a completed issue's notification asks for a rating, and a
client writing on a completed issue may reopen it (to the first open code). Accounts add their own
statuses with arbitrary codes: a code in no group counts as open, but only a listed open code is
ever set by the daemon.

In the TOML file::

    [okdesk.statuses]
    open = ["opened", "in_progress", "delayed"]
    completed = ["completed"]
    closed = ["closed"]

and in the environment ``SYNCD_OKDESK_STATUSES="open=opened,in_progress; completed=completed;
closed=closed"``. A group left out keeps its default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

GROUPS = ("open", "completed", "closed")


@dataclass(frozen=True)
class StatusCodes:
    open: tuple[str, ...] = ("opened", "in_progress", "delayed")
    completed: tuple[str, ...] = ("completed",)
    closed: tuple[str, ...] = ("closed",)

    @property
    def finished(self) -> frozenset[str]:
        """Completed or closed: "My issues" lists the others first."""
        return frozenset(self.completed + self.closed)

    @property
    def reopen_code(self) -> str:
        """The status a reopened issue is given."""
        return self.open[0]

    def is_completed(self, code: str | None) -> bool:
        return code is not None and code in self.completed

    def is_finished(self, code: str | None) -> bool:
        return code is not None and code in self.finished


def _codes(value: Any) -> tuple[str, ...] | None:
    """A list of codes, or one comma-separated string of them; None when neither."""
    if isinstance(value, str):
        items: list[Any] = value.split(",")
    elif isinstance(value, list):
        items = value
    else:
        return None
    if not all(isinstance(i, str) for i in items):
        return None
    return tuple(dict.fromkeys(i.strip() for i in items if i.strip()))


def parse_status_codes(value: Any, where: str, problems: list[str]) -> StatusCodes:
    """StatusCodes from a TOML table or an environment string; problems are appended, never raised."""
    if isinstance(value, StatusCodes):
        return value
    if isinstance(value, str):
        table: dict[str, Any] = {}
        for part in (p.strip() for p in value.split(";")):
            if not part:
                continue
            name, eq, listed = part.partition("=")
            if not eq:
                problems.append(f"{where}: expected 'open=a,b; completed=c; closed=d', got {part!r}")
                continue
            table[name.strip()] = listed
        value = table
    if not isinstance(value, Mapping):
        problems.append(f"{where}: expected a table with open, completed and closed status codes")
        return StatusCodes()
    result = StatusCodes()
    for name, raw in value.items():
        if name not in GROUPS:
            problems.append(f"{where}.{name}: unknown group (known: {', '.join(GROUPS)})")
            continue
        codes = _codes(raw)
        if codes is None:
            problems.append(f"{where}.{name}: expected a list of status codes")
            continue
        result = replace(result, **{str(name): codes})  # type: ignore[arg-type] # one of GROUPS, all tuples
    if not result.open:
        problems.append(f"{where}.open: needs at least one code (a reopened issue gets the first)")
    if not result.completed:
        problems.append(f"{where}.completed: needs at least one code")
    for a, b in (("open", "completed"), ("open", "closed"), ("completed", "closed")):
        both = sorted(set(getattr(result, a)) & set(getattr(result, b)))
        if both:
            problems.append(f"{where}: {', '.join(both)} cannot be both {a} and {b}")
    return result
