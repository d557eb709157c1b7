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
from collections.abc import Iterable
from typing import Any

import structlog

# Query parameters that carry a secret or personal data (urllib3 logs every URL it fetches).
_SECRET_PARAM = re.compile(r"((?:api_token|phone|mobile_phone|search_string)=)[^&\s'\"]+", re.IGNORECASE)
_BOT_TOKEN = re.compile(r"\b\d{5,12}:[A-Za-z0-9_-]{30,}\b")
_MASK = "***"


class _Secrets:
    """The literal values to hide, registered at start-up and whenever a phone passes through."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: tuple[str, ...] = ()

    def add(self, *values: str | None) -> None:
        with self._lock:
            new = {v for v in values if v and len(v) >= 4} | set(self._values)
            # Longest first, so a value containing another is hidden whole.
            self._values = tuple(sorted(new, key=len, reverse=True))

    def scrub(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, _MASK)
        text = _SECRET_PARAM.sub(r"\1" + _MASK, text)
        return _BOT_TOKEN.sub(_MASK, text)


SECRETS = _Secrets()


def register_secret(*values: str | None) -> None:
    SECRETS.add(*values)


def register_phone(phone: str | None) -> None:
    """Hide a phone number in every form it may be printed in."""
    if not phone:
        return
    digits = "".join(ch for ch in phone if ch.isdigit())
    forms = {phone, digits, "+" + digits}
    if len(digits) == 11 and digits[0] in "78":
        forms |= {"7" + digits[1:], "8" + digits[1:], "+7" + digits[1:], digits[1:]}
    SECRETS.add(*forms)


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


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def get_logger(name: str | None = None, **context: Any) -> Any:
    return structlog.get_logger(name).bind(**context)
