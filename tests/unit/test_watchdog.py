"""The systemd watchdog (syncd/app/watchdog.py) on its own: pings while every loop turns, EXTEND_TIMEOUT while
starting, a HUNG status and no ping while a loop is silent, the status line kept current."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.app.liveness import Liveness
from syncd.app.watchdog import Watchdog


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def systemd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    """A NOTIFY_SOCKET and a 0.4 s watchdog for this process, as systemd sets them."""
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.setblocking(False)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    monkeypatch.setenv("WATCHDOG_USEC", "400000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    yield sock
    sock.close()


def received(sock: socket.socket) -> list[str]:
    lines: list[str] = []
    while True:
        try:
            lines += sock.recv(4096).decode().split("\n")
        except BlockingIOError:
            return lines


def test_pings_while_alive_stop_while_a_loop_hangs_and_resume(systemd: socket.socket) -> None:
    clock = Clock()
    liveness = Liveness(clock)
    beat = liveness.heartbeat("poll", bound=5.0)
    statuses = iter(["polled 12:00:01, 1 issues followed, 0 waiting, 0 failed"] * 100)
    watchdog = Watchdog(liveness, lambda: next(statuses), status_every=0.1)
    assert watchdog.interval == pytest.approx(0.2)

    async def scenario() -> tuple[list[str], list[str], list[str], list[str]]:
        task = asyncio.create_task(watchdog.run())
        watchdog.phase("connecting to Telegram")
        beat()
        await asyncio.sleep(0.5)
        starting = received(systemd)
        watchdog.ready("ready to serve")
        await asyncio.sleep(0.5)
        running = received(systemd)
        clock.now += 60  # the poll loop silent past its bound
        await asyncio.sleep(0.5)
        hung = received(systemd)
        beat()
        await asyncio.sleep(0.5)
        watchdog.stopping("stopping: 0 sends in flight")
        back = received(systemd)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return starting, running, hung, back

    starting, running, hung, back = asyncio.run(scenario())
    assert "STATUS=connecting to Telegram" in starting
    assert "WATCHDOG=1" in starting and any(line.startswith("EXTEND_TIMEOUT_USEC=") for line in starting)
    assert "READY=1" in running and "WATCHDOG=1" in running
    assert not [line for line in running if line.startswith("EXTEND_TIMEOUT_USEC=")]
    assert "STATUS=polled 12:00:01, 1 issues followed, 0 waiting, 0 failed" in running
    assert "WATCHDOG=1" not in hung
    assert any(line.startswith("STATUS=HUNG: poll loop silent 60 s") for line in hung)
    assert "WATCHDOG=1" in back and "STOPPING=1" in back


def test_a_failing_status_read_is_said_not_raised(systemd: socket.socket) -> None:
    def broken() -> str:
        raise OSError("database locked")

    watchdog = Watchdog(Liveness(), broken, status_every=0.1)

    async def scenario() -> list[str]:
        task = asyncio.create_task(watchdog.run())
        watchdog.ready()
        await asyncio.sleep(0.3)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return received(systemd)

    assert "STATUS=status unavailable (OSError)" in asyncio.run(scenario())
