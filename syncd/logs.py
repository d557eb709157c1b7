"""Logging: structlog for our own events, the stdlib loggers of our libraries routed through it.

Redaction of secrets lives here and only here. Every line, ours or a library's (urllib3
logs the full URL, and Okdesk's API token travels in the query string), passes through
:func:`redact` before it is rendered, traceback text included.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Awaitable, Iterable
from types import TracebackType
from typing import Any, TypeVar

import structlog

# Query parameters that carry a secret or personal data (urllib3 logs every URL it fetches), and
# in a URL's query anything named like a credential (a storage link may be pre-signed, its
# signature as good as a password while it lives; tried only after ? & ;, so it costs little).
_SECRET_PARAM = re.compile(r"((?:api_token|phone|mobile_phone|search_string)=)[^&\s'\"]+", re.IGNORECASE)
_CREDENTIAL_PARAM = re.compile(r"(?<=[?&;])([\w.-]*(?:signature|credential|token|password)=)[^&\s'\"]+",
                               re.IGNORECASE)
_BOT_TOKEN = re.compile(r"\b\d{5,12}:[A-Za-z0-9_-]{30,}\b")
# Digits as a phone number is printed: 79123456789, +7 (912) 345-67-89, 8 912 345 67 89.
_DIGIT_RUN = re.compile(r"\d(?:[\s()-]{0,2}\d){6,}")
_PHONE_KEY = 10  # a number is known by its last ten digits, whatever its country prefix was written as
_MASK = "***"


class _Secrets:
    """The values to hide, registered at start-up and whenever a phone passes through."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: tuple[str, ...] = ()
        self._phones: set[str] = set()
        self._phone_key_sizes: tuple[int, ...] = ()

    def add(self, *values: str | None) -> None:
        with self._lock:
            new = {v for v in values if v and len(v) >= 4} | set(self._values)
            # Longest first, so a value containing another is hidden whole.
            self._values = tuple(sorted(new, key=len, reverse=True))

    def forget(self, value: str) -> None:
        with self._lock:
            self._values = tuple(v for v in self._values if v != value)

    def add_phone(self, digits: str) -> None:
        """A number is printed in many ways (+7 (912) 345-67-89, 8 912 345 67 89, 79123456789): a run of
        digits holding its last ten, whatever the separators, is hidden whole. A set, not a pattern
        per number: each client linked adds one, and every line is looked at once whatever their number."""
        key = digits[-_PHONE_KEY:]
        if len(key) < 7:
            return
        with self._lock:
            self._phones.add(key)
            self._phone_key_sizes = tuple(sorted({*self._phone_key_sizes, len(key)}))

    def _phone_run(self, found: re.Match[str]) -> str:
        digits = "".join(ch for ch in found.group() if ch.isdigit())
        for size in self._phone_key_sizes:
            if any(digits[i:i + size] in self._phones for i in range(len(digits) - size + 1)):
                return _MASK
        return found.group()

    def scrub(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, _MASK)
        if self._phones:
            text = _DIGIT_RUN.sub(self._phone_run, text)
        text = _SECRET_PARAM.sub(r"\1" + _MASK, text)
        text = _CREDENTIAL_PARAM.sub(r"\1" + _MASK, text)
        return _BOT_TOKEN.sub(_MASK, text)


SECRETS = _Secrets()


def register_secret(*values: str | None) -> None:
    SECRETS.add(*values)


def forget_secret(value: str) -> None:
    """A secret that stopped being one (an expired one-time link): the list of values stays bounded."""
    SECRETS.forget(value)


def register_phone(phone: str | None) -> None:
    """Hide a phone number in every form it may be printed in."""
    if not phone:
        return
    SECRETS.add_phone("".join(ch for ch in phone if ch.isdigit()))


def redact(value: Any) -> Any:
    if isinstance(value, str):
        return SECRETS.scrub(value)
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact(v) for v in value)
    return value


def _redact_processor(_logger: Any, _name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    return {key: redact(val) for key, val in event_dict.items()}


class _RedactingFormatter(structlog.stdlib.ProcessorFormatter):
    """Scrubs the final rendered line too: exception text is rendered after the processors ran."""

    def format(self, record: logging.LogRecord) -> str:
        return SECRETS.scrub(super().format(record))


T = TypeVar("T")


async def with_log_context(coro: Awaitable[T], **fields: Any) -> T:
    """Run ``coro`` with ``fields`` on every line logged meanwhile: ours, a library's, and those of
    the threads it starts with ``asyncio.to_thread`` (which copies the context). A task made of it
    is one client's or one issue's work, and each of its lines says whose."""
    with structlog.contextvars.bound_contextvars(**{k: v for k, v in fields.items() if v is not None}):
        return await coro


def setup_logging(level: str = "INFO", fmt: str = "auto", secrets: Iterable[str] = (), stream: Any = None) -> None:
    stream = stream or sys.stderr
    register_secret(*secrets)
    use_json = fmt == "json" or (fmt == "auto" and not _isatty(stream))
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if use_json:
        renderer: Any = structlog.processors.JSONRenderer(ensure_ascii=False)
        final: list[Any] = [structlog.processors.format_exc_info, _redact_processor, renderer]
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=True, exception_formatter=structlog.dev.plain_traceback)
        final = [_redact_processor, renderer]

    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = _RedactingFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Libraries that warn through `warnings` (Telethon about the session) go through the same
    # formatter: JSON for journald, and redacted, instead of raw lines on stderr.
    logging.captureWarnings(True)
    # Telethon is chatty at INFO about every reconnect; keep it at WARNING unless debugging.
    # Its DEBUG is every packet: INFO at most, even when we debug.
    logging.getLogger("telethon").setLevel(logging.INFO if level.upper() == "DEBUG" else logging.WARNING)
    # The scheduler reports each wake-up, and tzlocal its guesses: noise even when debugging.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("tzlocal").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # An exception nobody caught would be printed raw by Python, past the redaction: log it instead.
    sys.excepthook = _log_uncaught
    threading.excepthook = lambda args: _log_uncaught(args.exc_type, args.exc_value, args.exc_traceback,
                                                      thread=getattr(args.thread, "name", None))


def _log_uncaught(exc_type: type[BaseException], exc: BaseException | None, tb: TracebackType | None,
                  thread: str | None = None) -> None:
    if issubclass(exc_type, SystemExit):  # what Python itself stays silent about
        return
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc or exc_type(), tb)
        return
    structlog.get_logger("syncd").critical("uncaught_exception", thread=thread, exc_info=(exc_type, exc, tb))


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def get_logger(name: str | None = None, **context: Any) -> Any:
    # Lazy: a module-level logger made at import, before setup_logging, must not keep structlog's
    # default configuration (plain text on stdout, no redaction).
    return structlog.get_logger(name, **context)
