"""Typed errors of the Okdesk client.

The API token travels in the query string of every request, so anything that embeds a URL
(requests/urllib3 exceptions, ``Response.url``) must never reach these objects. The
transport builds every error from a sanitized description and raises it outside of any
``except`` block, so not even ``__context__`` keeps the library exception alive.

Callers decide by class, not by message:

* ``OkdeskUnavailable`` (and ``OkdeskRateLimited``): Okdesk as a whole is down or flaky;
  wait, don't spend an item's retry budget.
* ``OkdeskOutcomeUnknown``: a write may or may not have happened; look for the created
  object before trying again.
* everything else is about this particular request.
"""

from __future__ import annotations

from typing import Any

# Longest rendering of an ``errors`` body kept in str(): Okdesk error bodies are small, but a
# proxy's HTML error page must not flood the logs.
_MAX_ERRORS_TEXT = 300


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = " ".join(text.split())
    if len(text) > _MAX_ERRORS_TEXT:
        text = text[: _MAX_ERRORS_TEXT - 1] + "…"
    return text


class OkdeskError(Exception):
    """Base of every error the client raises.

    ``status``: HTTP status when an answer came, else None. ``errors``: the parsed
    ``errors`` value of the body (str, list or dict; None when there was none).
    ``kind``: a short machine-readable reason, e.g. ``"timeout"``, ``"http_503"``.
    """

    default_kind = "error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        errors: Any = None,
        kind: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.errors = errors
        self.kind = kind or self.default_kind

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.append(f"(HTTP {self.status})")
        if self.errors not in (None, "", [], {}):
            parts.append(f"errors={_short(self.errors)}")
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kind={self.kind!r}, status={self.status!r}, {str(self)!r})"


class OkdeskUnavailable(OkdeskError):
    """Okdesk is unreachable or answers garbage: refused/reset connection, timeout of an
    idempotent request, 5xx, malformed JSON, a storage link that failed.

    A 5xx answer to a POST also lands here (not in OutcomeUnknown): a Rails app answering
    500/502/503 has rolled back or never reached the write, so repeating it is the normal
    recovery. The exception is 504/524 (a gateway gave up waiting while the app may still be
    writing), which is reported as OkdeskOutcomeUnknown.
    """

    default_kind = "unavailable"


class OkdeskRateLimited(OkdeskUnavailable):
    """429. ``retry_after`` seconds come from Retry-After (seconds or HTTP-date), 30 if absent."""

    default_kind = "rate_limited"

    def __init__(self, message: str, *, retry_after: float = 30.0, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"{super().__str__()} retry_after={self.retry_after:g}s"


class OkdeskAuthError(OkdeskError):
    """401 (the token is refused) or 403 (the token's user lacks the right)."""

    default_kind = "auth"


class OkdeskTokenRefused(OkdeskAuthError):
    """401: the token as a whole is refused (revoked, being rotated): nothing was judged, try later."""


class OkdeskForbidden(OkdeskAuthError):
    """403: the token's user may not do this one thing: a refusal of the action."""


class OkdeskNotFound(OkdeskError):
    """404/410, or a 200 whose body is an error or lacks the ``id`` of the expected object
    (Okdesk's answer for deleted or hidden issues)."""

    default_kind = "not_found"


class OkdeskValidationError(OkdeskError):
    """422 (and 400/409): Okdesk refused the data; ``errors`` says why (dict, list or str)."""

    default_kind = "validation"


class OkdeskOutcomeUnknown(OkdeskError):
    """A non-idempotent request (POST/PATCH) may have been carried out but no answer came:
    timeout after sending, connection dropped before the answer, gateway timeout.
    Look for the created object before sending it again."""

    default_kind = "outcome_unknown"


class OkdeskTooLarge(OkdeskError):
    """413 from Okdesk, or a download larger than the caller's ``max_bytes``."""

    default_kind = "too_large"


class OkdeskPrivateFile(OkdeskError):
    """A download for a client of a file Okdesk's own attachment answer marks private (a comment's
    list of files may not say: its shape is undocumented)."""

    default_kind = "private"


__all__ = [
    "OkdeskPrivateFile",
    "OkdeskAuthError",
    "OkdeskError",
    "OkdeskNotFound",
    "OkdeskOutcomeUnknown",
    "OkdeskRateLimited",
    "OkdeskTooLarge",
    "OkdeskUnavailable",
    "OkdeskValidationError",
]
