"""Fidelity tests of the Okdesk emulator (tests/okdesk_emulator), over real HTTP."""

from __future__ import annotations

import hashlib
import json
import os
import time
import tracemalloc
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from tests.okdesk_emulator import Fault, OkdeskEmulator, Upload

TOKEN = "secret-token"
Api = Callable[..., requests.Response]


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


def setup_issue(emu: OkdeskEmulator) -> tuple[int, int, int]:
    employee = emu.add_employee("Ольга", "Сидорова")
    contact = emu.add_contact("Иван", "Петров", phone="79123456789", patronymic="Ильич")
    issue = emu.add_issue("Не работает принтер", contact_id=contact)
    return employee, contact, issue


def dmy(moment: datetime, with_time: str = "%H:%M") -> str:
    return moment.strftime(f"%d-%m-%Y {with_time}").strip()


# -- transport ------------------------------------------------------------------------
def test_auth_is_required_everywhere(emu: OkdeskEmulator, api: Api) -> None:
    _, _, issue = setup_issue(emu)
    bare = requests.get(f"{emu.api_url}/issues/{issue}", timeout=5)
    assert bare.status_code == 401
    assert isinstance(bare.json()["errors"], str)
    wrong = api("GET", f"/issues/{issue}", {"api_token": "nope"})
    assert wrong.status_code == 401
    posted = requests.post(
        f"{emu.api_url}/issues/{issue}/comments",
        json={"comment": {"content": "x", "author_id": 1}},
        timeout=5,
    )
    assert posted.status_code == 401
    upload = api(
        "POST",
        f"/issues/{issue}/comments",
        {"api_token": "nope"},
        data={"comment[content]": "x", "comment[author_id]": "1"},
        files={"comment[attachments][0][attachment]": ("a.bin", b"123")},
    )
    assert upload.status_code == 401
    assert emu.get_comments(issue) == []
    # Same keep-alive session still usable after refusals.
    assert api("GET", f"/issues/{issue}").status_code == 200


def test_trailing_slash_and_unknown_routes(emu: OkdeskEmulator, api: Api) -> None:
    _, _, issue = setup_issue(emu)
    assert api("GET", "/issues/list/").status_code == 200
    assert api("GET", f"/issues/{issue}/").status_code == 200
    assert api("GET", "/contacts/", {"phone": "79123456789"}).json()["id"] > 0
    created = api("POST", "/issues/", json={"issue": {"title": "Через слэш"}})
    assert created.status_code == 200 and isinstance(created.json()["id"], int)
    assert api("GET", "/issues/999999").status_code == 404
    assert api("GET", "/no/such/route").status_code == 404


def test_keep_alive_is_fast(emu: OkdeskEmulator, api: Api) -> None:
    # 40 ms delayed-ACK stalls would make 40 keep-alive requests take > 1.6 s.
    setup_issue(emu)
    started = time.perf_counter()
    for _ in range(40):
        assert api("GET", "/issues/list").status_code == 200
    assert time.perf_counter() - started < 1.0
    assert emu.count_requests(r"/issues/list$", "GET") == 40


def test_concurrent_writes_and_restart(emu: OkdeskEmulator, api: Api) -> None:
    employee, _, issue = setup_issue(emu)

    def post(n: int) -> int:
        with requests.Session() as session:
            answer = session.post(
                f"{emu.api_url}/issues/{issue}/comments",
                params={"api_token": TOKEN},
                json={"content": f"<p>{n}</p>", "author_id": employee},
                timeout=10,
            )
            return answer.json()["id"]

    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(post, range(40)))
    # A too-small listen backlog drops SYNs in bursts; each retry costs a full second.
    assert time.perf_counter() - started < 0.9
    assert len(set(ids)) == 40
    assert [c["id"] for c in emu.get_comments(issue)] == sorted(ids)
    assert emu.get_issue(issue)["comments"]["count"] == 40
    port = emu.port
    emu.stop()
    with pytest.raises(requests.ConnectionError):
        api("GET", f"/issues/{issue}")
    emu.start(port=port)  # same address, same data: an Okdesk outage and recovery
    assert api("GET", f"/issues/{issue}").json()["comments"]["count"] == 40


