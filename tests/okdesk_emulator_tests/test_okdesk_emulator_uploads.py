"""Okdesk emulator fidelity over real HTTP: what arrives with multipart creates (exact file
names, contents, observation helpers), the request size limit of the nginx in front, the
account's attachment size/type limits, and the per-contact views."""

from __future__ import annotations

import hashlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import requests

from tests.okdesk_emulator import OkdeskEmulator
from tests.okdesk_emulator_tests._helpers import TOKEN, Api, multipart_body_file, setup_issue


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_file_names_and_contents_arrive_exactly(emu: OkdeskEmulator, api: Api) -> None:
    emu.options.comment_attachment_shape = "full"  # what is checked is in the full shape only
    _, contact, _ = setup_issue(emu)
    photo, report, doc = b"\xff\xd8jpeg" * 100, b"%PDF-1.4 report", b"PK\x03\x04docx"
    emu.options.api_key_role = "administrator"
    created = api(
        "POST",
        "/issues/",
        data={
            "issue[title]": "Фото с ошибкой",
            "issue[contact_id]": str(contact),
            "issue[author][id]": str(contact),
            "issue[author][type]": "contact",
            "issue[attachments][0][is_public]": "true",
            "issue[attachments][1][is_public]": "false",
        },
        files=[
            ("issue[attachments][0][attachment]", ("фото.jpg", photo, "image/jpeg")),
            ("issue[attachments][1][attachment]", ("отчёт за «май» 2026.pdf", report)),
        ],
    )
    assert created.status_code == 200, created.text
    issue = created.json()["id"]
    files = emu.get_issue(issue)["attachments"]
    assert [(f["attachment_file_name"], f["is_public"]) for f in files] == [
        ("фото.jpg", True),
        ("отчёт за «май» 2026.pdf", False),
    ]
    assert [f["sha256"] for f in files] == [sha(photo), sha(report)]
    assert [emu.attachment_bytes(f["id"]) for f in files] == [photo, report]
    # RFC 5987 filename* (what some clients send for non-ASCII names) gives the same name.
    boundary = "b0undary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="comment[content]"\r\n\r\n'
            f"<p>Документ</p>\r\n--{boundary}\r\n"
            f'Content-Disposition: form-data; name="comment[author_id]"\r\n\r\n{contact}\r\n'
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="comment[author_type]"\r\n\r\ncontact\r\n'
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="comment[attachments][0][is_public]"\r\n\r\n'
            f"true\r\n--{boundary}\r\n"
            'Content-Disposition: form-data; name="comment[attachments][0][attachment]"; '
            "filename=\"dokument.docx\"; filename*=UTF-8''%D0%B4%D0%BE%D0%BA%D1%83%D0%BC%D0%B5"
            "%D0%BD%D1%82.docx\r\n\r\n"
        ).encode()
        + doc
        + f"\r\n--{boundary}--\r\n".encode()
    )
    posted = api(
        "POST",
        f"/issues/{issue}/comments",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert posted.status_code == 200, posted.text
    (comment,) = emu.get_comments(issue)
    (meta,) = comment["attachments"]
    assert (meta["attachment_file_name"], meta["is_public"]) == ("документ.docx", True)
    assert meta["sha256"] == sha(doc) and emu.attachment_bytes(meta["id"]) == doc
    assert emu.attachment_path(meta["id"]).read_bytes() == doc
    info = emu.get_attachment(meta["id"])
    assert (info["comment_id"], info["issue_id"], info["sha256"]) == (
        comment["id"],
        issue,
        sha(doc),
    )
    assert comment["author"] == {"id": contact, "name": "Петров Иван Ильич", "type": "contact"}
    # The API itself never shows the digest.
    assert "sha256" not in api("GET", f"/issues/{issue}").json()["attachments"][0]
    assert "sha256" not in posted.json()["attachments"][0]


def raw_post(emu: OkdeskEmulator, path: str, content_type: str, body: Path) -> bytes:
    """POST over a bare socket: every byte must be accepted before the answer is read.

    requests/urllib3 forgive a server that answers early and resets the connection (they
    read the early answer); a plain client does not, so this fails unless the server
    drains the body before it answers and closes.
    """
    head = (
        f"POST /api/v1{path}?api_token={TOKEN} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {body.stat().st_size}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", emu.port), timeout=20) as sock:
        sock.sendall(head)
        with open(body, "rb") as src:
            while block := src.read(1 << 20):
                sock.sendall(block)
        answer = b""
        while chunk := sock.recv(65536):  # the server closes after a 413
            answer += chunk
    return answer


