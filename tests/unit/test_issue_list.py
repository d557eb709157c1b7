""""My requests" as a phone shows it: a status mark first, the number, the title; open issues first; the page
named only when there are several; the marks explained in the heading."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from syncd.statuscodes import StatusCodes
from syncd.sync.issue_list import issue_page, ordered, status_mark

STATUSES = StatusCodes()
ME, COLLEAGUE = 7, 8
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Item:
    id: int
    title: str
    status_code: str | None
    contact_id: int | None = ME
    created_at: datetime | None = T0


def test_one_mark_per_group_of_statuses() -> None:
    assert [status_mark(c, STATUSES) for c in ("opened", "in_progress", "delayed", "completed", "closed")] == [
        "🟢", "🟢", "⏸", "🏁", "🏁"]
    # The account's own status in no group counts as open; so does an issue without one.
    assert status_mark("waiting_for_parts", STATUSES) == "🟢" and status_mark(None, STATUSES) == "🟢"
    custom = StatusCodes(open=("new",), completed=("done",), closed=("archived",))
    assert [status_mark(c, custom) for c in ("new", "done", "archived", "completed")] == ["🟢", "🏁", "🏁", "🟢"]


def test_one_page_names_no_page_and_explains_the_marks() -> None:
    page = issue_page([Item(123, "Не печатает принтер", "in_progress"), Item(124, "Сканер", "completed")],
                      contact_id=ME, statuses=STATUSES, lang="ru", page=0, page_size=5)
    assert page.text == "Ваши заявки (2):\n🟢 открыта или в работе, ⏸ отложена, 🏁 решена или закрыта."
    assert page.buttons == [("🟢 #123 Не печатает принтер", 123), ("🏁 #124 Сканер", 124)]
    assert (page.has_previous, page.has_next) == (False, False)
    english = issue_page([Item(123, "Printer", "delayed")], contact_id=ME, statuses=STATUSES, lang="en", page=0,
                         page_size=5)
    assert english.text == "Your requests (1):\n🟢 open or in progress, ⏸ on hold, 🏁 resolved or closed."
    assert english.buttons == [("⏸ #123 Printer", 123)]


def test_a_colleagues_issue_is_marked_and_the_mark_explained_only_where_shown() -> None:
    items = [Item(1, "Моя", "opened"), Item(2, "Коллеги", "opened", contact_id=COLLEAGUE, created_at=T0 - timedelta(1))]
    page = issue_page(items, contact_id=ME, statuses=STATUSES, lang="ru", page=0, page_size=1)
    assert page.buttons == [("🟢 #1 Моя", 1)] and "🏢" not in page.text
    second = issue_page(items, contact_id=ME, statuses=STATUSES, lang="ru", page=1, page_size=1)
    assert second.buttons == [("🟢 🏢 #2 Коллеги", 2)]
    assert second.text.splitlines() == ["Ваши заявки (2), страница 2 из 2:",
                                        "🟢 открыта или в работе, ⏸ отложена, 🏁 решена или закрыта.",
                                        "🏢 заявка вашей компании, созданная не вами."]


def test_unfinished_first_newest_first_and_the_page_brought_within_range() -> None:
    items = [Item(n, f"Заявка {n}", code, created_at=T0 + timedelta(hours=n))
             for n, code in enumerate(["completed", "opened", "closed", "delayed", "in_progress", "opened", "closed"],
                                      1)]
    assert [i.id for i in ordered(items, STATUSES)] == [6, 5, 4, 2, 7, 3, 1]
    last = issue_page(items, contact_id=ME, statuses=STATUSES, lang="ru", page=99, page_size=5)
    assert (last.page, last.pages, last.has_previous, last.has_next) == (1, 2, True, False)
    assert [i for _, i in last.buttons] == [3, 1]
    assert last.text.startswith("Ваши заявки (7), страница 2 из 2:")
    first = issue_page(items, contact_id=ME, statuses=STATUSES, lang="ru", page=-1, page_size=5)
    assert (first.page, first.has_previous, first.has_next) == (0, False, True)


def test_a_long_title_is_cut_to_what_a_button_shows() -> None:
    (label, _), = issue_page([Item(5, "Очень длинное название заявки, которое никак не помещается на кнопку",
                                   "opened")], contact_id=ME, statuses=STATUSES, lang="ru", page=0,
                             page_size=5).buttons
    assert label.startswith("🟢 #5 Очень длинное") and label.endswith("…") and len(label) <= len("🟢 #5 ") + 40
