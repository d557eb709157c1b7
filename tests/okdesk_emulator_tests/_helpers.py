"""Shared constants and helpers of the Okdesk emulator fidelity tests."""

from __future__ import annotations

from collections.abc import Callable

import requests

from tests.okdesk_emulator import OkdeskEmulator

TOKEN = "secret-token"
Api = Callable[..., requests.Response]


def setup_issue(emu: OkdeskEmulator) -> tuple[int, int, int]:
    employee = emu.add_employee("Ольга", "Сидорова")
    contact = emu.add_contact("Иван", "Петров", phone="79123456789", patronymic="Ильич")
    issue = emu.add_issue("Не работает принтер", contact_id=contact)
    return employee, contact, issue
