"""Okdesk emulator fidelity over real HTTP: issues (creation, statuses, lists, paging,
updated_since) and contacts and employees."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.okdesk_emulator import OkdeskEmulator
from tests.okdesk_emulator_tests._helpers import Api, setup_issue


def dmy(moment: datetime, with_time: str = "%H:%M") -> str:
    return moment.strftime(f"%d-%m-%Y {with_time}").strip()


def test_create_issue_json_and_multipart(emu: OkdeskEmulator, api: Api) -> None:
    _, contact, _ = setup_issue(emu)
    no_title = api("POST", "/issues", json={"issue": {"description": "x"}})
    assert no_title.json() == {"errors": {"title": ["не может быть пустым"]}}
    bad_code = api("POST", "/issues", json={"issue": {"title": "t", "priority": "urgent"}})
    assert bad_code.status_code == 422 and "priority" in bad_code.json()["errors"]
    emu.options.api_key_role = "administrator"  # "author" is for administrator keys only
    unwrapped = api(
        "POST",
        "/issues",
        json={
            "title": "От клиента",
            "contact_id": contact,
            "author": {"id": contact, "type": "contact"},
            "custom_parameters": {"chatId": "42"},
        },
    ).json()
    assert unwrapped["source"] == "from_contact"
    assert unwrapped["contact"]["id"] == contact
    assert unwrapped["parameters"][0]["value"] == "42"
    multipart = api(
        "POST",
        "/issues",
        data={"issue[title]": "С файлом", "issue[priority]": "high"},
        files={"issue[attachments][0][attachment]": ("doc.txt", b"hello")},
    ).json()
    assert multipart["priority"]["code"] == "high"
    assert multipart["attachments"][0]["attachment_file_size"] == 5


def test_status_change(emu: OkdeskEmulator, api: Api) -> None:
    _, _, issue = setup_issue(emu)
    assert api("POST", f"/issues/{issue}/statuses", json={}).json() == {
        "errors": {"code": ["отсутствует"]}
    }
    assert api("POST", f"/issues/{issue}/statuses", json={"code": "nope"}).status_code == 422
    changed = api(
        "POST",
        f"/issues/{issue}/statuses",
        json={"code": "completed", "comment": "<p>Готово</p>", "comment_public": True},
    ).json()
    assert changed["status"]["code"] == "completed"
    assert changed["old_status"]["code"] == "opened"
    assert changed["completed_at"] == changed["updated_at"]
    (comment,) = emu.get_comments(issue)
    assert comment["public"] is True and comment["author"]["id"] == emu.api_employee_id
    emu.set_status(issue, "opened", comment_html="<p>Снова</p>", comment_public=False)
    view = emu.get_issue(issue)
    assert view["completed_at"] is None and view["comments"]["count"] == 2
    assert emu.get_comments(issue)[1]["public"] is False


def test_page_size_limit_and_pagination(emu: OkdeskEmulator, api: Api) -> None:
    ids = [emu.add_issue(f"Заявка {n}") for n in range(7)]
    too_big = api("GET", "/issues/list", {"page[size]": 51})
    assert too_big.status_code == 422
    assert too_big.json() == {"errors": {"page": {"size": ["должно быть меньше или равно 50"]}}}
    emu.options.max_page_size = 100
    assert api("GET", "/issues/list", {"page[size]": 51}).status_code == 200
    seen: list[int] = []
    for number in range(1, 5):
        params = {
            "page[size]": 3,
            "page[number]": number,
            "sorting[field]": "created_at",
            "sorting[direction]": "forward",
        }
        page = api("GET", "/issues/list", params).json()
        seen += [item["id"] for item in page]
        if len(page) < 3:
            break
    assert seen == ids
    default = [item["id"] for item in api("GET", "/issues/list").json()]
    assert default == ids[::-1]  # newest first by default
    bad_sort = api("GET", "/issues/list", {"sorting[direction]": "up"})
    assert bad_sort.status_code == 422


def test_list_item_shape_with_and_without_comments(emu: OkdeskEmulator, api: Api) -> None:
    _, _, issue = setup_issue(emu)
    emu.add_comment(issue, "<p>x</p>")
    base = {
        "id",
        "title",
        "created_at",
        "updated_at",
        "deadline_at",
        "completed_at",
        "company",
        "contact",
        "assignee",
        "status",
        "type",
        "priority",
        "parameters",
    }
    (item,) = api("GET", "/issues/list").json()
    assert set(item) == base
    assert item["contact"] == {
        "id": emu.get_issue(issue)["contact"]["id"],
        "name": "Петров Иван Ильич",
    }
    emu.options.list_items_include_comments = True
    (item,) = api("GET", "/issues/list").json()
    assert set(item) == base | {"comments"} and item["comments"]["count"] == 1


def test_updated_since_minute_precision_and_formats(emu: OkdeskEmulator, api: Api) -> None:
    emu.options.updated_since_filter = "honoured"
    _, contact, issue = setup_issue(emu)
    updated = datetime.fromisoformat(emu.get_issue(issue)["updated_at"])

    def listed(value: str) -> bool:
        page = api("GET", "/issues/list", {"updated_since": value}).json()
        return issue in [item["id"] for item in page]

    assert listed(dmy(updated, "%H:%M:59"))  # seconds are dropped: same minute matches
    assert listed(dmy(updated))
    assert not listed(dmy(updated + timedelta(minutes=1)))
    assert listed(updated.strftime("%Y-%m-%d %H:%M"))
    assert listed(updated.strftime("%d-%m-%Y"))  # date only = 00:00
    # Values are read in the account zone (+03:00): a UTC wall-clock time a minute after
    # the update is still three hours before it there.
    assert listed(dmy(updated.astimezone(timezone.utc) + timedelta(minutes=1)))
    for bad in ("2026-11-28T04:05", "31-02-2026", "28.11.2026", "yesterday"):
        answer = api("GET", "/issues/list", {"updated_since": bad})
        assert answer.status_code == 422
        assert answer.json() == {"errors": {"updated_since": ["Неверный формат даты"]}}
    ids = api("GET", "/issues/count", {"contact_ids[]": [contact], "status[]": "opened"}).json()
    assert ids == [issue]
    assert api("GET", "/issues/count", {"contact_ids": contact}).status_code == 422


def test_updated_since_variants_on_the_list(emu: OkdeskEmulator, api: Api) -> None:
    """The same value, read four ways (Options.updated_since_filter); /issues/count always honours it."""
    _, _, issue = setup_issue(emu)
    # At noon in the account's zone: a minute either side stays on the same date whenever the test runs
    # (run at 23:59 there, "a minute later" was tomorrow and the date-only reading dropped the issue).
    now = datetime.fromisoformat(emu.get_issue(issue)["updated_at"])
    emu.backdate_issue(issue, (now - timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0))
    updated = datetime.fromisoformat(emu.get_issue(issue)["updated_at"])
    assert updated.utcoffset() == timedelta(hours=3) and updated.hour == 12

    def listed(mode: str, value: datetime) -> bool:
        emu.options.updated_since_filter = mode
        return issue in [i["id"] for i in api("GET", "/issues/list", {"updated_since": dmy(value)}).json()]

    earlier, later = updated - timedelta(minutes=1), updated + timedelta(minutes=1)
    assert [listed(m, earlier) for m in ("honoured", "date_only", "ignored", "utc")] == [True, True, True, False]
    assert [listed(m, later) for m in ("honoured", "date_only", "ignored", "utc")] == [False, True, True, False]
    # "utc": the account's 12:00 read as 12:00 UTC, 15:00 there: three hours back is still listed.
    assert listed("utc", updated - timedelta(hours=3, minutes=1))
    assert not listed("utc", updated - timedelta(hours=2, minutes=59))
    assert api("GET", "/issues/count", {"updated_since": dmy(earlier)}).json() == [issue]
    assert api("GET", "/issues/count", {"updated_since": dmy(later)}).json() == []


@pytest.mark.parametrize(
    ("variant", "status", "body"),
    [
        ("empty_body", 200, b""),
        ("empty_array", 200, b"[]"),
        ("null", 200, b"null"),
        ("empty_object", 200, b"{}"),
    ],
)
def test_contact_not_found_variants(
    emu: OkdeskEmulator, api: Api, variant: str, status: int, body: bytes
) -> None:
    setup_issue(emu)
    default = api("GET", "/contacts", {"phone": "+79123456789"})  # exact match only
    assert default.status_code == 404 and isinstance(default.json()["errors"], str)
    emu.options.contact_not_found = variant
    answer = api("GET", "/contacts", {"phone": "+79123456789"})
    assert (answer.status_code, answer.content) == (status, body)
    found = api("GET", "/contacts", {"phone": "79123456789"}).json()
    assert found["last_name"] == "Петров" and found["name"] == "Петров Иван Ильич"


def test_contact_search_create_update_and_lists(emu: OkdeskEmulator, api: Api) -> None:
    setup_issue(emu)
    emu.add_contact("Мария", "Кузнецова", mobile_phone="+7 (912) 000-11-22")
    # Mobile numbers and bare digits only under their switches (test_okdesk_emulator_contacts.py).
    emu.options.contact_search_string_mobile = emu.options.contact_search_string_digits = True
    by_digits = api("GET", "/contacts", {"search_string": "912000"}).json()
    assert [c["last_name"] for c in by_digits] == ["Кузнецова"]
    by_name = api("GET", "/contacts", {"search_string": "ПЕТРОВ"}).json()
    assert [c["first_name"] for c in by_name] == ["Иван"]
    assert api("GET", "/contacts", {"search_string": "zzz"}).json() == []
    invalid = api("POST", "/contacts", json={"contact": {"phone": "1"}})
    assert invalid.json() == {
        "errors": {"first_name": ["не может быть пустым"], "last_name": ["не может быть пустым"]}
    }
    made = api(
        "POST",
        "/contacts",
        json={"contact": {"first_name": "Ф", "last_name": "Л", "phone": 79001112233}},
    ).json()
    assert made["phone"] == "79001112233"
    patched = api("PATCH", f"/contacts/{made['id']}", json={"contact": {"patronymic": "О"}})
    assert patched.json()["name"] == "Л Ф О"
    first = api("GET", "/contacts/list", {"page[size]": 2, "page[direction]": "forward"}).json()
    rest = api(
        "GET", "/contacts/list", {"page[from_id]": first[-1]["id"], "page[direction]": "forward"}
    ).json()
    assert [c["id"] for c in first + rest] == [c["id"] for c in emu.get_contacts()]
    assert api("GET", "/contacts/list", {"page[size]": 101}).status_code == 422
    employees = api("GET", "/employees/list").json()
    assert [e["id"] for e in employees] == sorted(
        (e["id"] for e in emu.get_employees()), reverse=True
    )
