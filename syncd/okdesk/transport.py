"""The HTTP layer under OkdeskClient: one place for sending, retrying and classifying.

Everything that can go wrong with a request becomes one of the typed errors of
:mod:`syncd.okdesk.errors` here, built from a sanitized description. requests/urllib3
exceptions embed the full URL (``?api_token=...``), so they are caught, described by host
and port only, and dropped: the typed error is raised *after* the ``except`` block, so
neither its message nor its ``__context__`` can carry the token.
"""

from __future__ import annotations

import random
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions as u3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection

from .budget import RequestBudget
from .errors import (
    OkdeskAuthError,
    OkdeskError,
    OkdeskOutcomeUnknown,
    OkdeskRateLimited,
    OkdeskUnavailable,
)
from .http_errors import Outcomes, classify_response, describe_failure, network_error
from .multipart import BodyFileChanged, MultipartBody

try:  # structlog is a dependency of the daemon; the client also works without it.
    import structlog

    log = structlog.get_logger(__name__)
except ImportError:  # pragma: no cover
    import logging

    log = logging.getLogger(__name__)  # type: ignore[assignment]

MAX_REDIRECTS = 3
_MASK = "***"
_ISSUE_PATH = re.compile(r"/issues/(\d+)(?:/|$)")


def _about(path: str) -> dict[str, int]:
    """A request about one issue: its lines carry issue_id, like every other line about the issue."""
    found = _ISSUE_PATH.match(path)
    return {"issue_id": int(found.group(1))} if found else {}


def default_user_agent() -> str:
    try:
        from syncd import __version__
    except ImportError:  # pragma: no cover
        __version__ = "dev"
    return f"syncd/{__version__}"


def normalize_api_root(base_url: str) -> str:
    """``https://x.okdesk.ru``, ``…/``, ``…/api/v1``, ``…/api/v1/`` -> ``https://x.okdesk.ru/api/v1``."""
    root = base_url.strip().rstrip("/")
    if not root.endswith("/api/v1"):
        root += "/api/v1"
    return root


