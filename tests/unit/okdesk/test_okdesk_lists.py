"""OkdeskClient list and read endpoints against the emulator: base URL, paging, filters,
comment order, and lists that are not lists."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from syncd.okdesk import OkdeskUnavailable
from syncd.okdesk.timeutil import MOSCOW
from tests.okdesk_emulator import Fault, OkdeskEmulator
from tests.okdesk_emulator import server as emu_server
from tests.okdesk_emulator.context import Response
from tests.unit.okdesk._helpers import TOKEN, assert_clean, make_client, records, settled


@pytest.mark.parametrize("suffix", ["", "/", "/api/v1", "/api/v1/"])
def test_base_url_with_or_without_api_prefix(emu, suffix) -> None:
    with make_client(emu, base_url=emu.base_url + suffix) as c:
        assert [s.code for s in c.list_statuses()][:2] == ["opened", "in_progress"]
        assert c.api_root == emu.base_url + "/api/v1"
        assert TOKEN not in repr(c)


def test_paging_loops_until_a_short_page(emu, client) -> None:
    for n in range(120):
        emu.add_issue(f"Заявка {n}")
    emu.reset_requests()
    issues = client.issues_updated_since(None, page_size=40).items
    assert sorted(i.id for i in issues) == emu.issue_ids()
    pages = records(emu, r"/issues/list$")
    assert [r.query["page[number]"] for r in pages] == [["1"], ["2"], ["3"], ["4"]]  # 40,40,40,0
    for r in pages:
        assert r.query["page[size]"] == ["40"]
        assert r.query["sorting[field]"] == ["updated_at"]
        assert r.query["sorting[direction]"] == ["forward"]
        assert "updated_since" not in r.query
    assert [i.updated_at for i in issues] == sorted(i.updated_at for i in issues)


def test_updated_since_is_sent_in_the_account_zone(tmp_path: Path) -> None:
    with (
        OkdeskEmulator(api_token=TOKEN, tz_offset="+05:00", files_dir=tmp_path) as emu,
        make_client(emu) as c,
    ):
        emu.options.updated_since_filter = "honoured"
        assert c.account_tz == MOSCOW  # nothing seen yet, nothing configured
        issue = emu.add_issue("old")
        c.issues_updated_since(None)
        assert c.account_tz.utcoffset(None) == timedelta(hours=5)  # learned from the answer
        c.issues_updated_since(datetime(2026, 1, 1, 0, 0, 59, tzinfo=timezone.utc))
        assert settled(emu).requests[-1].query["updated_since"] == ["01-01-2026 05:00"]
        now = datetime.now(timezone.utc)
        # Were the value sent in UTC wall time, +05:00 would read it as 5 h earlier.
        assert c.issues_updated_since(now + timedelta(minutes=5)).items == []
        assert [i.id for i in c.issues_updated_since(now - timedelta(minutes=2)).items] == [issue]


def test_list_issues_filters_by_contact_and_status(emu, client) -> None:
    anna = emu.add_contact("Анна", "Ли", phone="79990000001")
    mine = [emu.add_issue(f"a{n}", contact_id=anna) for n in range(3)]
    emu.add_issue("other")
    emu.set_status(mine[0], "closed")
    assert sorted(i.id for i in client.list_issues(contact_ids=[anna])) == mine
    got = client.list_issues(contact_ids=[anna], status_codes=["opened"])
    assert sorted(i.id for i in got) == mine[1:]
    assert all(i.contact_id == anna for i in got)
    assert records(emu, r"/issues/list$")[-1].query["contact_ids[]"] == [str(anna)]
    assert len(client.list_issues(contact_ids=[anna], page_size=1, max_pages=2)) == 2


def test_get_issue_and_sorted_comments(emu, client) -> None:
    emu.options.shuffle_comments = True
    issue = emu.add_issue("Принтер", description="<p>не печатает</p>")
    ids = [emu.add_comment(issue, f"<p>{n}</p>", public=n % 2 == 0) for n in range(15)]
    got = client.get_issue(issue)
    assert (got.id, got.title, got.description, got.status_code, got.comments_count) == (
        issue,
        "Принтер",
        "<p>не печатает</p>",
        "opened",
        15,
    )
    comments = client.list_comments(issue)
    assert [c.id for c in comments] == ids
    assert [c.public for c in comments] == [n % 2 == 0 for n in range(15)]
    assert (
        comments[0].author_type == "employee" and comments[0].author_id == emu.default_employee_id
    )


def test_employees_statuses_priorities(emu, client) -> None:
    for n in range(150):
        emu.add_employee(f"Имя{n}", f"Фамилия{n}")
    emu.reset_requests()
    employees = client.list_employees()
    assert [e.id for e in employees] == [e["id"] for e in emu.get_employees()]
    assert settled(emu).count_requests(r"/employees") == 2
    assert [p.code for p in client.list_priorities()] == [p["code"] for p in emu.priorities]


@pytest.fixture
def raw_fault_bodies(monkeypatch):
    """Let an "error_body" fault answer raw bytes (an empty body, a bare null): the emulator
    JSON-encodes every other fault body."""
    original = emu_server.fault_response

    def answer(fault: Fault) -> Response:
        if isinstance(fault.body, bytes):
            return Response(200, fault.body)
        return original(fault)

    monkeypatch.setattr(emu_server, "fault_response", answer)


LIST_CALLS = {
    "comments": (r"/issues/\d+/comments$", lambda c, issue: c.list_comments(issue)),
    "updated_since": (r"/issues/list$", lambda c, issue: c.issues_updated_since(None).items),
    "issues": (r"/issues/list$", lambda c, issue: c.list_issues(contact_ids=[1])),
    "statuses": (r"/issues/statuses$", lambda c, issue: c.list_statuses()),
    "priorities": (r"/issues/priorities$", lambda c, issue: c.list_priorities()),
    "employees": (r"/employees", lambda c, issue: c.list_employees()),
}


NOT_LISTS = {
    "empty_body": b"",
    "null": b"null",
    "empty_object": b"{}",
    "errors": b'{"errors": "x"}',
    "one_object": b'{"id": 1, "title": "t"}',
    "string": b'""',
}


@pytest.mark.usefixtures("raw_fault_bodies")
@pytest.mark.parametrize("body", list(NOT_LISTS.values()), ids=list(NOT_LISTS))
@pytest.mark.parametrize("call", list(LIST_CALLS))
def test_list_endpoints_refuse_a_200_that_is_not_a_list(emu, call, body) -> None:
    """An odd "nothing" is an outage, never an empty list: at an issue's baseline an empty
    comment list would make its whole history look new; an empty /issues/list hides changes."""
    issue = emu.add_issue("x")
    path, fetch = LIST_CALLS[call]
    emu.add_fault(Fault("error_body", path=path, body=body, times=None))
    with make_client(emu, get_retries=0) as c, pytest.raises(OkdeskUnavailable) as info:
        fetch(c, issue)
    err = info.value
    assert (type(err), err.kind, err.status) == (OkdeskUnavailable, "not_a_list", 200)
    assert err.errors == ("x" if body == NOT_LISTS["errors"] else None)
    assert settled(emu).count_requests(path) == 1
    assert_clean(err)


def test_not_a_list_is_retried_and_sanitized(emu, client) -> None:
    issue = emu.add_issue("x")
    emu.add_comment(issue, "<p>1</p>")
    path = r"/issues/\d+/comments$"
    emu.add_fault(Fault("error_body", path=path, body={}))  # one glitch: the retry heals it
    assert len(client.list_comments(issue)) == 1
    assert settled(emu).count_requests(path) == 2
    # Token echoed in an error body: scrubbed from the kept errors and from every rendering.
    emu.add_fault(Fault("error_body", path=path, body={"errors": f"bad {TOKEN}"}, times=None))
    with pytest.raises(OkdeskUnavailable) as info:
        client.list_comments(issue)
    assert info.value.kind == "not_a_list" and info.value.errors == "bad ***"
    assert_clean(info.value)


def test_an_empty_array_is_an_empty_list_and_a_bad_later_page_fails_the_walk(emu, client) -> None:
    assert client.list_comments(emu.add_issue("no comments")) == []
    for n in range(3):
        emu.add_issue(f"i{n}")
    # The first page answers normally (a "slow" fault of no delay), the second is empty.
    emu.add_fault(Fault("slow", delay=0, path=r"/issues/list$"))
    emu.add_fault(Fault("error_body", path=r"/issues/list$", body={}, times=None))
    with pytest.raises(OkdeskUnavailable) as info:
        client.issues_updated_since(None, page_size=2)
    assert info.value.kind == "not_a_list"
    assert settled(emu).count_requests(r"/issues/list$") == 4  # page 1, then page 2 three times


def test_a_list_that_moves_while_walked_is_walked_again(emu, client) -> None:
    def issue(i: int) -> dict:
        return {"id": i, "updated_at": f"2026-01-01T00:00:0{i}.000+03:00"}

    walks = iter([[1, 2], [2, 3], [], [1, 3], [4, 2], []])  # id 4 was hidden by the shift
    client._t.request = lambda *a, **kw: [issue(i) for i in next(walks)]
    assert [i.id for i in client.issues_updated_since(None, page_size=2).items] == [1, 2, 3, 4]
