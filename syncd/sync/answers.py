"""What Okdesk answered a request, as plain data: the decisions read this, never an exception class.

The carrying-out code (syncd.relay.executor.okdesk_answer) turns the Okdesk client's errors into
an :class:`Answer`; everything here stays free of requests and of the client itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class AnswerKind(str, Enum):
    OK = "ok"
    NOT_FOUND = "not_found"  # 404/410, or an answer without the object: gone or hidden
    FORBIDDEN = "forbidden"  # 403: the token's user may not do this one thing
    INVALID = "invalid"  # 400/409/422: Okdesk refused the data
    TOO_LARGE = "too_large"  # 413
    TOKEN_REFUSED = "token_refused"  # 401: the token as a whole refused, nothing judged
    RATE_LIMITED = "rate_limited"  # 429, with the server's wait
    UNAVAILABLE = "unavailable"  # down, 5xx, garbage: nothing was written
    OUTCOME_UNKNOWN = "outcome_unknown"  # a write may have happened, its answer lost
    # None of those (a redirect elsewhere, an answer of no known shape, a file changed while sent):
    # nothing known was written, nothing judged.
    OTHER = "other"



@dataclass(frozen=True)
class Answer:
    kind: AnswerKind
    error: str = ""  # what the logs and last_error say (sanitized by the client)
    retry_after: float | None = None  # rate_limited: the server's own wait, in seconds
    status: int | None = None  # the HTTP status, when an answer came


OK = Answer(AnswerKind.OK)


def notice_unsure(answer: Answer) -> bool:
    """A staff notice's POST: only a lost answer may hide a written comment (Okdesk answering 5xx has
    rolled back, or never reached the write)."""
    return answer.kind is AnswerKind.OUTCOME_UNKNOWN


def is_outage(answer: Answer) -> bool:
    """Okdesk as a whole failed (down, busy): an item's retry budget is spent only while it worked
    for others."""
    return answer.kind in (AnswerKind.UNAVAILABLE, AnswerKind.RATE_LIMITED)


# What became of one rate request (syncd.inbound.rating).
RATE_DONE, RATE_UNKNOWN, RATE_REFUSED = "done", "unknown", "refused"


def after_rate(answer: Answer) -> str:
    """A rating's POST. A lost answer or an outage may have applied it: the row stays unsure until the
    issue shows which; a refused token judged nothing: the recheck sends it again. Anything else is
    a definite refusal (whether the issue was rated already is read off the issue)."""
    if answer.kind is AnswerKind.OK:
        return RATE_DONE
    if answer.kind in (AnswerKind.OUTCOME_UNKNOWN, AnswerKind.UNAVAILABLE, AnswerKind.RATE_LIMITED,
                       AnswerKind.TOKEN_REFUSED):
        return RATE_UNKNOWN
    return RATE_REFUSED