# -- comments -------------------------------------------------------------------------
def test_wrapped_and_unwrapped_json(emu: OkdeskEmulator, api: Api) -> None:
    employee, contact, issue = setup_issue(emu)
    wrapped = api(
        "POST",
        f"/issues/{issue}/comments",
        json={"comment": {"content": "<p>A</p>", "author_id": employee, "public": True}},
    )
    unwrapped = api(
        "POST",
        f"/issues/{issue}/comments",
        json={"content": "<p>B</p>", "author_id": str(contact), "author_type": "contact"},
    )
    assert wrapped.status_code == unwrapped.status_code == 200
    assert wrapped.json()["public"] is True
    body = unwrapped.json()
    assert body["public"] is False  # omitted -> internal note
    assert body["author"] == {"id": contact, "name": "Петров Иван Ильич", "type": "contact"}
    assert [c["content"] for c in emu.get_comments(issue)] == ["<p>A</p>", "<p>B</p>"]
    assert wrapped.json()["id"] < body["id"]
    made = api("POST", "/contacts", json={"first_name": "Анна", "last_name": "Смирнова"})
    assert made.json()["name"] == "Смирнова Анна"


def test_comment_validation_bodies(emu: OkdeskEmulator, api: Api) -> None:
    employee, _, issue = setup_issue(emu)
    missing = api("POST", f"/issues/{issue}/comments", json={"comment": {"content": "hi"}})
    assert missing.status_code == 422
    assert missing.json() == {"errors": {"author_id": ["отсутствует"]}}
    empty = api("POST", f"/issues/{issue}/comments", json={"author_id": employee})
    assert empty.json() == {"errors": {"content": ["не может быть пустым"]}}
    ghost = api("POST", f"/issues/{issue}/comments", json={"content": "x", "author_id": 999})
    assert ghost.status_code == 422
    assert api("POST", "/issues/999/comments", json={"content": "x"}).status_code == 404
    # A rejected multipart leaves no stray file behind (checked by the fixture).
    rejected = api(
        "POST",
        f"/issues/{issue}/comments",
        data={"comment[content]": "x"},
        files={"comment[attachments][0][attachment]": ("a.txt", b"data")},
    )
    assert rejected.status_code == 422
    assert emu.get_comments(issue) == []


def test_multipart_comment_files_download(emu: OkdeskEmulator, api: Api) -> None:
    employee, _, issue = setup_issue(emu)
    first, second = os.urandom(70_000), b"\x00\r\n--not-a-boundary\r\n" * 1000
    response = api(
        "POST",
        f"/issues/{issue}/comments",
        data={
            "comment[content]": "<p>Фото</p>",
            "comment[author_id]": str(employee),
            "comment[public]": "true",
            "comment[attachments][0][is_public]": "true",
            "comment[attachments][0][description]": "первый",
        },
        files=[
            ("comment[attachments][0][attachment]", ("снимок экрана.png", first, "image/png")),
            ("comment[attachments][1][attachment]", ("log.txt", second)),
        ],
    )
    assert response.status_code == 200, response.text
    comment = response.json()
    files = comment["attachments"]
    assert [f["attachment_file_name"] for f in files] == ["снимок экрана.png", "log.txt"]
    assert [f["attachment_file_size"] for f in files] == [len(first), len(second)]
    assert [f["is_public"] for f in files] == [True, False]
    assert files[0]["description"] == "первый"
    issue_view = api("GET", f"/issues/{issue}").json()
    assert [a["id"] for a in issue_view["attachments"]] == [f["id"] for f in files]
    for meta, payload in zip(files, (first, second), strict=True):
        info = api("GET", f"/issues/{issue}/attachments/{meta['id']}").json()
        assert info["attachment_file_size"] == len(payload)
        link = requests.get(info["attachment_url"], timeout=5)  # no api_token
        assert link.status_code == 200 and link.content == payload
        assert link.headers["Content-Length"] == str(len(payload))
    assert link.headers["Content-Type"] == "text/plain"
    emu.options.comment_files_in_issue_attachments = False
    assert api("GET", f"/issues/{issue}").json()["attachments"] == []


