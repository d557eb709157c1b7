"""Shared constants and helpers of the OkdeskClient tests (tests/unit/okdesk)."""

from __future__ import annotations

import os
import time
import traceback
from pathlib import Path

from syncd.okdesk import OkdeskClient
from tests.okdesk_emulator import Upload

TOKEN = "tok-5f3a9c1e77b2d04e-SECRET"


def assert_clean(exc: BaseException) -> None:
    """The API token appears nowhere in what a log line or crash report could show."""
    rendered = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    for text in (str(exc), repr(exc), rendered, repr(getattr(exc, "errors", None))):
        assert TOKEN not in text
    assert exc.__cause__ is None and exc.__context__ is None


def make_client(emu, **kw) -> OkdeskClient:
    kw = {"timeout": 5, "connect_timeout": 2, "backoff_base": 0.05, **kw}
    return OkdeskClient(kw.pop("base_url", emu.base_url), kw.pop("token", TOKEN), **kw)


def settled(emu):
    """The emulator logs a request just after answering it: let the log catch up."""
    count = -1
    while count != (count := len(emu.requests)):
        time.sleep(0.05)
    return emu


def records(emu, path_regex: str) -> list:
    import re

    return [r for r in settled(emu).requests if re.search(path_regex, r.path)]


def _one_attachment(emu, tmp_path: Path, size: int = 100_000) -> tuple[int, int, Path]:
    src = tmp_path / "file.bin"
    src.write_bytes(os.urandom(size))
    issue = emu.add_issue("x")
    emu.add_comment(issue, "<p>файл</p>", attachments=[Upload("file.bin", path=src)])
    return issue, emu.get_comments(issue)[0]["attachments"][0]["id"], src
