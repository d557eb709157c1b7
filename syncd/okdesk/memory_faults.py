"""The fault switch and the call log of :class:`~syncd.okdesk.memory.MemoryOkdesk` (ours: test machinery).

Every method of the ``Okdesk`` Protocol is wrapped by :func:`api`: the call is logged, then an
injected fault, if one is armed for it, is raised instead of the call (nothing is done), or after it
(``after_effect=True``: done, and the answer lost, as the emulator's ``after_effect_timeout``).

    okd.fail_next("create_comment", OkdeskUnavailable("down", status=503, kind="http_503"))
    okd.fail_next("create_issue", OkdeskOutcomeUnknown("lost", kind="timeout"), after_effect=True)
    with okd.outage():                      # every call: OkdeskUnavailable (HTTP 503)
        ...
    with okd.outage(rate_limited(30)):      # every call: OkdeskRateLimited, retry_after=30
        ...
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar

from .errors import (
    OkdeskError,
    OkdeskOutcomeUnknown,
    OkdeskRateLimited,
    OkdeskTokenRefused,
    OkdeskUnavailable,
)

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S", bound="FaultSwitch")


def unavailable(status: int = 503) -> OkdeskUnavailable:
    """What OkdeskClient raises for a 5xx answer (after its GET retries)."""
    # The emulator's words for a 503 (tests/okdesk_emulator/faults.py): ours, like the fault itself.
    return OkdeskUnavailable("memory: server error", status=status,
                             errors="Внутренняя ошибка сервера: сервис временно недоступен", kind=f"http_{status}")


def rate_limited(retry_after: float = 30.0) -> OkdeskRateLimited:
    """What OkdeskClient raises for a 429 with ``Retry-After: retry_after``."""
    return OkdeskRateLimited("memory: rate limited", retry_after=retry_after, status=429,
                             errors="Превышен лимит запросов, повторите позже", kind="http_429")


def token_refused() -> OkdeskTokenRefused:
    """What OkdeskClient raises for a 401 (the emulator's words)."""
    return OkdeskTokenRefused("memory: token refused", status=401, errors="Неверный api_token", kind="http_401")


@dataclass
class ArmedFault:
    method: str | None  # None: every method
    error: OkdeskError
    times: int | None  # None: until disarmed
    after_effect: bool = False
    hits: int = 0


# syncd.okdesk.http_errors.OUTCOMES (that module loads requests); a unit test keeps the two equal.
OUTCOMES = ("ok", "redirect", "client_error", "rate_limited", "server_error", "timeout", "connection_error",
            "invalid_answer", "aborted")


def _outcome(error: BaseException | None) -> str:
    """The request outcome OkdeskClient would count (syncd.okdesk.http_errors.OUTCOMES)."""
    if error is None:
        return "ok"
    if isinstance(error, OkdeskRateLimited):
        return "rate_limited"
    if isinstance(error, OkdeskOutcomeUnknown):
        return "timeout"
    if isinstance(error, OkdeskUnavailable):
        return "server_error"
    return "client_error"


class FaultSwitch:
    """Armed faults, the call log and the outcome counts; mixed into MemoryOkdesk."""

    def __init__(self) -> None:
        self._faults: list[ArmedFault] = []
        self._fault_lock = threading.Lock()
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self._outcomes: dict[str, int] = dict.fromkeys(OUTCOMES, 0)  # all shown from the start, as the client

    def fail_next(self, method: str, error: OkdeskError, *, times: int | None = 1,
                  after_effect: bool = False) -> ArmedFault:
        """The next ``times`` calls of ``method`` (a Protocol method's name) raise ``error``."""
        fault = ArmedFault(method, error, times, after_effect)
        with self._fault_lock:
            self._faults.append(fault)
        return fault

    @contextmanager
    def outage(self, error: OkdeskError | None = None) -> Iterator[ArmedFault]:
        """Every call raises ``error`` (default: a 503's OkdeskUnavailable) until the block ends."""
        fault = ArmedFault(None, error or unavailable(), None)
        with self._fault_lock:
            self._faults.append(fault)
        try:
            yield fault
        finally:
            self.clear_faults(fault)

    def clear_faults(self, only: ArmedFault | None = None) -> None:
        with self._fault_lock:
            self._faults = [f for f in self._faults if only is not None and f is not only]

    def count_calls(self, method: str) -> int:
        return sum(1 for name, _, _ in self.calls if name == method)

    def request_outcomes(self) -> dict[str, int]:
        """Calls by outcome (one call is one "request" here; the client may send several)."""
        with self._fault_lock:
            return dict(self._outcomes)

    def _take_fault(self, method: str) -> ArmedFault | None:
        with self._fault_lock:
            for fault in self._faults:
                if fault.method in (None, method) and (fault.times is None or fault.hits < fault.times):
                    fault.hits += 1
                    return fault
        return None

    def _count(self, error: BaseException | None) -> None:
        with self._fault_lock:
            key = _outcome(error)
            self._outcomes[key] = self._outcomes.get(key, 0) + 1


def api(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """Log the call, apply an armed fault, count the outcome."""
    name = method.__name__

    @functools.wraps(method)
    def call(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        self.calls.append((name, args, dict(kwargs)))
        fault = self._take_fault(name)
        if fault is not None and not fault.after_effect:
            self._count(fault.error)
            raise fault.error
        try:
            result = method(self, *args, **kwargs)
        except OkdeskError as exc:
            self._count(exc)
            raise
        if fault is not None:
            self._count(fault.error)
            raise fault.error
        self._count(None)
        return result

    return call