def test_download_link_expires(emu: OkdeskEmulator, api: Api) -> None:
    _, _, issue = setup_issue(emu)
    attachment = emu.add_issue_attachment(issue, Upload("a.pdf", data=b"%PDF-1.4"))
    emu.options.attachment_url_ttl = 0.3
    issued = time.monotonic()
    url = api("GET", f"/issues/{issue}/attachments/{attachment}").json()["attachment_url"]
    assert requests.get(url, timeout=5).content == b"%PDF-1.4"
    deadline = issued + 5
    while (answer := requests.get(url, timeout=5)).status_code == 200:
        assert time.monotonic() < deadline, "link never expired"
        time.sleep(0.05)
    assert time.monotonic() - issued >= 0.3
    assert answer.status_code == 403
    assert b"<Code>AccessDenied</Code>" in answer.content
    assert requests.get(url.rsplit("/", 1)[0] + "/other.pdf", timeout=5).status_code == 404


def test_comments_bump_updated_at_only_with_switch(emu: OkdeskEmulator, api: Api) -> None:
    employee, _, issue = setup_issue(emu)
    before = api("GET", f"/issues/{issue}").json()["updated_at"]
    api("POST", f"/issues/{issue}/comments", json={"content": "a", "author_id": employee})
    after = api("GET", f"/issues/{issue}").json()
    assert after["updated_at"] == before
    assert after["comments"]["count"] == 1 and after["comments"]["last_at"] is not None
    emu.options.comments_bump_updated_at = True
    made = api("POST", f"/issues/{issue}/comments", json={"content": "b", "author_id": employee})
    bumped = api("GET", f"/issues/{issue}").json()
    assert bumped["updated_at"] == made.json()["published_at"] == bumped["comments"]["last_at"]


def test_comment_order_shuffled_by_default(emu: OkdeskEmulator, api: Api) -> None:
    _, _, issue = setup_issue(emu)
    created = [emu.add_comment(issue, f"<p>{n}</p>") for n in range(8)]
    orders = {
        tuple(c["id"] for c in api("GET", f"/issues/{issue}/comments").json()) for _ in range(6)
    }
    assert all(sorted(order) == created for order in orders)
    assert len(orders) > 1
    emu.options.shuffle_comments = False
    assert [c["id"] for c in api("GET", f"/issues/{issue}/comments").json()] == created


# -- issues ---------------------------------------------------------------------------
def test_create_issue_json_and_multipart(emu: OkdeskEmulator, api: Api) -> None:
    _, contact, _ = setup_issue(emu)
    no_title = api("POST", "/issues", json={"issue": {"description": "x"}})
    assert no_title.json() == {"errors": {"title": ["не может быть пустым"]}}
    bad_code = api("POST", "/issues", json={"issue": {"title": "t", "priority": "urgent"}})
    assert bad_code.status_code == 422 and "priority" in bad_code.json()["errors"]
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


# -- contacts -------------------------------------------------------------------------
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


# -- faults ---------------------------------------------------------------------------
def test_answering_faults(emu: OkdeskEmulator, api: Api) -> None:
    _, _, issue = setup_issue(emu)
    emu.add_fault(Fault(kind="status", status=503, path=r"/issues/list", method="GET"))
    failed = api("GET", "/issues/list")
    assert failed.status_code == 503 and "Внутренняя ошибка сервера" in failed.json()["errors"]
    assert api("GET", "/issues/list").status_code == 200  # times=1 by default
    emu.add_fault(Fault(kind="retry_after", retry_after=7))
    limited = api("GET", f"/issues/{issue}")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    emu.add_fault(Fault(kind="error_body"))
    odd = api("GET", f"/issues/{issue}")
    assert odd.status_code == 200 and "errors" in odd.json() and "id" not in odd.json()
    emu.add_fault(Fault(kind="malformed_json"))
    with pytest.raises(json.JSONDecodeError):
        json.loads(api("GET", f"/issues/{issue}").content)
    emu.add_fault(Fault(kind="slow", delay=0.3))
    started = time.monotonic()
    assert api("GET", f"/issues/{issue}").status_code == 200
    assert time.monotonic() - started >= 0.3
    forever = emu.add_fault(Fault(kind="status", status=500, path=r"/comments$", times=None))
    for _ in range(3):
        assert api("GET", f"/issues/{issue}/comments").status_code == 500
    assert forever.hits == 3 and api("GET", f"/issues/{issue}").status_code == 200
    emu.clear_faults()
    assert api("GET", f"/issues/{issue}/comments").status_code == 200
    kinds = [r.fault for r in emu.requests if r.fault]
    assert (
        kinds == ["status", "retry_after", "error_body", "malformed_json", "slow"] + ["status"] * 3
    )


