"""What the command line answers a script and a sysadmin, through the real `python -m syncd`, with
stdout and stderr read apart: `--json` prints exactly one JSON document on stdout whatever happens
(an `error` with a stable code beside the exit code), and a `SYNCD_…` variable that names no setting
is refused like an unknown key in the file, with the nearest known name."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from syncd.store import make_engine, migrate
from tests.e2e.conftest import API_HASH, API_TOKEN, BOT_TOKEN, syncd_env, write_config

pytestmark = pytest.mark.e2e


def config(tmp_path: Path, **extra: dict[str, Any]) -> Path:
    sections: dict[str, dict[str, Any]] = {
        "okdesk": {"url": "https://acme.okdesk.ru", "api_token": API_TOKEN},
        "telegram": {"api_id": 12345, "api_hash": API_HASH, "bot_token": BOT_TOKEN},
        "state": {"dir": str(tmp_path / "state")},
    }
    for name, values in extra.items():
        sections.setdefault(name, {}).update(values)
    path = tmp_path / "config.toml"
    write_config(path, sections)
    return path


def syncd(path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "syncd", *args, "--config", str(path)], capture_output=True,
                          text=True, env=syncd_env(**env), timeout=60, cwd=path.parent)
    for secret in (API_TOKEN, BOT_TOKEN, API_HASH):
        assert secret not in done.stdout + done.stderr
    return done


def one_json_error(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """stdout is exactly one JSON document, an error; stderr says it for a person."""
    document = json.loads(done.stdout)  # raises on anything but one document
    assert set(document) == {"error"}, document
    assert done.stderr.strip(), "a person reading stderr is told too"
    assert "Traceback" not in done.stderr
    return document["error"]


def test_status_json_is_one_document_whatever_the_database(tmp_path: Path) -> None:
    path = config(tmp_path)
    done = syncd(path, "status", "--json")
    assert done.returncode == 3
    error = one_json_error(done)
    assert error["code"] == "no_database" and "there is no database at" in error["message"]
    assert not (tmp_path / "state").exists()

    db = tmp_path / "state" / "syncd.sqlite3"
    db.parent.mkdir(mode=0o700)
    db.write_bytes(b"this is not a SQLite database, but a file someone left here" * 20)
    done = syncd(path, "status", "--json")
    assert (done.returncode, one_json_error(done)["code"]) == (3, "database_unreadable"), done.stdout

    db.unlink()
    engine = make_engine(f"sqlite:///{db}")
    migrate(engine)
    engine.dispose()
    assert "error" not in json.loads(syncd(path, "status", "--json").stdout)
    for revision, code in (("9999_from_the_future", "schema_newer"), ("0001", "schema_older")):
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
        done = syncd(path, "status", "--json")
        assert (done.returncode, one_json_error(done)["code"]) == (3, code), done.stdout


def test_status_json_answers_a_config_problem_and_a_bad_command_line_in_json(tmp_path: Path) -> None:
    path = config(tmp_path, sync={"poll_intervall": 5}, log={"level": "LOUD"})
    done = syncd(path, "status", "--json")
    assert done.returncode == 2
    error = one_json_error(done)
    assert error["code"] == "config_invalid"
    assert "sync.poll_intervall: unknown setting (did you mean poll_interval?)" in error["problems"]
    assert any(p.startswith("log.level must be one of") for p in error["problems"])

    done = syncd(config(tmp_path), "status", "--json", "--colour")
    assert done.returncode == 2
    assert one_json_error(done)["code"] == "usage" and "unrecognized arguments: --colour" in done.stderr

    # Without --json nothing changes: words on stderr, nothing on stdout.
    done = syncd(config(tmp_path), "status")
    assert (done.returncode, done.stdout) == (3, "") and "there is no database at" in done.stderr


@pytest.mark.parametrize("command", ["run", "check", "status", "retry"])
def test_a_mistyped_variable_is_refused_by_every_command(tmp_path: Path, command: str) -> None:
    done = syncd(config(tmp_path), command, SYNCD_TELEGRAM_BOT_TOKN="123:typo", SYNCD_SYNC_POLINTERVAL="2",
                 SYNCD_NOTHING_LIKE_ANY_SETTING="1")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "SYNCD_TELEGRAM_BOT_TOKN (environment): unknown setting (did you mean SYNCD_TELEGRAM_BOT_TOKEN?)" \
        in done.stderr
    assert "SYNCD_SYNC_POLINTERVAL (environment): unknown setting (did you mean SYNCD_SYNC_POLL_INTERVAL?)" \
        in done.stderr
    assert "SYNCD_NOTHING_LIKE_ANY_SETTING (environment): unknown setting\n" in done.stderr + "\n"
    assert "123:typo" not in done.stderr + done.stdout  # the value, perhaps a secret, is never echoed
    assert not (tmp_path / "state").exists()  # refused before anything was touched
    # The one variable of ours that is no setting is known.
    assert syncd(config(tmp_path), "status", SYNCD_CONFIG=str(tmp_path / "config.toml")).returncode == 3
