"""Steps the in-process scenarios share (the end-to-end ones, tests/e2e/helpers.py, come first)."""

from __future__ import annotations

from typing import Any

from tests.e2e.helpers import client_with_issue
from tests.okdesk_emulator import OkdeskEmulator
from tests.tgserver import TelegramTestServer
from tests.unit.daemon_harness import InProcessDaemon, MakeDaemon


def notifying_client(make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer, employee: int,
                     title: str, timeout: float | None = None,
                     **overrides: dict[str, Any]) -> tuple[InProcessDaemon, Any, int]:
    """A running daemon whose notices to staff ``employee`` signs (Okdesk's answers awaited ``timeout``
    seconds if given), and a linked client with an issue titled ``title`` already followed:
    (daemon, user, issue id)."""
    okdesk: dict[str, Any] = {"employee_id": employee} | ({"timeout": timeout} if timeout is not None else {})
    daemon, user, _, issue_id = client_with_issue(make_daemon, emu, tg, title, okdesk=okdesk, **overrides)
    return daemon, user, issue_id