def test_request_size_limit_answers_413_after_reading_the_body(
    emu: OkdeskEmulator, api: Api, tmp_path: Path
) -> None:
    emu.options.comment_attachment_shape = "full"  # what is checked is in the full shape only
    employee, _, issue = setup_issue(emu)
    source = tmp_path / "big.bin"
    with open(source, "wb") as out:
        for _ in range(50):
            out.write(bytes(1 << 20))
    body, content_type = multipart_body_file(tmp_path, source, employee)
    emu.options.max_request_bytes = 1 << 20
    expected = {"errors": "Размер запроса превышает допустимый (1 МБ)"}
    with open(body, "rb") as stream:  # Content-Length framing: refused before reading
        sent = api(
            "POST", f"/issues/{issue}/comments", data=stream, headers={"Content-Type": content_type}
        )
    assert (sent.status_code, sent.json()) == (413, expected)
    assert sent.headers["Connection"] == "close"
    raw = raw_post(emu, f"/issues/{issue}/comments", content_type, body)
    assert raw.startswith(b"HTTP/1.1 413 ")
    assert raw.endswith(json.dumps(expected, ensure_ascii=False).encode())

    def chunks() -> Iterator[bytes]:  # chunked framing: refused once 1 MB has passed
        with open(body, "rb") as src:
            while block := src.read(300_000):
                yield block

    chunked = api(
        "POST", f"/issues/{issue}/comments", data=chunks(), headers={"Content-Type": content_type}
    )
    assert (chunked.status_code, chunked.json()) == (413, expected)
    # nginx judges the size before the application: even a wrong token gets the 413.
    foreign = requests.post(
        f"{emu.api_url}/issues", params={"api_token": "nope"}, data=b"x" * (2 << 20), timeout=10
    )
    assert foreign.status_code == 413
    big_json = api(
        "POST", "/issues", json={"issue": {"title": "t", "description": "x" * (2 << 20)}}
    )
    assert big_json.status_code == 413
    assert emu.get_comments(issue) == [] and emu.issue_ids() == [issue]
    assert [r.status for r in emu.requests[-5:]] == [413] * 5
    small = api("POST", f"/issues/{issue}/comments", json={"content": "ok", "author_id": employee})
    assert small.status_code == 200
    emu.options.max_request_bytes = None
    with open(body, "rb") as stream:
        accepted = api(
            "POST", f"/issues/{issue}/comments", data=stream, headers={"Content-Type": content_type}
        )
    assert accepted.status_code == 200
    assert accepted.json()["attachments"][0]["attachment_file_size"] == 50 << 20


