"""``updated_since`` on /issues/list, which production clients show and the API docs do not: honoured,
read as a date, or ignored. OkdeskClient.issues_updated_since tells which from what comes back, and
costs a page or two a poll whatever the account's size."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.unit.okdesk._helpers import records


def _account(emu, old: int) -> tuple[list[int], list[int], datetime]:
    """``old`` issues last touched months ago, one touched earlier today (the account's day), two just
    now; and the `since` to ask with, a minute after the one of today."""
    # Okdesk's clock set to noon of the account's day, whenever the test runs: "earlier today" exists.
    real = datetime.now(timezone.utc)
    noon = real.astimezone(emu.tz).replace(hour=12, minute=0, second=0, microsecond=0)
    emu.options.clock_offset = (noon - real).total_seconds()
    now = noon.astimezone(timezone.utc)
    earlier_today = now - timedelta(hours=3)
    olds = [emu.add_issue(f"Старая {n}") for n in range(old)]
    for n, issue in enumerate(olds):
        emu.backdate_issue(issue, now - timedelta(days=90, minutes=n))
    today = emu.add_issue("Сегодня утром")
    emu.backdate_issue(today, earlier_today)
    [emu.add_issue("Новая 1"), emu.add_issue("Новая 2")]
    return olds, [today], now - timedelta(seconds=30)


@pytest.mark.parametrize("mode", ["honoured", "date_only", "ignored"])
def test_what_came_back_tells_whether_the_filter_was_honoured(emu, client, mode) -> None:
    emu.options.updated_since_filter = mode
    olds, (today,), since = _account(emu, old=120)
    fresh = sorted(set(emu.issue_ids()) - set(olds) - {today})
    emu.reset_requests()
    first = client.issues_updated_since(since, trust_filter=True)
    assert [i.id for i in first.items] == fresh  # the answer is right whatever Okdesk did
    pages = records(emu, r"/issues/list$")
    if mode == "honoured":
        assert first.older is None and len(pages) == 1
        return
    # Something updated before `since` came back: the evidence, and at most two more requests.
    assert first.older is not None and first.older.updated_at < since.replace(second=0)
    assert first.older.id == (today if mode == "date_only" else olds[-1])
    assert len(pages) == 2 and [r.query["sorting[direction]"] for r in pages] == [["forward"], ["reverse"]]
    # Not trusted any more: newest first, stopping at the first page that reaches back past `since`.
    emu.reset_requests()
    again = client.issues_updated_since(since, trust_filter=False)
    assert [i.id for i in again.items] == fresh and len(records(emu, r"/issues/list$")) == 1


def test_an_untrusted_walk_goes_on_while_pages_are_all_new(emu, client) -> None:
    emu.options.updated_since_filter = "ignored"
    since = datetime.now(timezone.utc) - timedelta(minutes=1)
    new = [emu.add_issue(f"Новая {n}") for n in range(7)]
    old = emu.add_issue("Старая")
    emu.backdate_issue(old, since - timedelta(days=1))
    emu.reset_requests()
    got = client.issues_updated_since(since, trust_filter=False, page_size=3)
    assert sorted(i.id for i in got.items) == new
    assert len(records(emu, r"/issues/list$")) == 3  # 3 new, 3 new, then 1 new and the old one
