"""The command line: ``syncd run [--config PATH]``.

Exit codes: 0 clean stop, 2 configuration problem, 3 state problem (database, lock).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from syncd import __version__
from syncd.config import ConfigError, load_settings
from syncd.logs import get_logger, setup_logging


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="syncd", description="Telegram <-> Okdesk helpdesk bridge")
    parser.add_argument("--version", action="version", version=f"syncd {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the daemon in the foreground until SIGTERM or SIGINT")
    run.add_argument("--config", help="TOML config file (default: $SYNCD_CONFIG, then /etc/syncd/config.toml)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"syncd: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log.level, settings.log.format, secrets=settings.secrets())
    log = get_logger("syncd")
    if args.command == "run":
        from syncd.daemon import AlreadyRunning, run_daemon
        from syncd.store.db import SchemaError

        log.info("starting", version=__version__, config=settings.source)
        try:
            return asyncio.run(run_daemon(settings))
        except (AlreadyRunning, SchemaError) as exc:
            log.error("cannot_start", error=str(exc))
            return 3
        except Exception:
            # Through the logger, so the traceback is redacted and lands in journald as JSON.
            log.exception("crashed")
            return 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
