"""`syncd run` under a stand-in for systemd: what it says on $NOTIFY_SOCKET, and when.

The test binds a real AF_UNIX datagram socket (the way PID 1 does), hands the daemon its
address and a short WATCHDOG_USEC, and reads every message: READY=1 after the first poll (also
with Okdesk down at boot), STATUS= lines that follow the daemon's state, WATCHDOG=1 at half the
watchdog period through an Okdesk outage but not while a loop is hung, STOPPING=1 at SIGTERM.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import API_HASH, API_TOKEN, BOT_TOKEN, Daemon
from tests.okdesk_emulator import Fault
from tests.waiting import wait_on

pytestmark = pytest.mark.e2e

WATCHDOG_USEC = 1_000_000  # pings expected every 0.5 s
def okdesk_down() -> Fault:
    return Fault(kind="status", status=503, path=r"/api/v1/", times=None)


class NotifySocket:
    """What PID 1 would receive: every datagram, split into its KEY=VALUE lines, with arrival times."""

    def __init__(self, address: str) -> None:
        self.address = address  # as $NOTIFY_SOCKET spells it ("@name" for the abstract namespace)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + address[1:] if address.startswith("@") else address)
        self.sock.settimeout(0.2)
        self.messages: list[tuple[float, float, list[str]]] = []  # (monotonic, wall clock, lines)
        self._cond = threading.Condition()
        self._closed = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while not self._closed:
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            with self._cond:
                self.messages.append((time.monotonic(), time.time(), data.decode("utf-8").split("\n")))
                self._cond.notify_all()

    def close(self) -> None:
        self._closed = True
        self.sock.close()

    def lines(self, prefix: str = "", since: float = 0.0) -> list[tuple[float, str]]:
        with self._cond:
            return [(at, line) for at, _wall, lines in self.messages if at >= since
                    for line in lines if line.startswith(prefix)]

    def wait(self, predicate: Callable[[], Any], timeout: float, what: str) -> Any:
        return wait_on(self._cond, predicate, timeout, poll=0.2, failure=lambda: AssertionError(
            f"{what} not received within {timeout}s; got {self.messages[-10:]}"))

    def wait_line(self, prefix: str, timeout: float = 15, since: float = 0.0,
                  where: Callable[[str], bool] = lambda _line: True) -> tuple[float, str]:
        def found() -> tuple[float, str] | None:
            hits = [(at, line) for at, line in self.lines(prefix, since) if where(line)]
            return hits[0] if hits else None

        return self.wait(found, timeout, f"{prefix!r}")

    def pings(self, since: float = 0.0) -> list[float]:
        return [at for at, _line in self.lines("WATCHDOG=1", since)]


def gaps(times: list[float], until: float) -> list[float]:
    """Silences between pings, the one up to ``until`` included."""
    marks = [*times, until]
    return [b - a for a, b in zip(marks, marks[1:])]


@pytest.fixture
def notify(tmp_path: Path) -> Iterator[NotifySocket]:
    """A socket in the file system, as systemd's /run/systemd/notify."""
    receiver = NotifySocket(str(tmp_path / "notify.sock"))
    yield receiver
    receiver.close()


@pytest.fixture
def abstract_notify() -> Iterator[NotifySocket]:
    """A socket in the abstract namespace ("@..."), as a container manager may hand out."""
    receiver = NotifySocket(f"@syncd-test-{uuid.uuid4().hex}")
    yield receiver
    receiver.close()


def under_systemd(daemon: Daemon, notify: NotifySocket, watchdog_usec: int | None = WATCHDOG_USEC) -> Daemon:
    daemon.extra_env["NOTIFY_SOCKET"] = notify.address
    if watchdog_usec is not None:
        daemon.extra_env["WATCHDOG_USEC"] = str(watchdog_usec)
    return daemon


def stop_with_stopping(daemon: Daemon, notify: NotifySocket) -> None:
    begin = time.monotonic()
    assert daemon.stop() == 0
    notify.wait_line("STOPPING=1", timeout=2, since=begin)


