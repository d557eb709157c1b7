"""The migration child's side (syncd.store.migrate_apart.main) run in this process, and the parent's
short way for a database already at head: neither starts a process here."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest

from syncd.store.db import HEAD, SchemaError, make_engine
from syncd.store.migrate_apart import main, migrate_apart


def child(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str) -> dict[str, str]:
    """What the child answers on its standard output, the URL given on its standard input."""
    monkeypatch.setattr("sys.stdin", io.StringIO(url + "\n"))
    assert main() == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_the_child_migrates_then_the_parent_needs_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'syncd.sqlite3'}"
    assert child(monkeypatch, capsys, url) == {"before": None, "after": HEAD}
    assert child(monkeypatch, capsys, url) == {"before": HEAD, "after": HEAD}
    engine = make_engine(url)
    try:
        assert migrate_apart(url, engine) == (HEAD, HEAD)  # at head: no child at all
    finally:
        engine.dispose()


def test_a_newer_schema_is_refused_in_the_childs_answer_and_by_the_parent(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "syncd.sqlite3"
    url = f"sqlite:///{path}"
    child(monkeypatch, capsys, url)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    answer = child(monkeypatch, capsys, url)
    assert answer["code"] == "schema_newer" and "newer version" in answer["refused"]
    engine = make_engine(url)
    try:
        with pytest.raises(SchemaError):
            migrate_apart(url, engine)  # refused before any child would be started
    finally:
        engine.dispose()
