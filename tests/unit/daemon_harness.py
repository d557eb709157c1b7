"""The daemon in the test process: its own parts (:func:`syncd.app.parts.build`) started, run and stopped by
:mod:`syncd.app.daemon` on an event loop of its own in a thread, against whatever Okdesk and Telegram clients
the test hands it (by default the real ones, talking to the in-process stand-ins).

No child process: the database is migrated in the test process (once per session, then copied), the
log lines are caught in memory as the daemon writes them (JSON, redacted, as journald gets them), and
SIGTERM is the handler the daemon itself registered, called on its loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from syncd import cli
from syncd.app.daemon import run_until_stopped, start, stop, take_lock
from syncd.app.parts import Parts, build
from syncd.config import Settings, load_settings
from syncd.logs import get_logger, setup_logging
from syncd.okdesk.client import OkdeskClient
from syncd.store import make_engine
from syncd.store.db import migrate
from syncd.telegram.client import SyncdTelegramClient
from tests.configfile import write_config
from tests.e2e.conftest import API_HASH, API_TOKEN, BOT_TOKEN, FAST_SETTINGS, parse_event
from tests.waiting import wait_on

# How the test makes the daemon's outside clients from its settings (syncd.app.parts.make_* by default):
# a fixture, so that a fake can stand in for either.
OkdeskFactory = Callable[[Settings], OkdeskClient]
TelegramFactory = Callable[[Settings], SyncdTelegramClient]

# The e2e windows, some shorter still: nothing here waits on a real network.
UNIT_SETTINGS: dict[str, dict[str, Any]] = {
    "sync": {"poll_interval": 0.2, "sender_idle": 0.1, "album_settle": 0.25, "burst_window": 0.3, "shutdown_grace": 3,
             "reconcile_min_period": 0.3},
}


def migrated_template(path: Path) -> Path:
    """An SQLite database at the code's head, migrated here (Alembic in this process), to be copied."""
    migrate_database(f"sqlite:///{path}")
    return path


def migrate_database(url: str) -> None:
    """The database at ``url`` brought to the code's head in this process."""
    engine = make_engine(url)
    try:
        migrate(engine)
    finally:
        engine.dispose()


