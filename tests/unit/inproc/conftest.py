"""The in-process daemon's fixtures: the stand-ins (tests/e2e/conftest.py's own), a database migrated once
per session, the two outside clients as swappable factories, and ``make_daemon``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from syncd.app.parts import make_okdesk_client, make_telegram_client
from tests.e2e.conftest import SYSTEMD_ENV, assert_clean, employee, emu, tg  # noqa: F401 - the stand-ins, as fixtures
from tests.okdesk_emulator import OkdeskEmulator
from tests.tgserver import TelegramTestServer
from tests.unit.daemon_harness import (
    InProcessDaemon,
    LoggingSaved,
    MakeDaemon,
    OkdeskFactory,
    TelegramFactory,
    migrated_template,
)


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No SYNCD_* setting and no systemd variable of the test run's reaches the daemon or a command."""
    for name in list(os.environ):
        if name.startswith("SYNCD_") or name in SYSTEMD_ENV:
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_template(tmp_path_factory.mktemp("db") / "template.sqlite3")


@pytest.fixture
def okdesk_url(emu: OkdeskEmulator) -> str:  # noqa: F811
    """Where the daemon's settings say Okdesk is."""
    return emu.base_url


@pytest.fixture
def okdesk_factory() -> OkdeskFactory:
    """How the daemon's Okdesk client is made: the real one (a fake's fixture may stand in)."""
    return make_okdesk_client


@pytest.fixture
def telegram_factory() -> TelegramFactory:
    """How the daemon's Telegram client is made: the real Telethon one (a fake's fixture may stand in)."""
    return make_telegram_client


@pytest.fixture
def make_daemon(tmp_path: Path, okdesk_url: str, tg: TelegramTestServer,  # noqa: F811
                emu: OkdeskEmulator, db_template: Path,  # noqa: F811
                okdesk_factory: OkdeskFactory, telegram_factory: TelegramFactory,
                ) -> Iterator[MakeDaemon]:
    made: list[InProcessDaemon] = []
    saved = LoggingSaved()

    def factory(**overrides: dict[str, Any]) -> InProcessDaemon:
        daemon = InProcessDaemon(tmp_path / f"d{len(made)}", okdesk_url, tg, db_template, okdesk_factory,
                                 telegram_factory, overrides)
        daemon.workdir.mkdir()
        made.append(daemon)
        return daemon

    try:
        yield factory
    finally:
        for daemon in made:
            if daemon.alive:
                daemon.stop()
        saved.restore()
    # Whatever a test did, no secret and no phone number ever reaches the daemon's log.
    phones = tg.phones | {p for c in emu.get_contacts() for p in (c.get("phone"), c.get("mobile_phone")) if p}
    for daemon in made:
        assert_clean(daemon.log.text(), phones, where=f"the log of {daemon.workdir}")
