"""Okdesk emulator fidelity over real HTTP: comments (JSON and multipart), attachments and
their expiring download links, and large files streamed both ways."""

from __future__ import annotations

import hashlib
import os
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import requests

from tests.okdesk_emulator import OkdeskEmulator, Upload
from tests.okdesk_emulator_tests._helpers import Api, multipart_body_file, setup_issue


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
    emu.options.comment_attachment_shape = "full"  # what is checked is in the full shape only
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


def test_large_file_streams_both_ways(emu: OkdeskEmulator, api: Api, tmp_path: Path) -> None:
    emu.options.comment_attachment_shape = "full"  # what is checked is in the full shape only
    employee, _, issue = setup_issue(emu)
    source = tmp_path / "big.bin"
    digest = hashlib.sha256()
    with open(source, "wb") as out:
        for _ in range(20):
            block = os.urandom(1 << 20)
            digest.update(block)
            out.write(block)
    body, content_type = multipart_body_file(tmp_path, source, employee)
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
