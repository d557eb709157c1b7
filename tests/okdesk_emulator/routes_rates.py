"""POST /api/v1/issues/{id}/rates: the client's satisfaction rating (okdesk-api.md §2.2).

The body shape is ambiguous in the sources ({"rate": v} per the doc table, {"issue": {"rate":
v}} in two production clients); Options.rate_body_shape picks which ones are understood.
Every request is recorded, accepted or not, so tests can count what the daemon sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import shapes
from .context import Context, Request, Response, json_response
from .model import Issue, Store
from .options import RATE_VALUES
from .params import MSG_MISSING, ApiError
from .routes_issues import ISSUE_NOT_FOUND

RATE_ALREADY_SET = "уже выставлена"
RATE_NOT_COMPLETED = "можно выставить только для решённой заявки"
RATE_BAD_VALUE = "должен быть одним из: " + ", ".join(RATE_VALUES)


@dataclass(frozen=True)
class RateAttempt:
    """One rate request as the emulator understood it."""

    issue_id: int
    value: Any  # what was sent under either shape (None: nothing recognisable)
    shape: str | None  # "flat" | "wrapped" | None
    status: int  # the answer's status (200 accepted)


def _sent(body: dict[str, Any]) -> tuple[Any, str | None]:
    wrapped = body.get("issue")
    if isinstance(wrapped, dict) and "rate" in wrapped:
        return wrapped["rate"], "wrapped"
    if "rate" in body:
        return body["rate"], "flat"
    return None, None


def _judge(store: Store, issue: Issue, value: Any, shape: str | None, wanted: str) -> Any:
    """The {"errors": ...} value refusing the request, or None to accept it."""
    if shape is None or wanted not in ("any", shape):
        # A server reading only one shape sees no rate at all in the other.
        return (
            {"issue": {"rate": [MSG_MISSING]}} if wanted == "wrapped" else {"rate": [MSG_MISSING]}
        )
    if value not in RATE_VALUES:
        return {"rate": [RATE_BAD_VALUE]}
    if store.options.rate_requires_completed and issue.status not in store.final_status_codes:
        return {"rate": [RATE_NOT_COMPLETED]}
    if issue.rate is not None and store.options.rate_again == "refuse":
        return {"rate": [RATE_ALREADY_SET]}
    return None


def apply_rate(store: Store, issue: Issue, value: str) -> None:
    """Store the rating (a new rate id each time) and count it as an update of the issue."""
    with store.lock:
        issue.rate = (store._next_id("rate"), value)
        issue.updated_at = store.now()


def create_rate(ctx: Context, req: Request, issue_id: int) -> Response:
    store = ctx.store
    value, shape = _sent(req.body)
    with store.lock:
        issue = store.issues.get(issue_id)
        if issue is None:
            store.rate_attempts.append(RateAttempt(issue_id, value, shape, 404))
            raise ApiError(404, ISSUE_NOT_FOUND)
        wanted = ctx.options.rate_body_shape
        if ctx.options.rate_ignores_other_shape and wanted != "any" and shape != wanted:
            store.rate_attempts.append(RateAttempt(issue_id, value, shape, 200))
            return json_response(shapes.issue_json(store, issue))  # nothing read, nothing applied
        refusal = _judge(store, issue, value, shape, wanted)
        store.rate_attempts.append(RateAttempt(issue_id, value, shape, 422 if refusal else 200))
        if refusal is not None:
            raise ApiError(422, refusal)
        apply_rate(store, issue, str(value))
        return json_response(shapes.issue_json(store, issue))
