"""Turning HTTP answers and network failures into the typed errors of :mod:`.errors`.

Pure functions, no I/O: the transport hands in what it got and raises what comes back (and counts
what each request came to in :class:`Outcomes`).
Descriptions name host and port only, never a URL (the token travels in the query string).
"""

from __future__ import annotations

import errno
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import requests
import urllib3.exceptions as u3

from .errors import (
    OkdeskError,
    OkdeskForbidden,
    OkdeskNotFound,
    OkdeskOutcomeUnknown,
    OkdeskRateLimited,
    OkdeskTokenRefused,
    OkdeskTooLarge,
    OkdeskUnavailable,
    OkdeskValidationError,
)

DEFAULT_RETRY_AFTER = 30.0


def parse_retry_after(value: str | None, now: float | None = None) -> float:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); 30 when absent/odd."""
    if not value or not value.strip():
        return DEFAULT_RETRY_AFTER
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else DEFAULT_RETRY_AFTER  # NaN
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return DEFAULT_RETRY_AFTER
    if when is None:  # pragma: no cover - older Pythons returned None for garbage
        return DEFAULT_RETRY_AFTER
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def error_body(data: Any) -> tuple[bool, Any]:
    """(True, errors) when a parsed 200 body is error-shaped: ``{"errors": …}`` without ``id``."""
    if isinstance(data, Mapping) and "errors" in data and data.get("id") is None:
        return True, data.get("errors")
    return False, None


# ---------------------------------------------------------------- network failures


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps (args, urllib3 ``reason``, cause, context)."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        cur = todo.pop()
        if id(cur) in seen:
            continue
        seen.add(id(cur))
        yield cur
        nested: list[Any] = [a for a in getattr(cur, "args", ()) if isinstance(a, BaseException)]
        nested += [getattr(cur, "reason", None), cur.__cause__, cur.__context__]
        todo.extend(e for e in nested if isinstance(e, BaseException))


def describe_failure(exc: BaseException, where: str) -> tuple[str, str, bool]:
    """(kind, sanitized description, True when the request was surely NOT sent).

    "Not sent" matters for writes: a refused connection or a connect timeout means the POST
    never left, so it may simply be repeated; anything later may have reached Okdesk.
    """
    chain = list(_chain(exc))

    def has(*types: type[BaseException]) -> bool:
        return any(isinstance(e, types) for e in chain)

    def has_errno(*codes: int) -> bool:
        return any(isinstance(e, OSError) and e.errno in codes for e in chain)

    rx = requests.exceptions
    if has(u3.NameResolutionError, socket.gaierror):
        return "dns", f"cannot resolve {where}", True
    if has(ConnectionRefusedError) or has_errno(errno.ECONNREFUSED):
        return "connection_refused", f"connection refused to {where}", True
    if has(rx.ProxyError, u3.ProxyError):
        return "proxy", f"proxy failed on the way to {where}", True
    if has(rx.ConnectTimeout, u3.ConnectTimeoutError):
        return "connect_timeout", f"connect to {where} timed out", True
    if has(rx.SSLError, u3.SSLError):
        return "tls", f"TLS failure with {where}", True
    if has(rx.InvalidURL, rx.MissingSchema, rx.InvalidSchema, u3.LocationParseError):
        return "invalid_url", f"invalid URL for {where}", True
    if has(rx.Timeout, u3.ReadTimeoutError, TimeoutError):
        return "timeout", f"timed out waiting for {where}", False
    if has(ConnectionResetError) or has_errno(errno.ECONNRESET, errno.EPIPE):
        return "connection_reset", f"connection reset by {where}", False
    if has(rx.ChunkedEncodingError, rx.ContentDecodingError, u3.IncompleteRead):
        return "broken_body", f"answer from {where} cut off", False
    if has(rx.ConnectionError, u3.ProtocolError):
        return "connection_dropped", f"connection to {where} dropped", False
    return "transport", f"{type(exc).__name__} talking to {where}", False


def network_error(exc: BaseException, what: str, where: str, idempotent: bool) -> OkdeskError:
    """The typed error for a request that got no HTTP answer."""
    kind, text, not_sent = describe_failure(exc, where)
    if kind == "invalid_url":
        return OkdeskError(f"{what}: {text}", kind=kind)
    if idempotent or not_sent:
        return OkdeskUnavailable(f"{what}: {text}", kind=kind)
    return OkdeskOutcomeUnknown(f"{what}: {text}; it may have been carried out", kind=kind)


# ---------------------------------------------------------------- HTTP answers


def _parse_json(raw: bytes) -> tuple[bool, Any]:
    """(ok, value); an empty body is ok and None, a non-JSON one is not ok."""
    if not raw or not raw.strip():
        return True, None
    try:
        return True, json.loads(raw)
    except ValueError:  # includes UnicodeDecodeError
        return False, None


def _shape(raw: bytes, data: Any) -> str:
    """What a parsed body is, in words (never its content: it may echo the token)."""
    if not raw.strip():
        return "an empty body"
    if data is None:
        return "null"
    if error_body(data)[0]:
        return "an error body"
    if isinstance(data, Mapping):
        return "an object"
    return f"a JSON {type(data).__name__}"


def classify_response(
    status: int,
    headers: Mapping[str, str],
    raw: bytes,
    what: str,
    idempotent: bool,
    scrub: Callable[[Any], Any],
    *,
    expect_list: bool = False,
) -> tuple[Any, OkdeskError | None]:
    """(parsed JSON, None) for a usable 2xx answer, else (None, the error to raise).

    ``scrub`` removes the token from anything echoed back by the server. ``expect_list``:
    the endpoint answers a bare JSON array, and any other 2xx body is OkdeskUnavailable
    (kind ``not_a_list``). Taking an empty body, null or ``{}`` for "no items" is unsafe:
    an empty comment list at an issue's baseline would make its whole history look new,
    an empty ``/issues/list`` would hide changes.
    """
    ok, data = _parse_json(raw)
    if 200 <= status < 300:
        if not ok:
            return None, OkdeskUnavailable(
                f"{what}: malformed JSON in the answer", status=status, kind="malformed_json"
            )
        if expect_list and not isinstance(data, list):
            is_err, errors = error_body(data)
            return None, OkdeskUnavailable(
                f"{what}: expected a list, got {_shape(raw, data)}",
                status=status,
                errors=scrub(errors) if is_err else None,
                kind="not_a_list",
            )
        is_err, errors = error_body(data)
        if not is_err:
            return data, None
        # A GET answered 200 + {"errors": …}: Okdesk's way of saying "deleted or hidden".
        cls = OkdeskNotFound if idempotent else OkdeskValidationError
        return None, cls(
            f"{what}: error in a 200 answer", status=status, errors=scrub(errors), kind="error_body"
        )
    if ok:
        errors = data.get("errors") if isinstance(data, Mapping) and "errors" in data else data
    else:
        text = raw.decode("utf-8", "replace").strip()
        # A proxy's HTML page says nothing useful; short plain text might.
        errors = text[:200] if text and not text.startswith("<") else None
    kw: dict[str, Any] = {"status": status, "errors": scrub(errors), "kind": f"http_{status}"}
    if status == 401:
        return None, OkdeskTokenRefused(f"{what}: token refused", **kw)
    if status == 403:
        return None, OkdeskForbidden(f"{what}: no right", **kw)
    if status in (404, 410):
        return None, OkdeskNotFound(f"{what}: not found", **kw)
    if status == 413:
        return None, OkdeskTooLarge(f"{what}: request too large", **kw)
    if status in (400, 409, 422):
        return None, OkdeskValidationError(f"{what}: refused", **kw)
    if status == 429:
        retry_after = parse_retry_after(headers.get("Retry-After"))
        return None, OkdeskRateLimited(f"{what}: rate limited", retry_after=retry_after, **kw)
    if status == 408:
        return None, OkdeskUnavailable(f"{what}: server timed out reading the request", **kw)
    if status in (504, 524) and not idempotent:
        # A gateway gave up waiting, while the application behind it may still do the write.
        return None, OkdeskOutcomeUnknown(
            f"{what}: gateway timeout; it may have been carried out", **kw
        )
    if status >= 500:
        return None, OkdeskUnavailable(f"{what}: server error", **kw)
    return None, OkdeskError(f"{what}: unexpected answer", **kw)


# ---------------------------------------------------------------- outcomes, counted (syncd.app.metrics)

# Every request sent ends as one of these; all are shown from the start, at 0 until one happens.
OUTCOMES = ("ok", "redirect", "client_error", "rate_limited", "server_error", "timeout", "connection_error",
            "invalid_answer", "aborted")


def request_outcome(status: int | None, error: OkdeskError | None = None) -> str:
    """What one request sent came to: ``status`` None when no answer came (``error`` says why)."""
    if status is None:
        kind = error.kind.removeprefix("storage_") if error is not None else ""
        if kind in ("timeout", "connect_timeout"):
            return "timeout"
        # The upload's file changed while it was read: the request was cut off by us, not Okdesk.
        return "aborted" if kind == "upload_file_changed" else "connection_error"
    if 200 <= status < 300:
        if error is None:
            return "ok"
        # A 200 with {"errors": …} is Okdesk's "not found"; malformed JSON or a wrong shape is garbage.
        return "client_error" if error.kind == "error_body" else "invalid_answer"
    if status == 429:
        return "rate_limited"
    if status == 408:
        return "timeout"
    if status >= 500:
        return "server_error"
    if status >= 400:
        return "client_error"
    return "redirect" if status >= 300 else "invalid_answer"


class Outcomes:
    """Requests by outcome since start; counted from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(OUTCOMES, 0)

    def count(self, status: int | None, error: OkdeskError | None = None) -> None:
        outcome = request_outcome(status, error)
        with self._lock:
            self._counts[outcome] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)
