"""Fixtures of the Okdesk emulator fidelity tests: the emulator (tests/okdesk_emulator) and a
plain HTTP caller that adds the API token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.okdesk_emulator import OkdeskEmulator
from tests.okdesk_emulator_tests._helpers import TOKEN, Api


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[OkdeskEmulator]:
    with OkdeskEmulator(api_token=TOKEN, tz_offset="+03:00", files_dir=tmp_path / "okd") as e:
        yield e
        assert e.internal_errors == []
        # Uploads that no handler adopted must not pile up on disk.
        assert list((tmp_path / "okd" / "incoming").iterdir()) == []


@pytest.fixture
def api(emu: OkdeskEmulator) -> Iterator[Api]:
    session = requests.Session()

    def call(method: str, path: str, params: dict | None = None, **kwargs) -> requests.Response:
        query = {"api_token": TOKEN, **(params or {})}
        kwargs.setdefault("timeout", 10)
        return session.request(method, emu.api_url + path, params=query, **kwargs)

    yield call
    session.close()