class EventLog:
    """The daemon's log lines as they are written (a stream for :func:`syncd.logs.setup_logging`)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._partial = ""
        self.run = 0  # the daemon's start each line belongs to (1 for the first)

    def write(self, text: str) -> int:
        with self._cond:
            self._partial += text
            *done, self._partial = self._partial.split("\n")
            for line in done:
                event = parse_event(line)
                event["_run"] = self.run
                self.lines.append(line)
                self.events.append(event)
            self._cond.notify_all()
        return len(text)

    def flush(self) -> None:
        pass

    def text(self) -> str:
        with self._cond:
            return "\n".join(self.lines)

    def find(self, name: str, run: int | None = None, **fields: Any) -> list[dict[str, Any]]:
        with self._cond:
            return [e for e in self.events if e.get("event") == name and (run is None or e["_run"] == run)
                    and all(e.get(k) == v for k, v in fields.items())]

    def wait(self, predicate: Callable[[], Any], timeout: float, what: str,
             alive: Callable[[], bool] = lambda: True) -> Any:
        """``predicate()`` once truthy (looked at as each line comes); fails at the deadline, or at once
        when ``alive()`` says the daemon is gone without it."""
        gone = object()
        found = wait_on(self._cond, lambda: predicate() or (None if alive() else gone), timeout,
                        failure=lambda: AssertionError(f"no {what} within {timeout}s; log tail:\n{self._tail()}"),
                        poll=0.1)
        if found is gone:
            raise AssertionError(f"no {what}: the daemon has stopped; log tail:\n{self._tail()}")
        return found

    def _tail(self) -> str:
        return "\n".join(self.lines[-40:])


MakeDaemon = Callable[..., "InProcessDaemon"]  # the ``make_daemon`` fixture: overrides -> a daemon not started


class HarnessLoop(asyncio.SelectorEventLoop):
    """An event loop for a thread other than the main one: the signal handlers the daemon registers are
    kept (Python takes real signals only in the main thread) and :meth:`signal` calls them."""

    def __init__(self) -> None:
        super().__init__()
        self.handlers: dict[int, tuple[Callable[..., object], tuple[Any, ...]]] = {}

    def add_signal_handler(self, sig: int, callback: Callable[..., object], *args: Any) -> None:
        self.handlers[sig] = (callback, args)

    def remove_signal_handler(self, sig: int) -> bool:
        return self.handlers.pop(sig, None) is not None

    def signal(self, sig: int) -> None:
        callback, args = self.handlers[sig]
        self.call_soon_threadsafe(callback, *args)


class InProcessDaemon:
    """One daemon (one state directory, one database), started and stopped as often as a test likes.

    The shape of tests/e2e/conftest.py's ``Daemon`` where it matters to the shared steps
    (tests/e2e/helpers.py): ``start()``, ``wait_event(name, **fields)``, ``find``, ``wait_cycles``,
    ``stop()``, ``state_dir``."""

    def __init__(self, workdir: Path, base_url: str, tg_server: Any, template: Path,
                 okdesk_factory: OkdeskFactory, telegram_factory: TelegramFactory,
                 overrides: dict[str, dict[str, Any]] | None = None) -> None:
        self.workdir, self.base_url, self.tg_server, self.template = workdir, base_url, tg_server, template
        self.okdesk_factory, self.telegram_factory = okdesk_factory, telegram_factory
        self.overrides = overrides or {}
        self.state_dir = workdir / "state"
        self.config_path = workdir / "config.toml"
        self.log = EventLog()
        self.runs = 0
        self.parts: Parts | None = None
        self.exit_code: int | None = None
        self.stuck: list[str] | None = None
        self.crash: BaseException | None = None
        self._loop: HarnessLoop | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()

    # ------------------------------------------------------------ settings and state

    def config(self) -> dict[str, dict[str, Any]]:
        sections: dict[str, dict[str, Any]] = {
            "okdesk": {"url": self.base_url, "api_token": API_TOKEN},
            "telegram": {"api_id": 12345, "api_hash": API_HASH, "bot_token": BOT_TOKEN},
            "state": {"dir": str(self.state_dir)},
        }
        for source in (FAST_SETTINGS, UNIT_SETTINGS, self.overrides):
            for section, values in source.items():
                sections.setdefault(section, {}).update(values)
        return sections

    def settings(self) -> Settings:
        """The settings as `syncd` reads them: from the config file, no environment."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        write_config(self.config_path, self.config())
        return load_settings(self.config_path, env={})

    def prepare(self, settings: Settings) -> None:
        """The state directory as a daemon finds it: the database (migrated), the bot's session."""
        database = self.state_dir / "syncd.sqlite3"
        if settings.state.database_url:  # another server's (PostgreSQL): migrated here, as the daemon's child would
            migrate_database(settings.database_url)
        elif not database.exists():
            shutil.copyfile(self.template, database)
        session = settings.session_path
        if not session.exists():
            self.tg_server.write_session(session)
        tmp_dir = self.state_dir / "tmp"
        shutil.rmtree(tmp_dir, ignore_errors=True)
        tmp_dir.mkdir()

    # ------------------------------------------------------------ life

    def start(self, wait_ready: bool = True, timeout: float = 15) -> InProcessDaemon:
        assert self._thread is None, "already running"
        settings = self.settings()
        self.prepare(settings)
        self.runs += 1
        self.log.run = self.runs
        self.exit_code = self.stuck = self.crash = None
        self._started.clear()
        setup_logging(settings.log.level, "json", secrets=settings.secrets(), stream=self.log)
        self._loop = HarnessLoop()
        self._thread = threading.Thread(target=self._run, args=(self._loop, settings), name="daemon", daemon=True)
        self._thread.start()
        if wait_ready:
            self.wait_event("ready", timeout=timeout, run=self.runs)
        return self

    def _run(self, loop: HarnessLoop, settings: Settings) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve(settings))
        except BaseException as exc:  # noqa: BLE001 - kept for the test to see, as a crashed daemon's exit
            self.crash = exc
            self.log.write(json.dumps({"event": "<crashed>", "error": repr(exc)}) + "\n")
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()

    async def _serve(self, settings: Settings) -> None:
        """syncd.app.daemon.serve with the state directory's lock, without the lease and the process exit."""
        lock = take_lock(self.state_dir)
        engine: Engine = make_engine(settings.database_url)
        try:
            self.parts = parts = build(settings, engine, self.state_dir / "tmp",
                                       okdesk=self.okdesk_factory(settings), tg=self.telegram_factory(settings))
            running = await start(parts)
            self._started.set()
            self.exit_code = await run_until_stopped(parts, running)
            self.stuck = await stop(parts, running, self.exit_code)
            await running.end_watchdog()
            get_logger("syncd").info("stopped", exit_code=self.exit_code)
        finally:
            engine.dispose()
            lock.close()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def signal(self, sig: int = signal.SIGTERM) -> None:
        assert self._loop is not None and self._started.wait(10), "the daemon never finished starting"
        self._loop.signal(sig)

    def stop(self, timeout: float = 10) -> int:
        """SIGTERM, then wait for the daemon to be gone; its exit code."""
        if self._thread is None:
            return self.exit_code or 0
        if self._thread.is_alive():
            self.signal(signal.SIGTERM)
        return self.join(timeout)

    def join(self, timeout: float = 10) -> int:
        assert self._thread is not None
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"the daemon did not stop within {timeout}s"
        self._thread = self._loop = None
        if self.crash is not None:
            raise AssertionError(f"the daemon crashed: {self.crash!r}") from self.crash
        return self.exit_code if self.exit_code is not None else 1

    # ------------------------------------------------------------ its log

    def find(self, name: str, run: int | None = None, **fields: Any) -> list[dict[str, Any]]:
        return self.log.find(name, run, **fields)

    def wait_event(self, name: str, timeout: float = 10, run: int | None = None, **fields: Any) -> dict[str, Any]:
        """The latest event ``name`` with ``fields`` (of start number ``run`` if given); waits for it."""
        def found() -> dict[str, Any] | None:
            hits = self.log.find(name, run, **fields)
            return hits[-1] if hits else None

        return self.log.wait(found, timeout, f"{name!r} {fields}", alive=lambda: self.alive or name == "stopped")

    def wait_cycles(self, cycles: int = 3, timeout: float = 10) -> None:
        """Let ``cycles`` more poll cycles finish (to show that nothing more happens)."""
        start_count = len(self.log.find("poll_done"))
        self.log.wait(lambda: len(self.log.find("poll_done")) >= start_count + cycles, timeout,
                      f"{cycles} poll cycles", alive=lambda: self.alive)

    def errors(self) -> list[dict[str, Any]]:
        with self.log._cond:
            return [e for e in self.log.events if e.get("level") in ("error", "critical")]


