"""Issue filters of GET /issues/list (§2.4) and GET /issues/count (§2.5).

The two endpoints name the same filters differently (`status_codes[]` vs
`status[]`), so each has its own vocabulary table over shared predicates.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from .model import Issue, Store
from .params import MSG_BOOLEAN, Errors, date_param, int_list, str_list, to_bool
from .timefmt import to_minute

Predicate = Callable[[Issue], bool]

_FIELDS: dict[str, Callable[[Issue], Any]] = {
    "company": lambda issue: issue.company_id,
    "contact": lambda issue: issue.contact_id,
    "assignee": lambda issue: issue.assignee_id,
    "none": lambda issue: None,  # agreements: never set here
    "entity": lambda issue: issue.maintenance_entity_id,
    "status": lambda issue: issue.status,
    "priority": lambda issue: issue.priority_code,
    "type": lambda issue: issue.type_code,
    "created": lambda issue: issue.created_at,
    "updated": lambda issue: issue.updated_at,
    "completed": lambda issue: issue.completed_at,
    "deadline": lambda issue: issue.deadline_at,
}

LIST_VOCABULARY: dict[str, Any] = {
    "ids": {
        "company_ids": "company",
        "contact_ids": "contact",
        "assignee_ids": "assignee",
        "service_object_ids": "entity",
    },
    "codes": {
        "status_codes": ("status", False),
        "status_codes_not": ("status", True),
        "priority_codes": ("priority", False),
        "type_codes": ("type", False),
    },
    "dates": ("created", "updated", "completed"),
}
COUNT_VOCABULARY: dict[str, Any] = {
    "ids": {
        "company_ids": "company",
        "contact_ids": "contact",
        "assignee_ids": "assignee",
        "agreement_ids": "none",
        "maintenance_entity_ids": "entity",
    },
    "codes": {
        "status": ("status", False),
        "status_not": ("status", True),
        "priority": ("priority", False),
        "type": ("type", False),
    },
    "dates": ("created", "updated", "completed", "deadline"),
}


def _ids(values: list[int], get: Callable[[Issue], int | None]) -> Predicate:
    # "0" selects issues where the reference is empty (APE docstrings).
    return lambda issue: (get(issue) or 0) in values


def _codes(values: list[str], get: Callable[[Issue], str], negate: bool) -> Predicate:
    return lambda issue: (get(issue) in values) != negate


def _dates(
    since: datetime | None, until: datetime | None, get: Callable[[Issue], datetime | None]
) -> Predicate:
    # Filter times are honoured to the minute only (seconds dropped); both bounds are
    # inclusive; a date without time means 00:00 of that day, for `_until` too.
    low = to_minute(since) if since else None
    high = to_minute(until) if until else None

    def check(issue: Issue) -> bool:
        moment = get(issue)
        if moment is None:
            return False
        return (low is None or moment >= low) and (high is None or moment <= high)

    return check


def issue_filters(
    store: Store, query: dict[str, Any], errors: Errors, vocabulary: dict[str, Any],
    updated_since: str = "honoured",
) -> list[Predicate]:
    """Predicates for the filters present in `query`; format problems go to `errors`.
    updated_since: how `updated_since` is read (Options.updated_since_filter)."""
    predicates: list[Predicate] = []
    for name, field in vocabulary["ids"].items():
        ids = int_list(query, name, errors)
        if ids is not None:
            predicates.append(_ids(ids, _FIELDS[field]))
    for name, (field, negate) in vocabulary["codes"].items():
        codes = str_list(query, name, errors)
        if codes is not None:
            predicates.append(_codes(codes, _FIELDS[field], negate))
    for prefix in vocabulary["dates"]:
        since = date_param(query, f"{prefix}_since", store.tz, errors)
        until = date_param(query, f"{prefix}_until", store.tz, errors)
        if prefix == "updated" and since is not None and updated_since != "honoured":
            # Checked for its format as ever, then read as a date, as UTC wall time, or not at all.
            wall = since.astimezone(store.tz)
            if updated_since == "ignored":
                since = None
            elif updated_since == "utc":
                since = wall.replace(tzinfo=timezone.utc)
            else:
                since = wall.replace(hour=0, minute=0, second=0, microsecond=0)
        if since or until:
            predicates.append(_dates(since, until, _FIELDS[prefix]))
    return predicates


def count_only_filters(store: Store, query: dict[str, Any], errors: Errors) -> list[Predicate]:
    """Filters that exist on /issues/count only: authors and the `opened` flag."""
    predicates: list[Predicate] = []
    employees = int_list(query, "author_employee_ids", errors)
    contacts = int_list(query, "author_contact_ids", errors)
    if employees is not None or contacts is not None:
        # The two author filters combine with OR (APE docstring).
        allowed = {("employee", i) for i in employees or []}
        allowed |= {("contact", i) for i in contacts or []}
        predicates.append(lambda issue: issue.author in allowed)
    if "opened" in query:
        opened = to_bool(query["opened"])
        if opened is None:
            errors.add("opened", MSG_BOOLEAN)
        elif opened:  # excludes statuses "considered completed"
            final = set(store.final_status_codes)
            predicates.append(lambda issue: issue.status not in final)
    return predicates
