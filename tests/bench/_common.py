"""What the benchmarks share: the two stand-in servers, the daemon subprocess, linking, tables.

The benchmarks are scripts (``python tests/bench/bench_*.py``), so the repository root is put
on ``sys.path`` here before the test harness is imported.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from syncd.config import OkdeskSettings, SyncSettings  # noqa: E402
from tests.e2e.conftest import API_TOKEN, FAST_SETTINGS, Daemon  # noqa: E402
from tests.e2e.helpers import link_client  # noqa: E402
from tests.okdesk_emulator import OkdeskEmulator  # noqa: E402
from tests.tgserver import TelegramTestServer  # noqa: E402


# The e2e FAST_SETTINGS shorten every window; measurements put the production defaults back
# (syncd/config.py) so the figures say something about a real deployment. Only the poll
# interval stays a benchmark choice, and every benchmark prints the one it used.
def _production() -> dict[str, dict[str, Any]]:
    """Every setting the e2e FAST_SETTINGS shorten, back at its default, read from the code."""
    sections = {"sync": SyncSettings, "okdesk": OkdeskSettings}
    defaults = {f.name: f.default for cls in sections.values() for f in fields(cls)}
    out = {name: {key: defaults[key] for key in FAST_SETTINGS.get(name, {})} for name in sections}
    # Unset, as in production: adaptive (an explicit None, which the e2e config writer leaves out, so the
    # e2e FAST_SETTINGS' 0.3 s does not stay behind); a benchmark may still fix it.
    out["sync"]["poll_interval"] = None
    out["sync"]["shutdown_grace"] = 10.0  # a benchmark need not wait the full grace at its end
    # DEBUG: the poll_done and okdesk_request events are what the benchmarks read.
    out["log"] = {"level": "DEBUG"}
    return out


PRODUCTION: dict[str, dict[str, Any]] = _production()


def merge(*layers: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for layer in layers:
        for section, values in layer.items():
            out.setdefault(section, {}).update(values)
    return out


class Bench:
    """The emulator, the Telegram test server and one daemon, in a temporary directory.

    ``daemon.restart(overrides)`` swaps the config and starts again on the same state
    directory, which is how a benchmark moves from a fast setup to a production-like budget.
    """

    def __init__(self, prefix: str) -> None:
        self.root = Path(tempfile.mkdtemp(prefix=f"syncd-{prefix}-"))
        self.emu = OkdeskEmulator(api_token=API_TOKEN, files_dir=self.root / "okdesk-files")
        self.tg = TelegramTestServer(files_dir=self.root / "tg-files")
        workdir = self.root / "daemon"
        workdir.mkdir()
        self.daemon = Daemon(workdir, self.emu, self.tg)
        self.employee = 0
        self._phones = iter(range(79_000_000_001, 79_999_999_999))

    def __enter__(self) -> Bench:
        self.emu.start()
        self.tg.start()
        self.employee = self.emu.add_employee("Сергей", "Иванов")
        return self

    def __exit__(self, *exc: object) -> None:
        proc = self.daemon.proc
        if proc is not None and proc.poll() is None:
            started = time.monotonic()
            try:
                self.daemon.stop()
            except AssertionError:  # it was killed; the figures matter more, but say so
                print(f"note: the daemon did not stop within {time.monotonic() - started:.0f} s of SIGTERM "
                      f"and was killed ({self.root.name})", flush=True)
        self.tg.stop()
        self.emu.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def start(self, overrides: dict[str, dict[str, Any]], timeout: float = 60) -> int:
        """(Re)start the daemon with ``overrides`` over the e2e FAST_SETTINGS; returns the run number."""
        if self.daemon.proc is not None and self.daemon.proc.poll() is None:
            code = self.daemon.stop(timeout=60)
            if code != 0:
                raise SystemExit(f"daemon exited with {code} on SIGTERM")
        self.daemon.overrides = overrides
        self.daemon.start(timeout=timeout)
        return self.daemon.runs

    def new_contact(self, first: str = "Иван", last: str = "Петров") -> tuple[int, str]:
        """A contact whose phone a Telegram user can share later; returns (id, digits)."""
        digits = str(next(self._phones))
        return self.emu.add_contact(first, last, phone=f"+{digits}"), digits

    def link(self, digits: str, first: str = "Иван", last: str = "Петров", timeout: float = 120) -> Any:
        """A Telegram user shares the contact's phone; waits until the contact's issues are followed."""
        user, _ = link_client(self.tg, self.emu, self.daemon, first=first, last=last, phone=digits,
                              contact_phone=None)
        return user

    def client_with_issue(self, title: str, poll_interval: float) -> tuple[Any, int, int]:
        """A daemon on the production settings (but the poll interval), one linked client and one
        followed issue of theirs: (Telegram user, Okdesk contact id, issue id)."""
        contact_id, digits = self.new_contact()
        issue_id = self.emu.add_issue(title, contact_id=contact_id)
        self.start(merge(PRODUCTION, {"sync": {"poll_interval": poll_interval}}))
        user = self.link(digits)
        self.daemon.wait_event("issue_followed", issue_id=issue_id, timeout=30)
        return user, contact_id, issue_id

    def wait(self, what: str, predicate: Callable[[], Any], timeout: float, step: float = 0.2) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            proc = self.daemon.proc
            if proc is not None and proc.poll() is not None:
                tail = "\n".join(self.daemon.raw_lines[-20:])
                raise SystemExit(f"daemon died ({proc.returncode}) while waiting for {what}:\n{tail}")
            if time.monotonic() > deadline:
                tail = "\n".join(self.daemon.raw_lines[-20:])
                raise SystemExit(f"timed out after {timeout:.0f}s waiting for {what}; log tail:\n{tail}")
            time.sleep(step)

    def count(self, name: str, run: int | None = None, **fields: Any) -> int:
        return len(self.daemon.find(name, run=run, **fields))


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A plain fixed-width table, numbers right-aligned."""
    cells = [[str(h) for h in headers]] + [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(c.rjust(w) if _numeric(c) else c.ljust(w) for c, w in zip(row, widths, strict=True))

    out = [line(cells[0]), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells[1:]]
    return "\n".join(out)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def _numeric(text: str) -> bool:
    return text.replace(".", "", 1).replace("-", "", 1).replace(" ", "").isdigit()


def human_seconds(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def rss_verdict(peak: float, target_mb: float, errors: list[dict[str, Any]], failures: list[str]) -> int:
    """The peak-RSS target and what the daemon logged as errors, then the outcome (exit code)."""
    if peak >= target_mb:
        failures.append(f"peak RSS {peak:.1f} MB >= {target_mb:g} MB")
    for error in errors:
        print(f"note: daemon logged {error.get('level')} {error.get('event')!r}")
    return verdict(failures)


def verdict(failures: list[str]) -> int:
    """Print the outcome and return the script's exit code (1 when a target was missed)."""
    if failures:
        print("\nTARGET MISSED:\n  " + "\n  ".join(failures))
        return 1
    print("\nall targets met")
    return 0
