"""``syncd check``: is everything the daemon needs in place? One line per check, exit 1 if any failed.

The config was validated before this runs (syncd.cli: every problem at once, exit 2). Then
Okdesk (reachable, token, each right the daemon uses), Telegram, and the database. Nothing
is written anywhere: not into the helpdesk, not into the session, not into the database.
"""

from __future__ import annotations

import argparse
import sys

from syncd.checks import Result, fail, ok, warn
from syncd.config import Settings
from syncd.logs import redact

ORDER = 10  # after `run` in --help


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "check", help="check the config, Okdesk (token and rights), Telegram and the database; "
                      "changes nothing; exit 1 if anything failed",
    )
    parser.set_defaults(handler=handle)


def _okdesk(settings: Settings) -> list[Result]:
    from syncd.checks.okdesk import NAME, OkdeskChecks

    try:
        checks = OkdeskChecks(settings)
    except ValueError as exc:
        return [fail(NAME, f"okdesk.url cannot be used ({exc})")]
    return checks.run()


def _telegram(settings: Settings) -> list[Result]:
    from syncd.checks.telegram import check_telegram

    return [check_telegram(settings)]


def _database(settings: Settings) -> list[Result]:
    from syncd.checks.database import check_database

    return [check_database(settings)]


def _account(settings: Settings) -> list[Result]:
    from syncd.checks.account import check_account

    return check_account(settings)


def _support(settings: Settings) -> list[Result]:
    from syncd.checks.support import check_support_contact

    return [check_support_contact(settings)]


def _metrics(settings: Settings) -> list[Result]:
    from pathlib import Path

    from syncd.checks import skip
    from syncd.checks.first_start import writable

    if not settings.metrics.textfile:
        return [skip("metrics", "metrics.textfile is not set: no metrics file is written")]
    directory = Path(settings.metrics.textfile).parent
    # The daemon writes into node_exporter's directory, never makes it: it must be there already.
    problem = writable(directory) if directory.exists() else f"{directory} does not exist"
    if problem is not None:
        # Not fatal to the daemon (it logs metrics_write_failed and goes on), but the monitoring would see nothing.
        return [warn("metrics", f"the daemon could not write {settings.metrics.textfile}: {problem} (under systemd, "
                                "see the drop-in systemd/metrics.conf)")]
    return [ok("metrics", f"{settings.metrics.textfile} can be written by this user")]


def handle(args: argparse.Namespace, settings: Settings) -> int:
    results = [ok("config", f"{settings.source or 'the environment'} is valid")]
    _print(results[0])
    for part in (_okdesk, _telegram, _database, _account, _support, _metrics):
        try:
            found = part(settings)
        except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others
            found = [fail(part.__name__.strip("_"), f"the check itself failed ({type(exc).__name__})")]
        for result in found:
            _print(result)
        results += found
    failed = [r for r in results if r.failed]
    print(f"{len(failed)} of {len(results)} checks failed" if failed else f"all {len(results)} checks passed")
    return 1 if failed else 0


def _print(result: Result) -> None:
    # Redacted like every log line: no check puts a secret in its words, and this keeps it so.
    print(redact(result.line()), flush=True)
    sys.stdout.flush()
