"""Staff files reach the client as Telegram would show them best, byte for byte, once.

Every file is made at test time; the Telegram test server hashes what it received, so
"identical" means the same sha256 at both ends.
"""

from __future__ import annotations

import random
import struct
import zlib
from typing import Any

import pytest
from telethon.tl import types

from tests.e2e.conftest import Daemon
from tests.e2e.helpers import (
    eventually,
    outbox,
    sha,
    start_with_issue,
    stored_random_ids,
    texts_to,
    wait_text,
)
from tests.okdesk_emulator import Fault, Upload
from tests.tgserver.images import make_png

pytestmark = pytest.mark.e2e


# ---------------------------------------------------------------- files made here


def png(n: int) -> bytes:
    """A small real PNG, different for every n."""
    return make_png(64 + n, 48)


def noise_png(width: int, height: int, seed: int = 1) -> bytes:
    """A real PNG of random grey pixels: it does not compress, so its size is about width*height."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    rnd = random.Random(seed)
    raw = b"".join(b"\x00" + rnd.randbytes(width) for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 0))
            + chunk(b"IEND", b""))


def mp4(width: int = 640, height: int = 360, seconds: int = 3) -> bytes:
    """A minimal MP4 (ftyp, moov with mvhd and one tkhd, mdat) whose size and duration parsers can read."""
    def box(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", 8 + len(payload)) + kind + payload

    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    mvhd = box(b"mvhd", bytes(4) + struct.pack(">IIII", 0, 0, 1000, seconds * 1000)
               + struct.pack(">IH", 0x10000, 0x100) + bytes(10) + matrix + bytes(24) + struct.pack(">I", 2))
    tkhd = box(b"tkhd", b"\0\0\0\x07" + struct.pack(">IIIII", 0, 0, 1, 0, seconds * 1000) + bytes(8)
               + struct.pack(">hhhH", 0, 0, 0, 0) + matrix + struct.pack(">II", width << 16, height << 16))
    return (box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2mp41")
            + box(b"moov", mvhd + box(b"trak", tkhd)) + box(b"mdat", random.randbytes(20_000)))


# ---------------------------------------------------------------- steps


def start(make_daemon: Any, emu: Any, tg: Any, **overrides: dict[str, Any]) -> tuple[Daemon, Any, int]:
    return start_with_issue(make_daemon, emu, tg, "Фото с объекта", **overrides)


def media_to(tg: Any, user: Any) -> list[Any]:
    return [s for s in tg.sent_to(user) if s.media_kind]


def wait_media(tg: Any, user: Any, count: int, timeout: float = 15) -> list[Any]:
    found = tg.wait_for(lambda: len(media_to(tg, user)) >= count and media_to(tg, user), timeout=timeout)
    return found


def settled(daemon: Daemon, tg: Any, user: Any, expected: int) -> list[Any]:
    """More polls and reconcile sweeps bring nothing more: the outbox is done and no file came twice."""
    eventually(lambda: all(r["state"] == "done" for r in outbox(daemon)), what="the outbox done")
    daemon.wait_cycles(4)
    sent = media_to(tg, user)
    assert len(sent) == expected, [(s.file_name, s.media_kind) for s in sent]
    return sent


def item_random_ids(daemon: Daemon, issue_id: int) -> list[list[int]]:
    return [r["random_ids"] for r in outbox(daemon) if r["okdesk_issue_id"] == issue_id and r["kind"] == "telegram"]


def rpc_errors(tg: Any, method: str) -> list[str | None]:
    return [r.error for r in tg.rpc_calls(method)]


# ---------------------------------------------------------------- images


def test_a_single_image_arrives_as_a_photo_with_identical_bytes(make_daemon, emu, tg, employee) -> None:
    daemon, user, issue_id = start(make_daemon, emu, tg)
    data = png(1)
    emu.add_comment(issue_id, "<p>Фото счётчика</p>", author=("employee", employee),
                    attachments=[Upload("счётчик.png", data=data)])
    (photo,) = wait_media(tg, user, 1)
    assert (photo.media_kind, photo.method, photo.sha256) == ("photo", "SendMedia", sha(data))
    (text,) = wait_text(tg, user, "Фото счётчика")
    assert text.id < photo.id  # the words first, then the file
    assert [text.random_id, photo.random_id] == item_random_ids(daemon, issue_id)[0]
    settled(daemon, tg, user, 1)


def test_several_images_arrive_as_one_album_in_order(variant, make_daemon, emu, tg, employee) -> None:
    daemon, user, issue_id = start(make_daemon, emu, tg)
    images = [png(n) for n in range(3)]
    emu.add_comment(issue_id, "<p>Три фото</p>", author=("employee", employee),
                    attachments=[Upload(f"фото{n}.png", data=d) for n, d in enumerate(images)])
    album = wait_media(tg, user, 3)
    assert [s.sha256 for s in album] == [sha(d) for d in images]
    assert {s.method for s in album} == {"SendMultiMedia"} and {s.media_kind for s in album} == {"photo"}
    assert len({s.grouped_id for s in album}) == 1 and album[0].grouped_id is not None
    assert rpc_errors(tg, "SendMultiMedia") == [None]  # one request, one album
    assert [s.random_id for s in album] == item_random_ids(daemon, issue_id)[0][1:]
    settled(daemon, tg, user, 3)


def test_twelve_images_become_albums_of_ten_and_two(make_daemon, emu, tg, employee) -> None:
    daemon, user, issue_id = start(make_daemon, emu, tg)
    images = [png(n) for n in range(12)]
    emu.add_comment(issue_id, "<p>Двенадцать</p>", author=("employee", employee),
                    attachments=[Upload(f"{n:02d}.png", data=d) for n, d in enumerate(images)])
    sent = wait_media(tg, user, 12)
    groups = [s.grouped_id for s in sent]
    assert groups[:10] == [groups[0]] * 10 and groups[10:] == [groups[10]] * 2 and groups[0] != groups[10]
    assert [s.sha256 for s in sent] == [sha(d) for d in images]
    assert rpc_errors(tg, "SendMultiMedia") == [None, None]
    settled(daemon, tg, user, 12)


def test_an_image_over_the_photo_limit_goes_as_a_document(make_daemon, emu, tg, employee) -> None:
    daemon, user, issue_id = start(make_daemon, emu, tg, sync={"photo_max_mb": 1})
    data = noise_png(1000, 1500)
    assert 1.4 * 2**20 < len(data) < 1.6 * 2**20
    emu.add_comment(issue_id, "<p>Схема</p>", author=("employee", employee), attachments=[Upload("схема.png", data=data)])
    (doc,) = wait_media(tg, user, 1)
    assert (doc.media_kind, doc.file_name, doc.sha256) == ("document", "схема.png", sha(data))
    assert "photo" not in {s.media_kind for s in tg.sent}  # decided from the size, not after a refusal
    settled(daemon, tg, user, 1)


def test_an_image_telegram_refuses_as_a_photo_goes_as_a_document_with_the_same_random_id(make_daemon, emu, tg,
                                                                                          employee) -> None:
    daemon, user, issue_id = start(make_daemon, emu, tg)
    wide = make_png(3000, 100)  # 30:1, Telegram's limit is 20:1
    emu.add_comment(issue_id, "<p>Панорама</p>", author=("employee", employee),
                    attachments=[Upload("панорама.png", data=wide)])
    (doc,) = wait_media(tg, user, 1)
    assert (doc.media_kind, doc.file_name, doc.sha256) == ("document", "панорама.png", sha(wide))
    assert "PHOTO_INVALID_DIMENSIONS" in rpc_errors(tg, "SendMedia")
    assert doc.random_id == item_random_ids(daemon, issue_id)[0][1]
    settled(daemon, tg, user, 1)


def test_a_refused_image_leaves_its_album_and_the_rest_stay_an_album(make_daemon, emu, tg, employee) -> None:
    daemon, user, issue_id = start(make_daemon, emu, tg)
    first, wide, last = png(1), make_png(3000, 100), png(2)
    emu.add_comment(issue_id, "<p>Три фото</p>", author=("employee", employee),
                    attachments=[Upload("a.png", data=first), Upload("wide.png", data=wide),
                                 Upload("c.png", data=last)])
    sent = wait_media(tg, user, 3)
    album, (doc,) = sent[:2], sent[2:]
    assert [s.sha256 for s in album] == [sha(first), sha(last)] and album[0].grouped_id == album[1].grouped_id
    assert (doc.media_kind, doc.file_name, doc.sha256, doc.grouped_id) == ("document", "wide.png", sha(wide), None)
    assert "PHOTO_INVALID_DIMENSIONS" in rpc_errors(tg, "UploadMedia")
    rids = item_random_ids(daemon, issue_id)[0]
    assert [album[0].random_id, doc.random_id, album[1].random_id] == rids[1:]
    settled(daemon, tg, user, 3)


def test_one_unavailable_file_becomes_a_note_and_the_rest_stay_an_album(make_daemon, emu, tg, employee) -> None:
    daemon, user, issue_id = start(make_daemon, emu, tg)
    elsewhere = emu.add_issue("Чужая")
    probe = emu.add_issue_attachment(elsewhere, Upload("probe.txt", data=b"probe"))
    # Attachment ids are sequential: the second file of the comment below is probe + 2. It was
    # deleted in Okdesk after the poll saw it: its download link answers 404.
    emu.add_fault(Fault(kind="status", status=404, path=rf"/attachments/{probe + 2}$", times=None))
    images = [png(n) for n in range(3)]
    emu.add_comment(issue_id, "<p>Фото</p>", author=("employee", employee),
                    attachments=[Upload(f"{n}.png", data=d) for n, d in enumerate(images)])
    (note,) = wait_text(tg, user, "1.png — файл не удалось получить")
    album = media_to(tg, user)
    assert [s.sha256 for s in album] == [sha(images[0]), sha(images[2])]
    assert album[0].grouped_id == album[1].grouped_id is not None
    rids = item_random_ids(daemon, issue_id)[0]
    assert [album[0].random_id, note.random_id, album[1].random_id] == rids[1:]
    settled(daemon, tg, user, 2)


def test_images_as_documents_setting_sends_images_as_documents(make_daemon, emu, tg, employee) -> None:
    daemon, user, issue_id = start(make_daemon, emu, tg, sync={"images_as_documents": True})
    images = [png(1), png(2)]
    emu.add_comment(issue_id, "<p>Скриншоты</p>", author=("employee", employee),
                    attachments=[Upload("экран1.png", data=images[0]), Upload("экран2.png", data=images[1])])
    sent = wait_media(tg, user, 2)
    assert [(s.media_kind, s.file_name, s.sha256) for s in sent] == [
        ("document", "экран1.png", sha(images[0])), ("document", "экран2.png", sha(images[1]))]
    settled(daemon, tg, user, 2)


# ---------------------------------------------------------------- other files


def test_a_video_arrives_as_a_video(make_daemon, emu, tg, employee) -> None:
    daemon, user, issue_id = start(make_daemon, emu, tg)
    data = mp4()
    emu.add_comment(issue_id, "<p>Видео</p>", author=("employee", employee), attachments=[Upload("обход.mp4", data=data)])
    (video,) = wait_media(tg, user, 1)
    assert (video.media_kind, video.file_name, video.mime_type, video.sha256) == (
        "video", "обход.mp4", "video/mp4", sha(data))
    attrs = {type(a): a for a in video.message.media.document.attributes}
    meta = attrs[types.DocumentAttributeVideo]
    assert (meta.w, meta.h, meta.duration) == (640, 360, 3)
    settled(daemon, tg, user, 1)
    # Reading the video's size must not print the parser's chatter into the JSON log.
    assert not [e for e in daemon.events if e["event"] == "<non-json>" and "[warn]" in e["line"]]


def test_documents_keep_their_cyrillic_names(make_daemon, emu, tg, employee) -> None:
    daemon, user, issue_id = start(make_daemon, emu, tg)
    pdf = b"%PDF-1.4\n" + random.randbytes(30_000)
    xlsx = b"PK\x03\x04" + random.randbytes(20_000)
    names = ["Акт выполненных работ №15.pdf", "Отчёт за март (итог).xlsx"]
    emu.add_comment(issue_id, "<p>Документы</p>", author=("employee", employee),
                    attachments=[Upload(names[0], data=pdf), Upload(names[1], data=xlsx)])
    sent = wait_media(tg, user, 2)
    assert [(s.media_kind, s.file_name, s.sha256) for s in sent] == [
        ("document", names[0], sha(pdf)), ("document", names[1], sha(xlsx))]
    assert [s.mime_type for s in sent] == [
        "application/pdf", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]
    settled(daemon, tg, user, 2)


def test_a_file_over_the_limit_becomes_a_line_and_one_staff_notice(make_daemon, emu, tg, employee) -> None:
    daemon, user, issue_id = start(make_daemon, emu, tg, sync={"max_file_mb": 0.5},
                                   okdesk={"employee_id": employee})
    emu.reset_requests()
    emu.add_comment(issue_id, "<p>Дамп во вложении</p>", author=("employee", employee),
                    attachments=[Upload("дамп базы.zip", data=random.randbytes(700 * 1024))])
    (msg,) = wait_text(tg, user, "Дамп во вложении")
    assert "дамп базы.zip (700 КБ)" in msg.text
    daemon.wait_event("staff_notice_posted", issue_id=issue_id)
    settled(daemon, tg, user, 0)
    # Not downloaded, not uploaded.
    assert emu.count_requests(r"/attachments/") == 0 and emu.count_requests(r"^/storage/") == 0
    assert not tg.rpc_calls("SaveFilePart") and not tg.rpc_calls("SaveBigFilePart")
    notices = [c for c in emu.get_comments(issue_id) if c["author"]["id"] == employee and not c["public"]]
    assert len(notices) == 1 and "дамп базы.zip" in notices[0]["content"]
    assert not any("Telegram-канал службы поддержки" in t for t in texts_to(tg, user))  # for staff only


@pytest.mark.parametrize("listed_as", ["without-sizes", "bare-ids"])
def test_a_file_found_too_large_only_while_downloading_is_noted_once_for_client_and_staff(
        make_daemon, emu, tg, employee, listed_as) -> None:
    """Okdesk's comment answer need not carry sizes: the limit is then met during the download. Nor
    names, listed as bare ids and left out of the issue's own list of files: the attachment's own
    answer, asked for the download, names it for the client and for staff."""
    emu.options.comment_attachment_sizes = False
    if listed_as == "bare-ids":
        emu.options.comment_attachment_shape = "minimal"
        emu.options.comment_files_in_issue_attachments = False
    daemon, user, issue_id = start(make_daemon, emu, tg, sync={"max_file_mb": 0.5},
                                   okdesk={"employee_id": employee})
    emu.add_comment(issue_id, "<p>Образ диска</p>", author=("employee", employee),
                    attachments=[Upload("образ.iso", data=random.randbytes(700 * 1024))])
    wait_text(tg, user, "Образ диска")
    (note,) = wait_text(tg, user, "образ.iso")
    assert "слишком большой" in note.text
    daemon.wait_event("staff_notice_posted", issue_id=issue_id)
    settled(daemon, tg, user, 0)
    assert not tg.rpc_calls("SaveFilePart") and not tg.rpc_calls("SaveBigFilePart")
    notices = [c for c in emu.get_comments(issue_id) if c["author"]["id"] == employee and not c["public"]]
    assert len(notices) == 1 and "образ.iso" in notices[0]["content"]


def test_files_added_without_a_comment_arrive(variant, make_daemon, emu, tg, employee) -> None:
    daemon, user, issue_id = start(make_daemon, emu, tg)
    data = png(5)
    emu.add_issue_attachment(issue_id, Upload("план этажа.png", data=data))
    (photo,) = wait_media(tg, user, 1)
    assert photo.sha256 == sha(data)
    (text,) = wait_text(tg, user, "Добавлены файлы: 1")
    assert f"#{issue_id}" in text.text and text.id < photo.id
    settled(daemon, tg, user, 1)


@pytest.mark.parametrize("content", ["", "<p>&nbsp;</p>"], ids=["empty", "empty-paragraph"])
def test_a_comment_of_files_only_arrives(content, make_daemon, emu, tg, employee) -> None:
    daemon, user, issue_id = start(make_daemon, emu, tg)
    pdf = b"%PDF-1.4\n" + random.randbytes(5000)
    emu.add_comment(issue_id, content, author=("employee", employee), attachments=[Upload("скан.pdf", data=pdf)])
    (doc,) = wait_media(tg, user, 1)
    assert (doc.file_name, doc.sha256) == ("скан.pdf", sha(pdf))
    (text,) = wait_text(tg, user, "📎 Файлы: 1")
    assert "Иванов Сергей" in text.text
    settled(daemon, tg, user, 1)


def test_a_private_file_of_a_public_comment_is_never_sent(make_daemon, emu, tg, employee) -> None:
    daemon, user, issue_id = start(make_daemon, emu, tg)
    public, private = png(1), b"%PDF-1.4 internal\n" + random.randbytes(4000)
    emu.add_comment(issue_id, "<p>Фото для вас</p>", author=("employee", employee),
                    attachments=[Upload("фото.png", data=public), Upload("смета.pdf", data=private, is_public=False)])
    hidden = next(a["id"] for a in emu.get_comments(issue_id)[-1]["attachments"]
                  if not emu.get_attachment(a["id"])["is_public"])
    (photo,) = wait_media(tg, user, 1)
    assert photo.sha256 == sha(public)
    settled(daemon, tg, user, 1)
    assert sha(private) not in {s.sha256 for s in tg.sent}
    assert emu.count_requests(rf"/attachments/{hidden}$") == 0  # not even downloaded
    assert not any("Добавлены файлы" in t for t in texts_to(tg, user))


@pytest.mark.parametrize("listed", [True, False], ids=["listed-in-issue", "comment-only"])
def test_comment_files_listed_among_the_issue_attachments_arrive_once(listed, make_daemon, emu, tg,
                                                                      employee) -> None:
    emu.options.comment_files_in_issue_attachments = listed
    daemon, user, issue_id = start(make_daemon, emu, tg)
    images = [png(1), png(2)]
    emu.add_comment(issue_id, "<p>Фото</p>", author=("employee", employee),
                    attachments=[Upload("1.png", data=images[0]), Upload("2.png", data=images[1])])
    wait_media(tg, user, 2)
    assert len(emu.get_issue(issue_id)["attachments"]) == (2 if listed else 0)
    daemon.wait_event("reconcile_period")
    sent = settled(daemon, tg, user, 2)
    assert [s.sha256 for s in sent] == [sha(d) for d in images]
    assert not any("Добавлены файлы" in t for t in texts_to(tg, user))


def test_a_download_link_that_expired_before_use_is_replaced(make_daemon, emu, tg, employee) -> None:
    daemon, user, issue_id = start(make_daemon, emu, tg)
    emu.options.attachment_url_ttl = 0.5
    # The first storage request stalls past the link's life, as a slow network would.
    emu.add_fault(Fault(kind="slow", delay=1.0, path=r"^/storage/", times=1))
    data = png(7)
    emu.add_comment(issue_id, "<p>Фото</p>", author=("employee", employee), attachments=[Upload("x.png", data=data)])
    (photo,) = wait_media(tg, user, 1)
    assert photo.sha256 == sha(data)
    storage = [r.status for r in emu.requests if r.path.startswith("/storage/")]
    assert storage == [403, 200]  # the first link had expired; a fresh one worked
    assert photo.random_id in stored_random_ids(daemon)
    settled(daemon, tg, user, 1)