class LoggingSaved:
    """The process's logging as it was before a daemon configured it, put back after the test."""

    def __init__(self) -> None:
        root = logging.getLogger()
        self.handlers, self.level = list(root.handlers), root.level
        self.excepthook, self.thread_hook = sys.excepthook, threading.excepthook

    def restore(self) -> None:
        root = logging.getLogger()
        root.handlers[:] = self.handlers
        root.setLevel(self.level)
        logging.captureWarnings(False)
        sys.excepthook, threading.excepthook = self.excepthook, self.thread_hook


def run_cli(*argv: str, during: Callable[[Callable[[], str]], None] | None = None,
            ) -> subprocess.CompletedProcess[str]:
    """``syncd ARGV`` through :func:`syncd.cli.main` in this process (no child is started): its exit
    code and what it printed, in the shape a finished child's would have. The umask and the logging it
    sets are put back. ``during``: run in a thread meanwhile, given what was written to stderr so far
    (for `syncd run`, which returns only when told to stop)."""
    out, err = io.StringIO(), io.StringIO()
    saved, umask = LoggingSaved(), os.umask(0o022)
    os.umask(umask)
    if during is not None:
        threading.Thread(target=during, args=(err.getvalue,), name="cli-during", daemon=True).start()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(list(argv))
            except SystemExit as exc:  # argparse's own exit (usage, --help)
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        os.umask(umask)
        saved.restore()
    return subprocess.CompletedProcess(["syncd", *argv], code, out.getvalue(), err.getvalue())
