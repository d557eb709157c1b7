"""Fixtures of the OkdeskClient tests: the Okdesk emulator (tests/okdesk_emulator) over
127.0.0.1 and a client pointed at it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.okdesk_emulator import OkdeskEmulator
from tests.unit.okdesk._helpers import TOKEN, make_client


@pytest.fixture
def emu(tmp_path: Path):
    files = tmp_path / "emu"
    files.mkdir()
    e = OkdeskEmulator(api_token=TOKEN, tz_offset="+03:00", files_dir=files).start()
    yield e
    e.stop()
    assert not e.internal_errors


@pytest.fixture
def client(emu):
    c = make_client(emu)
    yield c
    c.close()