def test_connection_faults(emu: OkdeskEmulator, api: Api) -> None:
    employee, _, issue = setup_issue(emu)
    emu.add_fault(Fault(kind="drop"))
    with pytest.raises(requests.ConnectionError):
        api("GET", f"/issues/{issue}")
    emu.add_fault(Fault(kind="timeout", delay=0.2))
    with pytest.raises(requests.ConnectionError):
        api("GET", f"/issues/{issue}")
    emu.add_fault(Fault(kind="timeout", delay=30))
    with pytest.raises(requests.ReadTimeout):
        api("GET", f"/issues/{issue}", timeout=0.3)
    emu.add_fault(Fault(kind="after_effect_timeout", delay=0.2, method="POST"))
    with pytest.raises(requests.ConnectionError):
        api("POST", f"/issues/{issue}/comments", json={"content": "x", "author_id": employee})
    assert [c["content"] for c in emu.get_comments(issue)] == ["x"]  # the write happened
    assert api("GET", f"/issues/{issue}").status_code == 200
    # Requests are logged when they end; the 30 s timeout is still asleep.
    assert emu.wait_for_requests(4, timeout=5)
    records = [r for r in emu.requests if r.fault]
    assert [(r.fault, r.status) for r in records] == [
        ("drop", None),
        ("timeout", None),
        ("after_effect_timeout", None),
    ]


# -- big files ------------------------------------------------------------------------
def _multipart_file(tmp_path: Path, source: Path, author_id: int) -> tuple[Path, str]:
    """Build the multipart body on disk so the client side stays streaming too."""
    boundary = "emulatorTestBoundary7MA4YWxk"
    body = tmp_path / "body.bin"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="comment[content]"\r\n\r\n'
        f"<p>big</p>\r\n--{boundary}\r\n"
        f'Content-Disposition: form-data; name="comment[author_id]"\r\n\r\n{author_id}\r\n'
        f"--{boundary}\r\nContent-Disposition: form-data; "
        f'name="comment[attachments][0][attachment]"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    with open(body, "wb") as out, open(source, "rb") as src:
        out.write(head)
        while chunk := src.read(1 << 20):
            out.write(chunk)
        out.write(f"\r\n--{boundary}--\r\n".encode())
    return body, f"multipart/form-data; boundary={boundary}"


def test_large_file_streams_both_ways(emu: OkdeskEmulator, api: Api, tmp_path: Path) -> None:
    employee, _, issue = setup_issue(emu)
    source = tmp_path / "big.bin"
    digest = hashlib.sha256()
    with open(source, "wb") as out:
        for _ in range(20):
            block = os.urandom(1 << 20)
            digest.update(block)
            out.write(block)
    body, content_type = _multipart_file(tmp_path, source, employee)
    tracemalloc.start()
    try:
        with open(body, "rb") as stream:  # Content-Length framing
            sent = api(
                "POST",
                f"/issues/{issue}/comments",
                data=stream,
                headers={"Content-Type": content_type},
            )

        def chunks() -> Iterator[bytes]:  # chunked framing
            with open(body, "rb") as src:
                while block := src.read(300_000):
                    yield block

        chunked = api(
            "POST",
            f"/issues/{issue}/comments",
            data=chunks(),
            headers={"Content-Type": content_type},
        )
        for response in (sent, chunked):
            assert response.status_code == 200, response.text
            (meta,) = response.json()["attachments"]
            assert meta["attachment_file_size"] == 20 << 20
            url = api("GET", f"/issues/{issue}/attachments/{meta['id']}").json()["attachment_url"]
            received = hashlib.sha256()
            with requests.get(url, stream=True, timeout=30) as download:
                assert download.headers["Content-Length"] == str(20 << 20)
                for block in download.iter_content(1 << 16):
                    received.update(block)
            assert received.hexdigest() == digest.hexdigest()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"peak traced memory {peak} bytes: something buffered the file"
