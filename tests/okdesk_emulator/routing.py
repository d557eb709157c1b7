"""URL routing: which handler serves a method + path, and whether it needs api_token."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import routes_companies as companies
from . import routes_issues as issues
from . import routes_login as login
from . import routes_other as other
from . import routes_rates as rates
from .options import RIGHTS

Handler = Callable[..., Any]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    authenticated: bool = True  # storage links are the only public route
    reads_body: bool = False
    # The right the api_token's user needs (Options.denied_rights); None: every user may.
    right: str | None = None


def _route(method: str, path: str, handler: Handler, **flags: Any) -> Route:
    # {name} -> an integer path segment; {name:seg} -> any single segment.
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>\\d+)", path)
    regex = re.sub(r"\{(\w+):seg\}", r"(?P<\1>[^/]+)", regex)
    return Route(method, re.compile(f"^{regex}$"), handler, **flags)


API = "/api/v1"
ROUTES = [
    _route("GET", f"{API}/issues/list", issues.list_issues, right="issues.read"),
    _route("GET", f"{API}/issues/count", issues.count_issues, right="issues.read"),
    _route("GET", f"{API}/issues/statuses", other.list_statuses, right="dictionaries.read"),
    _route("GET", f"{API}/issues/priorities", other.list_priorities, right="dictionaries.read"),
    _route("GET", f"{API}/issues/types", other.list_types, right="dictionaries.read"),
    _route("GET", f"{API}/dictionaries/issues/types", other.list_types, right="dictionaries.read"),
    _route("POST", f"{API}/issues", issues.create_issue, reads_body=True, right="issues.create"),
    _route("GET", f"{API}/issues/{{issue_id}}", issues.get_issue, right="issues.read"),
    _route("GET", f"{API}/issues/{{issue_id}}/comments", issues.list_comments, right="comments.read"),
    _route(
        "POST", f"{API}/issues/{{issue_id}}/comments", issues.create_comment, reads_body=True,
        right="comments.create",
    ),
    _route(
        "GET", f"{API}/issues/{{issue_id}}/attachments/{{attachment_id}}", issues.get_attachment,
        right="issues.read",
    ),
    _route(
        "POST", f"{API}/issues/{{issue_id}}/statuses", issues.change_status, reads_body=True,
        right="issues.update",
    ),
    _route(
        "POST", f"{API}/issues/{{issue_id}}/rates", rates.create_rate, reads_body=True,
        right="issues.rate",
    ),
    _route("GET", f"{API}/companies", companies.find_company, right="companies.read"),
    _route("GET", f"{API}/companies/list", companies.list_companies, right="companies.read"),
    _route(
        "GET", f"{API}/maintenance_entities/list", companies.list_maintenance_entities,
        right="maintenance_entities.read",
    ),
    _route(
        "GET", f"{API}/maintenance_entities/{{entity_id}}", companies.get_maintenance_entity,
        right="maintenance_entities.read",
    ),
    _route("GET", f"{API}/contacts", other.find_contacts, right="contacts.read"),
    _route("GET", f"{API}/contacts/list", other.list_contacts, right="contacts.read"),
    _route("POST", f"{API}/contacts", other.create_contact, reads_body=True, right="contacts.create"),
    _route(
        "PATCH", f"{API}/contacts/{{contact_id}}", other.update_contact, reads_body=True,
        right="contacts.update",
    ),
    _route("GET", f"{API}/employees/list", other.list_employees, right="employees.read"),
    _route("POST", f"{API}/login_link", login.create_login_link, reads_body=True, right="login_links.create"),
    _route("GET", "/login_link/{token:seg}", login.open_login_link, authenticated=False),
    _route("GET", "/storage/{token:seg}/{name:seg}", other.download, authenticated=False),
]
assert {route.right for route in ROUTES if route.right} == set(RIGHTS), "options.RIGHTS is out of date"


def resolve(method: str, path: str) -> tuple[Route, dict[str, Any]] | None:
    """Find the route; a trailing slash is accepted everywhere (§1), HEAD acts as GET."""
    if len(path) > 1:
        path = path.rstrip("/")
    wanted = "GET" if method == "HEAD" else method
    for route in ROUTES:
        if route.method != wanted:
            continue
        match = route.pattern.match(path)
        if match:
            args = {
                key: int(value) if key.endswith("_id") else value
                for key, value in match.groupdict().items()
            }
            return route, args
    return None
