"""``syncd run``: the daemon in the foreground until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import asyncio

from syncd import __version__
from syncd.config import Settings
from syncd.logs import get_logger

ORDER = 0  # listed first in --help


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("run", help="run the daemon in the foreground until SIGTERM or SIGINT")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    from syncd.app.daemon import AlreadyRunning, run_daemon
    from syncd.store.db import SchemaError
    from syncd.telegram.proxy import ProxyUnavailable

    log = get_logger("syncd")
    log.info("starting", version=__version__, config=settings.source)
    try:
        return asyncio.run(run_daemon(settings))
    except (AlreadyRunning, SchemaError) as exc:
        log.error("cannot_start", error=str(exc))
        return 3
    except ProxyUnavailable as exc:  # the configured proxy cannot be used as installed
        log.error("cannot_start", error=str(exc))
        return 2
    except Exception:
        # Through the logger, so the traceback is redacted and lands in journald as JSON.
        log.exception("crashed")
        return 1
