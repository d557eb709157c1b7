"""What only MemoryOkdesk has: its clock, fault switch, call log, switches and seeding checks.
What it shares with OkdeskClient is held by the contract suite (tests/contract/)."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from syncd.okdesk.errors import OkdeskOutcomeUnknown, OkdeskRateLimited, OkdeskUnavailable
from syncd.okdesk.memory import MemoryOkdesk, rate_limited, unavailable

MOMENT = datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=timezone.utc)


def test_the_fake_and_the_protocol_load_no_http_library() -> None:
    code = ("import sys, syncd.okdesk.port, syncd.okdesk.memory; "
            "print(sorted(m for m in ('requests', 'urllib3') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"


def test_a_settable_clock_moves_okdesk_now_and_every_timestamp() -> None:
    okd = MemoryOkdesk()
    okd.clock.set(MOMENT)
    now = okd.okdesk_now()
    assert now == MOMENT.replace(microsecond=123000) and now.utcoffset() == timedelta(hours=3)
    issue = okd.add_issue("x")
    okd.clock.advance(90)
    okd.add_comment(issue, "позже")
    seen = okd.get_issue(issue)
    assert seen.created_at == now and seen.comments_last_at == now + timedelta(seconds=90)
    assert okd.account_tz.utcoffset(None) == timedelta(hours=3)


def test_the_machine_clock_with_an_offset() -> None:
    okd = MemoryOkdesk(tz=timezone.utc)
    okd.clock.advance(-600)  # Okdesk ten minutes behind
    assert abs(okd.okdesk_now() - (datetime.now(timezone.utc) - timedelta(minutes=10))) < timedelta(seconds=2)


def test_fail_next_hits_the_named_method_so_many_times() -> None:
    okd = MemoryOkdesk()
    issue = okd.add_issue("x")
    okd.fail_next("get_issue", unavailable(502), times=2)
    for _ in range(2):
        with pytest.raises(OkdeskUnavailable) as caught:
            okd.get_issue(issue)
        assert caught.value.status == 502
    assert okd.get_issue(issue).id == issue
    assert okd.list_statuses()  # other methods never were hit
    assert okd.count_calls("get_issue") == 3 and okd.calls[0] == ("get_issue", (issue,), {})
    assert {k: v for k, v in okd.request_outcomes().items() if v} == {"ok": 2, "server_error": 2}


def test_outcomes_are_named_as_the_client_names_them() -> None:
    from syncd.okdesk.http_errors import OUTCOMES

    assert tuple(MemoryOkdesk().request_outcomes()) == OUTCOMES


def test_after_effect_does_the_write_and_loses_the_answer() -> None:
    okd = MemoryOkdesk()
    issue = okd.add_issue("x")
    okd.fail_next("create_comment", OkdeskOutcomeUnknown("lost", kind="timeout"), after_effect=True)
    with pytest.raises(OkdeskOutcomeUnknown):
        okd.create_comment(issue, content_html="x", author_id=okd.api_employee_id, public=False)
    assert [c.content_html for c in okd.list_comments(issue)] == ["x"]
    assert okd.request_outcomes()["timeout"] == 1


def test_an_outage_ends_with_its_block() -> None:
    okd = MemoryOkdesk()
    with okd.outage(rate_limited(12)) as fault:
        with pytest.raises(OkdeskRateLimited) as caught:
            okd.list_issues()
        assert caught.value.retry_after == 12
        with pytest.raises(OkdeskRateLimited):
            okd.create_login_link(1, 60)
    assert fault.hits == 2
    assert okd.list_issues() == []
    okd.fail_next("list_issues", unavailable(), times=None)
    okd.clear_faults()
    assert okd.list_issues() == []


def test_switches_refuse_typos_and_unknown_values() -> None:
    okd = MemoryOkdesk()
    with pytest.raises(AttributeError):
        okd.options.updated_since_fliter = "honoured"  # type: ignore[attr-defined]
    with pytest.raises(ValueError):
        okd.options.updated_since_filter = "sometimes"
    okd.options.denied_rights = "issues.read"  # type: ignore[assignment]
    assert okd.options.denied_rights == frozenset({"issues.read"})


def test_seeding_refuses_what_the_emulator_refuses() -> None:
    okd = MemoryOkdesk()
    with pytest.raises(ValueError):
        okd.add_issue("x", contact_id=5)
    with pytest.raises(ValueError):
        okd.add_contact("Иван", "Петров", company_id=7)
    issue = okd.add_issue("x")
    with pytest.raises(ValueError):
        okd.set_status(issue, "nonsense")
    with pytest.raises(ValueError):
        okd.set_rate(issue, "superb")
    assert okd.budget is None and okd.calls == []  # seeding is neither logged nor faulted


def test_links_are_kept_with_their_expiry() -> None:
    okd = MemoryOkdesk()
    okd.clock.set(MOMENT)
    contact = okd.add_contact("Иван", "Петров")
    url = okd.create_login_link(contact, 43200)
    [(whose, minted, expires_at, one_time)] = okd.login_links
    assert (whose, minted, one_time) == (contact, url, True)
    assert expires_at == pytest.approx(MOMENT.timestamp() + 43200 * 60, abs=1)
    issue = okd.add_issue("x")
    okd.add_comment(issue, "файл", attachments=[_File("a.txt", b"abc")])
    link = okd.attachment_link(issue, okd.get_issue(issue).attachments[0].id)
    assert (link.file_name, link.size, link.is_public) == ("a.txt", 3, True)


class _File:
    def __init__(self, name: str, data: bytes) -> None:
        self.name, self.data, self.is_public, self.description = name, data, True, ""
