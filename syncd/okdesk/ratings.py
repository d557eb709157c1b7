"""Okdesk's own rating of an issue: ``POST /issues/{id}/rates`` (okdesk-api.md §2.2).

The body's shape is unsure: the documented ``{"rate": v}``, and ``{"issue": {"rate": v}}`` as
some clients send it. A 422 is a definite refusal (nothing applied), so after a 422 that is not
"already rated" the other shape is tried once, and the shape that worked is used from then on.
Like every POST, a rate is never repeated on a timeout or a 5xx: the outcome is unknown, and the
caller looks at the issue before sending it again.
"""

from __future__ import annotations

from typing import Any

from .errors import OkdeskError, OkdeskValidationError
from .transport import Transport, log

RATE_VALUES = ("bad", "normal", "good")
SHAPES = ("flat", "wrapped")
# Words of Okdesk's (and the emulator's) "already rated" refusal; trying another shape after one is useless.
_ALREADY_WORDS = ("уже", "already")


def rate_body(shape: str, rate: str) -> dict[str, Any]:
    return {"rate": rate} if shape == "flat" else {"issue": {"rate": rate}}


def says_already_rated(err: OkdeskValidationError) -> bool:
    """Whether a 422 reads as "this issue already has a rating" (a guess from its words: callers
    confirm by reading the issue)."""
    text = str(err.errors or "").lower()
    return any(word in text for word in _ALREADY_WORDS)


class IssueRatings:
    """Mixed into OkdeskClient: the rating endpoint and the body shape that Okdesk accepted."""

    _t: Transport
    _rate_shape: str | None = None
    # A 200 proves little where the shape is unsure (an API may drop fields it does not read): the first
    # rating of each shape is read back from the issue before the shape is trusted.
    _rate_shape_confirmed: bool = False
    get_issue: Any

    def rate_issue(self, issue_id: int, rate: str) -> None:
        """Rate the issue ``bad`` | ``normal`` | ``good``.

        Raises OkdeskValidationError when Okdesk refused every shape tried (``says_already_rated``
        tells the common reason), OkdeskOutcomeUnknown/OkdeskUnavailable when no answer came.
        """
        if rate not in RATE_VALUES:
            raise ValueError(f"rate must be one of {RATE_VALUES}")
        first = self._rate_shape or SHAPES[0]
        order = [first] + [s for s in SHAPES if s != first]
        for index, shape in enumerate(order):
            try:
                self._t.request("POST", f"/issues/{int(issue_id)}/rates", json_body=rate_body(shape, rate),
                                kind="issues.rate")
            except OkdeskValidationError as err:
                if index + 1 >= len(order) or says_already_rated(err):
                    raise
                log.info("okdesk_rate_shape_refused", issue_id=issue_id, shape=shape)
                continue
            if self._rate_shape != shape:
                log.info("okdesk_rate_shape", shape=shape)
                self._rate_shape, self._rate_shape_confirmed = shape, False
            if self._rate_shape_confirmed or self._applied(issue_id) is not False:
                return
            # Answered, not applied: this shape is not read. Nothing was rated, the next one may be.
            log.warning("okdesk_rate_shape_ignored", issue_id=issue_id, shape=shape)
            self._rate_shape = None
            if index + 1 >= len(order):
                raise OkdeskValidationError(f"POST /issues/{int(issue_id)}/rates: accepted but not applied",
                                            status=200, kind="rate_ignored")

    def _applied(self, issue_id: int) -> bool | None:
        """Whether the issue shows a rating now (None: Okdesk did not say; asked again next time)."""
        try:
            rated = self.get_issue(issue_id).rate is not None
        except OkdeskError as exc:
            log.info("okdesk_rate_unconfirmed", issue_id=issue_id, error=type(exc).__name__)
            return None
        self._rate_shape_confirmed = rated
        return rated