def test_attachment_size_and_type_limits(emu: OkdeskEmulator, api: Api) -> None:
    employee, contact, issue = setup_issue(emu)
    emu.options.max_attachment_bytes = 1024
    emu.options.forbidden_attachment_extensions = ("exe",)
    fields = {"comment[content]": "x", "comment[author_id]": str(employee)}

    def comment_with(*files: tuple[str, bytes]) -> requests.Response:
        parts = [(f"comment[attachments][{i}][attachment]", f) for i, f in enumerate(files)]
        return api("POST", f"/issues/{issue}/comments", data=fields, files=parts)

    too_big = comment_with(("ok.txt", b"1" * 1024), ("big.bin", b"2" * 1025))
    assert too_big.status_code == 422
    assert too_big.json() == {
        "errors": {"attachments": ["Размер файла «big.bin» превышает допустимый (1 КБ)"]}
    }
    bad_type = comment_with(("Setup.EXE", b"MZ"))
    assert bad_type.json() == {"errors": {"attachments": ["Недопустимый тип файла «Setup.EXE»"]}}
    both = comment_with(("вирус.exe", b"M" * 2000))
    assert both.json()["errors"]["attachments"] == [
        "Размер файла «вирус.exe» превышает допустимый (1 КБ)",
        "Недопустимый тип файла «вирус.exe»",
    ]
    # A structural error is reported on its own (Rails stops there).
    missing = api(
        "POST",
        f"/issues/{issue}/comments",
        data={**fields, "comment[attachments][0][is_public]": "true"},
        files={"comment[attachments][1][attachment]": ("big.bin", b"2" * 2000)},
    )
    assert missing.json() == {"errors": {"attachments": {"0": {"attachment": ["отсутствует"]}}}}
    refused_issue = api(
        "POST",
        "/issues",
        data={"issue[title]": "t", "issue[contact_id]": str(contact)},
        files={"issue[attachments][0][attachment]": ("big.bin", b"2" * 2000)},
    )
    assert refused_issue.status_code == 422 and "attachments" in refused_issue.json()["errors"]
    assert emu.get_comments(issue) == [] and emu.issue_ids() == [issue]
    assert comment_with(("фото.jpg", b"1" * 1024)).status_code == 200
    emu.options.max_attachment_bytes = 20 << 20
    emu.options.forbidden_attachment_extensions = ()
    assert comment_with(("big.exe", b"2" * 2000)).status_code == 200
    emu.options.max_attachment_bytes = 1
    expected = "Размер файла «a.txt» превышает допустимый (1 байт)"
    assert comment_with(("a.txt", b"ab")).json()["errors"]["attachments"] == [expected]
    assert [len(c["attachments"]) for c in emu.get_comments(issue)] == [1, 1]


def test_contact_views_and_list_filter(emu: OkdeskEmulator, api: Api) -> None:
    employee, alice, first = setup_issue(emu)
    bob = emu.add_contact("Борис", "Козлов")
    second = emu.add_issue("Вторая", contact_id=alice)
    bobs = emu.add_issue("Чужая", contact_id=bob)
    orphan = emu.add_issue("Без клиента")
    listed = api("GET", "/issues/list", {"contact_ids[]": [alice]}).json()
    assert sorted(item["id"] for item in listed) == [first, second]
    both = api("GET", "/issues/list", {"contact_ids[]": [alice, bob]}).json()
    assert sorted(item["id"] for item in both) == [first, second, bobs]
    assert [i["id"] for i in api("GET", "/issues/list", {"contact_ids[]": 0}).json()] == [orphan]
    assert [i["id"] for i in emu.issues_of_contact(alice)] == [first, second]
    assert emu.issues_of_contact(bob)[0]["contact"] == {"id": bob, "name": "Козлов Борис"}
    assert emu.issues_of_contact(999) == []
    api(
        "POST",
        f"/issues/{first}/comments",
        json={"content": "от клиента", "author_id": alice, "author_type": "contact"},
    )
    api("POST", f"/issues/{first}/comments", json={"content": "ответ", "author_id": employee})
    emu.add_comment(first, "от поддержки")
    (mine,) = emu.comments_by(first, ("contact", alice))
    assert mine["content"] == "от клиента"
    assert mine["author"] == {"id": alice, "name": "Петров Иван Ильич", "type": "contact"}
    assert [c["content"] for c in emu.comments_by(first, ("employee", employee))] == ["ответ"]
    staff = emu.comments_by(first, ("employee", emu.default_employee_id))
    assert [c["content"] for c in staff] == ["от поддержки"]
    assert emu.comments_by(first, ("contact", bob)) == []
