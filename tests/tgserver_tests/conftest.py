"""Fixtures of the Telegram test server tests: the server (tests/tgserver) and a bot session
file for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tgserver import TelegramTestServer


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[TelegramTestServer]:
    with TelegramTestServer(files_dir=tmp_path) as server:
        yield server
        # A bug of the server itself must fail the test that met it.
        assert server.internal_errors == []


@pytest.fixture
def session(srv: TelegramTestServer, tmp_path: Path) -> Path:
    return srv.write_session(tmp_path / "bot.session")
