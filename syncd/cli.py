"""The command line: ``syncd <command> [--config PATH]``; the commands live in :mod:`syncd.commands`.

Exit codes: 0 success, 1 failure (a crash, a failed check), 2 configuration problem, 3 state
problem (database, lock).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
from collections.abc import Sequence

import syncd.commands
from syncd import __version__
from syncd.app.filesafety import warn_config_file_exposure
from syncd.commands import CommandFailed
from syncd.config import ConfigError, load_settings
from syncd.logs import get_logger, redact, setup_logging


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="syncd", description="Telegram <-> Okdesk helpdesk bridge")
    parser.add_argument("--version", action="version", version=f"syncd {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help="TOML config file (default: $SYNCD_CONFIG, then /etc/syncd/config.toml)")
    sub = parser.add_subparsers(dest="command", required=True)
    modules = [importlib.import_module(f"syncd.commands.{m.name}")
               for m in pkgutil.iter_modules(syncd.commands.__path__)]
    for module in sorted(modules, key=lambda m: (getattr(m, "ORDER", 50), m.__name__)):
        module.register(_WithCommon(sub, common))
    return parser


class _WithCommon:
    """Every subcommand takes --config (after the command name, as sysadmins type it)."""

    def __init__(self, sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
        self.sub, self.common = sub, common

    def add_parser(self, name: str, **kwargs: object) -> argparse.ArgumentParser:
        return self.sub.add_parser(name, parents=[self.common], **kwargs)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    # Whatever a command creates (the database, a session, a temporary file) is private from birth.
    os.umask(0o077)
    argv = sys.argv[1:] if argv is None else argv
    # Known before parsing: a script asking for JSON gets JSON even when its arguments are refused.
    as_json = "--json" in argv
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse has said why on stderr (or printed --help: exit 0)
        if as_json and exc.code:
            _json_error("usage", "the command line was not understood (see stderr)")
        raise
    as_json = bool(getattr(args, "json", False))
    try:
        settings = load_settings(args.config, secrets_required=getattr(args, "needs_secrets", True))
        # Commands other than `run` print for a person; their log lines (warnings) go to stderr too.
        setup_logging(settings.log.level, settings.log.format, secrets=settings.secrets())
        warn_config_file_exposure(settings.source)  # secrets that others may read: said by every command
        return int(args.handler(args, settings))
    except ConfigError as exc:
        print(f"syncd: {exc}", file=sys.stderr)
        if as_json:
            _json_error("config_invalid", "invalid configuration", problems=exc.problems)
        return 2
    except CommandFailed as exc:
        print(f"syncd {args.command}: {exc.message}", file=sys.stderr)
        if as_json:
            _json_error(exc.code, exc.message)
        return exc.exit_code
    except Exception:
        if not as_json:
            raise
        # The traceback still goes to stderr (redacted, through the logger); stdout stays one document.
        get_logger("syncd").exception("crashed", command=args.command)
        _json_error("internal_error", f"syncd {args.command} failed unexpectedly (see stderr)")
        return 1


def _json_error(code: str, message: str, problems: Sequence[str] = ()) -> None:
    """The one JSON document of a ``--json`` command that could not do its work (README: "--json")."""
    error: dict[str, object] = {"code": code, "message": redact(message)}
    if problems:
        error["problems"] = [redact(p) for p in problems]
    print(json.dumps({"error": error}, ensure_ascii=False))
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
