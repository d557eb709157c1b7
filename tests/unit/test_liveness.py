"""Liveness bookkeeping and sd_notify, without a daemon: a fake clock, a real socket."""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

import pytest

from syncd.app import sdnotify
from syncd.app.liveness import HANG_FLOOR, Liveness, hang_timeout, loop_bounds
from syncd.config import load_settings

ENV = {"SYNCD_OKDESK_URL": "https://acme.okdesk.ru", "SYNCD_OKDESK_API_TOKEN": "t", "SYNCD_TELEGRAM_API_ID": "1",
       "SYNCD_TELEGRAM_API_HASH": "h", "SYNCD_TELEGRAM_BOT_TOKEN": "1:b"}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_loop_is_hung_only_when_silent_longer_than_its_bound() -> None:
    clock = Clock()
    live = Liveness(clock)
    poll, sender = live.heartbeat("poll", 10.0), live.heartbeat("sender", 2.0)
    assert live.hung() == {}  # never turned: not started, not hung
    poll()
    sender()
    clock.now += 9.0
    sender()
    assert live.hung() == {}
    clock.now += 1.5
    assert live.hung() == {"poll": pytest.approx(10.5)}
    poll()
    assert live.hung() == {}
    clock.now += 2.5
    assert set(live.hung()) == {"sender"}


def test_an_excused_loop_is_not_hung_and_its_bound_starts_again_after_the_excuse() -> None:
    clock = Clock()
    paused = [True]
    live = Liveness(clock)
    poll = live.heartbeat("poll", 5.0, excuse=lambda: paused[0])
    poll()
    clock.now += 60.0  # waiting out a long Retry-After
    assert live.hung() == {}
    paused[0] = False
    clock.now += 4.0
    assert live.hung() == {}
    clock.now += 2.0
    assert "poll" in live.hung()


def test_bounds_come_from_the_settings() -> None:
    settings = load_settings(None, ENV)
    # 3 tries x (5 + 30 + 60) x 2 = 570 s by default
    assert hang_timeout(settings) == 570.0
    # The poll loop is adaptive by default: it turns every 0.5 s, polling when due.
    assert loop_bounds(settings) == {"poll": 570.5, "sender": 571.0, "inbound": 571.0}
    quick = load_settings(None, {**ENV, "SYNCD_OKDESK_TIMEOUT": "1", "SYNCD_SYNC_RETRY_CAP": "1"})
    assert hang_timeout(quick) == HANG_FLOOR
    explicit = load_settings(None, {**ENV, "SYNCD_SYNC_HANG_TIMEOUT": "2.5", "SYNCD_SYNC_POLL_INTERVAL": "15"})
    assert loop_bounds(explicit)["poll"] == 17.5


@pytest.mark.parametrize("kind", ["path", "abstract"])
def test_notify_sends_one_datagram(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    address = str(tmp_path / "n.sock") if kind == "path" else f"@syncd-unit-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + address[1:] if kind == "abstract" else address)
        sock.settimeout(5)
        monkeypatch.setenv("NOTIFY_SOCKET", address)
        assert sdnotify.enabled()
        assert sdnotify.notify("READY=1", "STATUS=polled 12:00:01, 1 issues followed")
        assert sock.recv(4096) == b"READY=1\nSTATUS=polled 12:00:01, 1 issues followed"


def test_notify_is_a_no_op_outside_systemd_and_never_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert not sdnotify.enabled() and sdnotify.notify("READY=1") is False
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "nobody-listens.sock"))
    assert sdnotify.notify("WATCHDOG=1") is False


def test_watchdog_interval_is_half_of_watchdog_usec_and_only_for_us(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    monkeypatch.setenv("WATCHDOG_USEC", "60000000")
    assert sdnotify.watchdog_interval() == 30.0
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert sdnotify.watchdog_interval() == 30.0
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid() + 1))
    assert sdnotify.watchdog_interval() is None
    monkeypatch.delenv("WATCHDOG_PID")
    for bad in ("", "0", "soon"):
        monkeypatch.setenv("WATCHDOG_USEC", bad)
        assert sdnotify.watchdog_interval() is None