def test_ready_after_the_first_poll_with_okdesk_down_and_pings_through_an_outage(make_daemon, emu, notify) -> None:
    emu.add_fault(okdesk_down())  # Okdesk is down before the daemon starts
    daemon = under_systemd(make_daemon(sync={"hang_timeout": 1.0, "retry_cap": 0.1}), notify)
    daemon.start(wait_ready=False)
    ready_at, _ = notify.wait_line("READY=1", timeout=30)
    ready = daemon.wait_event("ready", timeout=5)
    assert ready["first_poll_ok"] is False  # attempted, failed, and READY came all the same
    # READY follows the login and the first poll attempt, not the process start.
    daemon.wait_event("telegram_ready", timeout=1)
    wall_ready = next(wall for at, wall, lines in notify.messages if "READY=1" in lines)
    polls = [r for r in emu.requests if "/issues/list" in r.path and r.started < wall_ready]
    assert polls and all(r.status == 503 for r in polls)
    before_ready = [line for at, line in notify.lines() if at < ready_at]
    assert "STATUS=connecting to Telegram" in before_ready and "STATUS=first poll of Okdesk" in before_ready
    assert any(line.startswith("EXTEND_TIMEOUT_USEC=") for line in before_ready)  # a live start is not cut short

    # Pings every half period (0.5 s) while Okdesk stays down.
    notify.wait_line("STATUS=poll failed", timeout=10, since=ready_at)
    watched = time.monotonic()
    time.sleep(2.0)
    pings = notify.pings(since=watched)
    assert len(pings) >= 3 and max(gaps(pings, time.monotonic())) < WATCHDOG_USEC / 1e6
    steps = sorted(gaps(pings, pings[-1])[:-1])
    assert 0.35 < steps[len(steps) // 2] < 0.7  # the median interval: half of WATCHDOG_USEC

    # Okdesk comes back: the STATUS line follows.
    emu.clear_faults()
    at, line = notify.wait_line("STATUS=polled ", timeout=10)
    assert line.endswith("0 issues followed, 0 waiting, 0 failed"), line

    # An outage once the poll loop is watched: it goes on turning through failures, pings go on.
    emu.add_fault(okdesk_down())
    outage = time.monotonic()
    daemon.wait_event("poll_failed", run=1, timeout=5)
    notify.wait_line("STATUS=poll failed", timeout=10, since=outage)
    time.sleep(2.0)  # well past the poll loop's bound (poll_interval + hang_timeout = 1.3 s)
    pings = notify.pings(since=outage)
    assert len(pings) >= 3 and max(gaps(pings, time.monotonic())) < WATCHDOG_USEC / 1e6
    assert not daemon.find("loop_hung")
    stop_with_stopping(daemon, notify)


def test_a_hung_poll_cycle_stops_the_pings_until_it_turns_again(make_daemon, emu, abstract_notify) -> None:
    # The poll loop may be silent for poll_interval + hang_timeout = 1.3 s; Okdesk answers a
    # poll 3 s late (within okdesk.timeout): no failure, just a cycle that does not turn.
    notify = abstract_notify
    daemon = under_systemd(make_daemon(sync={"hang_timeout": 1.0}, okdesk={"timeout": 30}), notify).start()
    ready_at, _ = notify.wait_line("READY=1", timeout=5)
    notify.wait(lambda: len(notify.pings(since=ready_at)) >= 3, timeout=5, what="steady pings")

    emu.add_fault(Fault(kind="slow", delay=3.0, path=r"/issues/list", times=1))
    hung = daemon.wait_event("loop_hung", loop="poll", timeout=10)
    assert hung["watchdog"] == "pings stopped"
    status_at, status = notify.wait_line("STATUS=HUNG: ", timeout=2)
    assert "poll loop silent" in status
    daemon.wait_event("loop_recovered", loop="poll", timeout=10)
    resumed_at, _ = notify.wait_line("WATCHDOG=1", timeout=3, since=status_at)

    pings = notify.pings(since=ready_at)
    silence = max(b - a for a, b in zip(pings, pings[1:]) if a <= status_at)
    # systemd (WatchdogSec=1s here) would have killed the daemon during this silence.
    assert silence > 1.5, f"longest silence {silence:.2f}s"
    assert not daemon.find("poll_failed")  # Okdesk never failed: the loop hung
    # The other loops kept turning all along, and so did the pings once the poll moved again.
    notify.wait(lambda: len(notify.pings(since=resumed_at)) >= 3, timeout=5, what="pings after recovery")
    notify.wait_line("STATUS=polled ", timeout=10, since=resumed_at)
    stop_with_stopping(daemon, notify)


def test_no_watchdog_no_pings_and_secrets_from_the_credentials_directory(make_daemon, notify, tmp_path) -> None:
    """Without WATCHDOG_USEC the daemon never pings; READY/STATUS/STOPPING still come. The secrets
    come from $CREDENTIALS_DIRECTORY (LoadCredential=), none of them in the config file."""
    creds = tmp_path / "credentials"
    creds.mkdir(mode=0o700)
    for name, value in (("okdesk_api_token", API_TOKEN), ("telegram_api_hash", API_HASH),
                        ("telegram_bot_token", BOT_TOKEN)):
        (creds / name).write_text(value + "\n")  # as `echo` leaves it
    daemon = make_daemon(okdesk={"api_token": None}, telegram={"api_hash": None, "bot_token": None})
    under_systemd(daemon, notify, watchdog_usec=None).extra_env["CREDENTIALS_DIRECTORY"] = str(creds)
    daemon.start()
    config = daemon.config_path.read_text()
    assert "api_token" not in config and "bot_token" not in config and "api_hash" not in config
    ready_at, _ = notify.wait_line("READY=1", timeout=5)
    notify.wait_line("STATUS=polled ", timeout=10)
    time.sleep(1.0)
    assert notify.pings() == []
    stop_with_stopping(daemon, notify)