class _KeepAliveAdapter(HTTPAdapter):
    """TCP keep-alive probes, so a connection silently dropped by a NAT or proxy while we
    wait for a slow answer is noticed within a minute instead of hanging until the timeout."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        options = list(HTTPConnection.default_socket_options)
        options.append((socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1))
        for name, value in (("TCP_KEEPIDLE", 30), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 3)):
            if hasattr(socket, name):
                options.append((socket.IPPROTO_TCP, getattr(socket, name), value))
        kwargs["socket_options"] = options
        super().init_poolmanager(*args, **kwargs)


class Transport:
    """Sends requests to one Okdesk account. Thread-safe: requests' pool is, counters are locked."""

    def __init__(
        self,
        base_url: str,
        api_token: str,
        *,
        timeout: float,
        connect_timeout: float,
        budget: RequestBudget | None,
        get_retries: int,
        retry_cap: float,
        backoff_base: float,
        proxy: str | None,
        verify: bool | str,
        user_agent: str,
    ) -> None:
        self.api_root = normalize_api_root(base_url)
        parts = urlsplit(self.api_root)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("Okdesk base_url must be an http(s) URL")
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.api_path = parts.path
        self.host = parts.hostname
        self.where = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
        self._token = api_token
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.budget = budget
        self.get_retries = max(0, get_retries)
        self.retry_cap = retry_cap
        self.backoff_base = backoff_base
        self.session = requests.Session()
        # Behaviour comes from our config only: no HTTP(S)_PROXY/netrc surprises from the
        # environment (netrc could even add credentials).
        self.session.trust_env = False
        self.session.verify = verify
        self.session.headers.update({"User-Agent": user_agent, "Accept": "application/json"})
        # Okdesk needs no cookies, and a jar shared by threads is one more thing to race on.
        self.session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        adapter = _KeepAliveAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        if proxy:
            self.session.proxies = {"http": proxy, "https": proxy}
        self._lock = threading.Lock()
        self.requests_made = 0
        self.last_success_at: float | None = None
        # (monotonic time, a lower bound of Okdesk's clock minus ours) per answer, newest last.
        self._clock_samples: deque[tuple[float, float]] = deque(maxlen=256)
        self.last_error: str | None = None
        self.outcomes = Outcomes()  # every request sent, by what it came to (syncd.app.metrics)

    # ---------------------------------------------------------------- bookkeeping

    def scrub(self, value: Any) -> Any:
        """Remove the token from anything destined for an error or a log line."""
        if isinstance(value, str):
            return value.replace(self._token, _MASK) if self._token else value
        if isinstance(value, list):
            return [self.scrub(v) for v in value]
        if isinstance(value, Mapping):
            return {self.scrub(str(k)): self.scrub(v) for k, v in value.items()}
        return value

    def _take_token(self, kind: str, background: bool) -> None:
        if self.budget is not None:
            self.budget.acquire(background=background)
            self.budget.note(kind)
        with self._lock:
            self.requests_made += 1

    def _record(self, err: OkdeskError | None) -> None:
        """Health bookkeeping. Okdesk counts as up whenever it answered sensibly, a 404 or
        422 included; only failures of Okdesk as a whole (or of our token) are kept."""
        with self._lock:
            if isinstance(err, (OkdeskUnavailable, OkdeskAuthError, OkdeskOutcomeUnknown)):
                self.last_error = str(err)
            elif err is None or err.status is not None:
                self.last_success_at = time.monotonic()

    def _note_clock(self, date_header: str | None) -> None:
        """A lower bound of Okdesk's clock against ours, from its Date header: the header is whole
        seconds, rounded down, and we read it after it was written. Erring towards Okdesk's past is
        the safe side for "what counts as history" (a comment is rather delivered than lost)."""
        if not date_header:
            return
        try:
            server_now = parsedate_to_datetime(date_header)
        except (TypeError, ValueError, IndexError):
            return
        if server_now.tzinfo is None:
            return
        lower = (server_now - datetime.now(timezone.utc)).total_seconds()
        with self._lock:
            self._clock_samples.append((time.monotonic(), lower))

    @property
    def clock_offset(self) -> float | None:
        """Okdesk's clock minus ours, in seconds: the tightest lower bound of the last ten minutes
        (a single answer read late, on a busy machine, would say Okdesk is further behind)."""
        horizon = time.monotonic() - 600.0
        with self._lock:
            recent = [lower for at, lower in self._clock_samples if at >= horizon]
        return max(recent) if recent else None

    def _log(self, method: str, path: str, status: int | None, started: float, **kw: Any) -> None:
        log.debug(
            "okdesk_request",
            method=method,
            path=path,
            status=status,
            elapsed_ms=round((time.monotonic() - started) * 1000),
            **{**_about(path), **kw},
        )

    # ---------------------------------------------------------------- API requests

    def request(
        self,
        method: str,
        path: str,
        *,
        kind: str,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json_body: Any = None,
        body: MultipartBody | None = None,
        background: bool = False,
        expect_list: bool = False,
    ) -> Any:
        """Send one API call and return its parsed JSON (None for an empty body or ``null``).

        ``expect_list``: a 2xx answer that is not a JSON array is OkdeskUnavailable.
        GETs are retried on OkdeskUnavailable (incl. 429) with capped exponential backoff;
        other methods are sent exactly once.
        """
        idempotent = method.upper() in ("GET", "HEAD")
        attempts = 1 + (self.get_retries if idempotent else 0)
        for attempt in range(attempts):
            try:
                return self._request_once(
                    method, path, kind, params, json_body, body, background, expect_list
                )
            except OkdeskUnavailable as err:
                if attempt + 1 >= attempts:
                    raise
                if isinstance(err, OkdeskRateLimited):
                    if err.retry_after > self.retry_cap:
                        raise  # too long to block a caller; the budget pause covers the rest
                    wait = err.retry_after
                else:
                    # Jitter, so threads don't hit a recovering server in lockstep.
                    wait = min(self.retry_cap, self.backoff_base * 2**attempt)
                    wait *= random.uniform(0.75, 1.0)
                log.debug("okdesk_retry", path=path, kind=err.kind, wait_s=round(wait, 2), **_about(path))
                time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _request_once(
        self,
        method: str,
        path: str,
        kind: str,
        params: Any,
        json_body: Any,
        body: MultipartBody | None,
        background: bool,
        expect_list: bool = False,
    ) -> Any:
        idempotent = method.upper() in ("GET", "HEAD")
        url = self.api_root + path
        query = self._with_token(params)
        headers: dict[str, str] = {}
        data: Any = None
        timeout: tuple[float, float] = (self.connect_timeout, self.timeout)
        if body is not None:
            headers["Content-Type"] = body.content_type
            data = body
            # urllib3 sends the body under the *connect* timeout; a large upload into a
            # briefly stalled server must not fail after 5 s.
            timeout = (max(self.connect_timeout, self.timeout), self.timeout)
        for _hop in range(MAX_REDIRECTS + 1):
            self._take_token(kind, background)
            started = time.monotonic()
            failure: OkdeskError | None = None
            resp: requests.Response | None = None
            try:
                resp = self.session.request(
                    method,
                    url,
                    params=query,
                    json=json_body,
                    data=data,
                    headers=headers,
                    timeout=timeout,
                    allow_redirects=False,
                )
            except BodyFileChanged as exc:
                failure = OkdeskError(str(exc), kind="upload_file_changed")
            except (requests.RequestException, u3.HTTPError, OSError) as exc:
                # (urllib3/OSError: whatever requests failed to wrap, just in case.)
                failure = network_error(exc, f"{method} {path}", self.where, idempotent)
            if failure is not None:  # raised here, outside `except`: no __context__ with the URL
                self.outcomes.count(None, failure)
                self._log(method, path, None, started, error=failure.kind)
                self._record(failure)
                raise failure
            assert resp is not None
            self._log(method, path, resp.status_code, started)
            self._note_clock(resp.headers.get("Date"))
            if resp.is_redirect and idempotent:
                self.outcomes.count(resp.status_code)
                url = self._redirect_target(resp, path)
                continue
            result, err = classify_response(
                resp.status_code,
                resp.headers,
                resp.content,
                f"{method} {path}",
                idempotent,
                self.scrub,
                expect_list=expect_list,
            )
            self.outcomes.count(resp.status_code, err)
            if isinstance(err, OkdeskRateLimited) and self.budget is not None:
                # One 429 stops every thread: hammering on would only extend the penalty.
                self.budget.pause_until(self.budget.clock() + err.retry_after)
            self._record(err)
            if err is not None:
                raise err
            return result
        raise OkdeskUnavailable(f"too many redirects for {method} {path}", kind="redirect_loop")

    def _with_token(self, params: Any) -> list[tuple[str, Any]]:
        items: list[tuple[str, Any]] = []
        if isinstance(params, Mapping):
            items.extend(params.items())
        elif params:
            items.extend(params)
        items.append(("api_token", self._token))
        return items

    def _redirect_target(self, resp: requests.Response, path: str) -> str:
        """Follow a redirect only within the Okdesk host (the token goes along as a query
        parameter, so it must never be sent to a host we were not configured with)."""
        location = resp.headers.get("Location", "")
        target = urljoin(resp.url, location)
        parts = urlsplit(target)
        resp.close()
        if parts.hostname != self.host:
            raise OkdeskError(
                f"{path} redirected to another host", status=resp.status_code, kind="redirect"
            )
        # Drop whatever query came back (it would carry the token twice); we add ours.
        return parts._replace(query="", fragment="").geturl()

    # ---------------------------------------------------------------- storage (file links)

    def storage_get(self, url: str, *, background: bool = False) -> requests.Response:
        """GET a storage link as a stream. No api_token, no JSON: it is a pre-signed URL, maybe
        on another host. Network failures -> OkdeskUnavailable; the caller reads the status."""
        target = urljoin(self.origin + "/", url)
        self._take_token("storage", background)
        started = time.monotonic()
        where = urlsplit(target).hostname or "storage"
        failure: OkdeskError | None = None
        resp: requests.Response | None = None
        try:
            resp = self.session.get(
                target,
                stream=True,
                timeout=(self.connect_timeout, self.timeout),
                # Raw bytes: a decoded .gz would not be the file the person sent.
                headers={"Accept": "*/*", "Accept-Encoding": "identity"},
            )
        except (requests.RequestException, u3.HTTPError, OSError) as exc:
            kind, text, _ = describe_failure(exc, where)
            failure = OkdeskUnavailable(f"storage link: {text}", kind=f"storage_{kind}")
        if failure is not None:
            self.outcomes.count(None, failure)
            self._log("GET", "<storage>", None, started, error=failure.kind)
            self._record(failure)
            raise failure
        assert resp is not None
        self.outcomes.count(resp.status_code)  # the caller judges the answer; its status tells the outcome
        self._log("GET", "<storage>", resp.status_code, started)
        return resp

    def iter_storage(self, resp: requests.Response, chunk_size: int) -> Iterator[bytes]:
        """``resp.iter_content`` with network failures turned into OkdeskUnavailable."""
        where = urlsplit(resp.url).hostname or "storage"
        it = resp.iter_content(chunk_size)
        while True:
            failure: OkdeskError | None = None
            chunk = b""
            try:
                chunk = next(it)
            except StopIteration:
                return
            except (requests.RequestException, u3.HTTPError, OSError) as exc:
                kind, text, _ = describe_failure(exc, where)
                failure = OkdeskUnavailable(f"storage download: {text}", kind=f"storage_{kind}")
            if failure is not None:
                self._record(failure)
                raise failure
            yield chunk

    def close(self) -> None:
        self.session.close()
