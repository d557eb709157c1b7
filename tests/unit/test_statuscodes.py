"""The one status setting (open / completed / closed) and the reopen window."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from syncd.config import ConfigError, load_settings
from syncd.okdesk.models import Issue
from syncd.relay.reopening import reopenable
from syncd.statuscodes import StatusCodes, parse_status_codes

BASE_ENV = {"SYNCD_OKDESK_URL": "https://x.okdesk.ru", "SYNCD_OKDESK_API_TOKEN": "t", "SYNCD_TELEGRAM_API_ID": "1",
            "SYNCD_TELEGRAM_API_HASH": "h", "SYNCD_TELEGRAM_BOT_TOKEN": "b"}
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


def test_the_defaults_are_okdesks_system_codes() -> None:
    codes = StatusCodes()
    assert codes.reopen_code == "opened"
    assert codes.finished == {"completed", "closed"}
    assert codes.is_completed("completed") and not codes.is_completed("closed")
    # An account's own status in no group counts as open.
    assert not codes.is_finished("waiting_for_parts")


def test_a_toml_table_sets_the_groups(tmp_path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[okdesk.statuses]\nopen = ["new", "work"]\ncompleted = ["done", "resolved"]\n',
                    encoding="utf-8")
    codes = load_settings(path, BASE_ENV).okdesk.statuses
    assert codes == StatusCodes(open=("new", "work"), completed=("done", "resolved"), closed=("closed",))
    assert codes.reopen_code == "new"


def test_the_environment_form() -> None:
    env = {**BASE_ENV, "SYNCD_OKDESK_STATUSES": "open=new, work; closed=archived"}
    codes = load_settings(None, env).okdesk.statuses
    assert (codes.open, codes.completed, codes.closed) == (("new", "work"), ("completed",), ("archived",))


@pytest.mark.parametrize(("value", "problem"), [
    ({"open": []}, "open: needs at least one code"),
    ({"opened": ["x"]}, "unknown group"),
    ({"open": ["a"], "closed": ["a"]}, "a cannot be both open and closed"),
    ({"completed": [1]}, "expected a list of status codes"),
    ("open", "expected 'open=a,b; completed=c; closed=d'"),
    (5, "expected a table"),
])
def test_every_mistake_is_reported(value: object, problem: str) -> None:
    problems: list[str] = []
    parse_status_codes(value, "okdesk.statuses", problems)
    assert any(problem in p for p in problems), problems


def test_mistakes_come_with_the_others_in_one_error() -> None:
    env = {**BASE_ENV, "SYNCD_OKDESK_STATUSES": "open=", "SYNCD_OKDESK_REOPEN_DAYS": "-1"}
    with pytest.raises(ConfigError) as caught:
        load_settings(None, env)
    text = str(caught.value)
    assert "okdesk.reopen_days must not be negative" in text and "needs at least one code" in text


def _issue(code: str, completed_ago: timedelta | None, updated_ago: timedelta = timedelta(0)) -> Issue:
    return Issue(id=1, title="t", status_code=code, status_name=None, contact_id=5, company_id=None,
                 created_at=None, updated_at=NOW - updated_ago, comments_count=None, comments_last_at=None,
                 completed_at=NOW - completed_ago if completed_ago is not None else None)


@pytest.mark.parametrize(("code", "completed_ago", "days", "expected"), [
    ("completed", timedelta(days=6, hours=23), 7, True),
    ("completed", timedelta(days=7, minutes=1), 7, False),
    ("completed", timedelta(hours=1), 0, False),  # 0: reopening is never offered
    ("closed", timedelta(hours=1), 7, False),  # closed is final
    ("in_progress", None, 7, False),  # open already
])
def test_the_reopen_window(code: str, completed_ago: timedelta | None, days: float, expected: bool) -> None:
    assert reopenable(_issue(code, completed_ago), StatusCodes(), days, NOW) is expected


def test_without_completed_at_the_last_change_counts() -> None:
    assert reopenable(_issue("completed", None, updated_ago=timedelta(days=2)), StatusCodes(), 7, NOW)
    assert not reopenable(_issue("completed", None, updated_ago=timedelta(days=8)), StatusCodes(), 7, NOW)


def test_the_example_config_loads_and_uncommented_its_statuses_table_still_does(tmp_path) -> None:
    from pathlib import Path

    example = (Path(__file__).parents[2] / "systemd" / "config.example.toml").read_text(encoding="utf-8")
    settings = load_settings(_write(tmp_path, example), BASE_ENV)
    assert settings.okdesk.statuses == StatusCodes()
    uncommented = example.replace("# [okdesk.statuses]", "[okdesk.statuses]").replace(
        '# open = ["opened"', 'open = ["opened"').replace('# completed = ["completed"]', 'completed = ["completed"]')
    assert load_settings(_write(tmp_path, uncommented), BASE_ENV).okdesk.statuses == StatusCodes()


def _write(tmp_path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path
