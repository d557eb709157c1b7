"""Fixtures of the local proxies' own tests: the Telegram test server, a bot session for it, and
the Okdesk emulator (the targets the proxies relay to)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.okdesk_emulator import OkdeskEmulator
from tests.tgserver import TelegramTestServer


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[TelegramTestServer]:
    with TelegramTestServer(files_dir=tmp_path / "tg") as server:
        yield server
        assert server.internal_errors == []


@pytest.fixture
def session(srv: TelegramTestServer, tmp_path: Path) -> Path:
    return srv.write_session(tmp_path / "bot.session")


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[OkdeskEmulator]:
    server = OkdeskEmulator(api_token="proxy-test-token", files_dir=tmp_path / "okdesk")
    server.start()
    try:
        yield server
    finally:
        server.stop()
