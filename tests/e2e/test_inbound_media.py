"""Every kind of Telegram message becomes an Okdesk comment or issue, files byte for byte, named as promised.

The emulator runs in +05:00 here (not Moscow, the daemon's fallback): names made from the
message date must use the account's own zone, learned from Okdesk.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import API_TOKEN
from tests.e2e.helpers import eventually, sha, start_with_issue, texts_to, wait_text
from tests.e2e.inbound_steps import (
    ADDED,
    CREATED,
    account_tz,
    callback_data,
    comment_mode,
    names,
    new_issue_mode,
    open_card,
    stamp,
)
from tests.okdesk_emulator import OkdeskEmulator
from tests.tgserver.images import make_png

pytestmark = pytest.mark.e2e

TZ_OFFSET = "+05:00"
TZ = account_tz(TZ_OFFSET)


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[OkdeskEmulator]:
    server = OkdeskEmulator(api_token=API_TOKEN, tz_offset=TZ_OFFSET, files_dir=tmp_path / "okdesk-files")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def start(make_daemon: Any, emu: Any, tg: Any, **overrides: Any) -> tuple[Any, Any, int, int]:
    daemon, user, issue_id = start_with_issue(make_daemon, emu, tg, "Не работает сканер", **overrides)
    return daemon, user, issue_id, emu.get_issue(issue_id)["contact"]["id"]


def own_comments(emu: Any, issue_id: int, contact_id: int, count: int = 1) -> list[dict[str, Any]]:
    return eventually(lambda: (lambda c: c if len(c) >= count else None)(
        emu.comments_by(issue_id, author=("contact", contact_id))), what=f"{count} comment(s) by the contact")


# kind -> (send_media kwargs, expected file name with {stamp} for the message date, words in the comment)
KINDS: dict[str, tuple[dict[str, Any], str | None, list[str]]] = {
    "photo": (dict(data=make_png(120, 90), caption="Вот так выглядит ошибка"), "photo_{stamp}.jpg",
              ["Вот так выглядит ошибка"]),
    "video": (dict(data=b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40, file_name="Съёмка экрана.mp4"),
              "Съёмка экрана.mp4", []),
    "document": (dict(data=b"%PDF-1.4\n" + "отчёт".encode() * 500, file_name="Отчёт за ноябрь.pdf",
                      mime_type="application/pdf", caption="Отчёт во вложении"),
                 "Отчёт за ноябрь.pdf", ["Отчёт во вложении"]),
    "audio": (dict(data=b"ID3" + bytes(3000), file_name="Запись звонка.mp3"), "Запись звонка.mp3", []),
    "voice": (dict(data=b"OggS" + bytes(2000)), "voice_{stamp}.ogg", []),
    "video_note": (dict(data=b"\x00\x00\x00\x18ftypmp42" + bytes(5000)), "video_note_{stamp}.mp4", []),
    "animation": (dict(data=b"\x00\x00\x00\x18ftypmp42" + bytes(4000), file_name="смешно.mp4"), "смешно.mp4", []),
    "sticker": (dict(data=make_png(512, 512)), "sticker_{stamp}.webp", ["🙂"]),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_media_kind_is_one_comment_with_its_file(make_daemon, emu, tg, kind) -> None:
    daemon, user, issue_id, contact_id = start(make_daemon, emu, tg)
    card = open_card(tg, user, issue_id)
    kwargs, expected_name, words = KINDS[kind]
    msg_id = tg.send_media(user, kind, reply_to=card.id, **kwargs)
    (confirm,) = wait_text(tg, user, f"{ADDED} #{issue_id}")
    (comment,) = own_comments(emu, issue_id, contact_id)
    assert comment["public"] is True
    for word in words:
        assert word in comment["content"]
    (attachment,) = comment["attachments"]
    assert attachment["attachment_file_name"] == expected_name.format(stamp=stamp(tg, msg_id, TZ))
    assert attachment["sha256"] == tg.media_of(msg_id).blob.sha256 == sha(kwargs["data"])
    assert emu.attachment_bytes(attachment["id"]) == kwargs["data"]
    daemon.wait_cycles(2)
    assert len(emu.comments_by(issue_id, author=("contact", contact_id))) == 1
    assert texts_to(tg, user).count(confirm.text) == 1


def test_text_location_and_someone_elses_contact_are_comments_in_words(make_daemon, emu, tg) -> None:
    daemon, user, issue_id, contact_id = start(make_daemon, emu, tg)
    contacts_before = emu.get_contacts()
    card = open_card(tg, user, issue_id)
    tg.send_text(user, "Первая строка\nвторая строка <b>не тег</b>", reply_to=card.id)
    wait_text(tg, user, f"{ADDED} #{issue_id}")
    tg.send_media(user, "location", lat=55.751244, long=37.618423, reply_to=card.id)
    wait_text(tg, user, f"{ADDED} #{issue_id}", count=2)
    other = tg.add_user(first_name="Мария", last_name="Сидорова", phone="79990001122")
    tg.send_media(user, "contact", phone="79990001122", first_name="Мария", last_name="Сидорова",
                  user_id=other.id)
    # Not a reply: the contact is asked about like any message; it goes into the issue by its button.
    ask = wait_text(tg, user, "Куда добавить это сообщение?")[-1]
    tg.press_button(user, ask.id, next(d for d in callback_data(ask) if d.startswith(b"a:")))
    wait_text(tg, user, f"{ADDED} #{issue_id}", count=3)
    text, location, contact = own_comments(emu, issue_id, contact_id, count=3)
    assert text["content"] == "Первая строка<br>вторая строка &lt;b&gt;не тег&lt;/b&gt;"
    assert not text["attachments"] and not location["attachments"] and not contact["attachments"]
    assert "55.751244, 37.618423" in location["content"]
    assert re.search(r"https://yandex\.ru/maps/\?pt=37\.618423,55\.751244", location["content"])
    assert "Мария Сидорова" in contact["content"] and "79990001122" in contact["content"]
    # Someone else's contact is words, not a new link: the client is still who they were.
    assert emu.get_contacts() == contacts_before
    assert sum(t.startswith("Готово") for t in texts_to(tg, user)) == 1
    assert not [t for t in texts_to(tg, user) if "Это не ваш номер" in t]
    assert len(daemon.find("client_linked", tg_user_id=user.id)) == 1
    assert not daemon.find("contact_refused_not_own")


# How Telegram pushes an album's items is assumed (tests/tgserver/README.md): each apart, or all at once.
@pytest.mark.parametrize("apart", [0.05, 0.25, None], ids=["apart", "far-apart", "together"])
def test_album_with_caption_is_one_comment_with_numbered_files(apart, make_daemon, emu, tg) -> None:
    tg.options.album_items_apart = apart
    # The items come up to 0.25 s apart; the album is taken as one after sync.album_settle of quiet. On a
    # loaded 2-core machine a 0.05 s margin (the suite's 0.3 s) split it: settle here leaves room.
    daemon, user, issue_id, contact_id = start(make_daemon, emu, tg, sync={"album_settle": 1.0})
    comment_mode(tg, user, issue_id)
    photos = [make_png(100 + i, 60) for i in range(3)]
    ids = tg.send_album(user, [dict(kind="photo", data=photos[0], caption="Три фото с места"),
                               dict(kind="photo", data=photos[1]), dict(kind="photo", data=photos[2])])
    wait_text(tg, user, f"{ADDED} #{issue_id}")
    (comment,) = own_comments(emu, issue_id, contact_id)
    assert "Три фото с места" in comment["content"]
    expected = [f"photo_{stamp(tg, mid, TZ)}_{n}.jpg" for n, mid in enumerate(ids, start=1)]
    assert names(comment["attachments"]) == expected
    assert [a["sha256"] for a in comment["attachments"]] == [sha(p) for p in photos]
    daemon.wait_cycles(2)
    assert len(emu.comments_by(issue_id, author=("contact", contact_id))) == 1
    assert sum(ADDED in t for t in texts_to(tg, user)) == 1
    assert daemon.find("inbound_posted", files=3, issue_id=issue_id)


def test_mixed_albums_are_one_comment_each_names_kept(make_daemon, emu, tg) -> None:
    daemon, user, issue_id, contact_id = start(make_daemon, emu, tg)
    card = open_card(tg, user, issue_id)
    docs = [("Акт сверки.xlsx", b"PK\x03\x04" + bytes(3000)), ("Счёт №15.pdf", b"%PDF-1.4" + bytes(2000)),
            ("readme.txt", "пояснение".encode())]
    tg.send_album(user, [dict(kind="document", data=d, file_name=n, reply_to=card.id) for n, d in docs])
    wait_text(tg, user, f"{ADDED} #{issue_id}")
    (comment,) = own_comments(emu, issue_id, contact_id)
    assert names(comment["attachments"]) == [n for n, _ in docs]
    assert [a["sha256"] for a in comment["attachments"]] == [sha(d) for _, d in docs]
    # Photos and videos mixed: the photo's made-up name is numbered, the video keeps its own.
    photo, clip = make_png(64, 64), b"\x00\x00\x00\x18ftypmp42" + bytes(3000)
    ids = tg.send_album(user, [dict(kind="photo", data=photo, reply_to=card.id),
                               dict(kind="video", data=clip, file_name="clip.mp4")])
    wait_text(tg, user, f"{ADDED} #{issue_id}", count=2)
    first, second = own_comments(emu, issue_id, contact_id, count=2)
    assert names(second["attachments"]) == [f"photo_{stamp(tg, ids[0], TZ)}_1.jpg", "clip.mp4"]
    assert [a["sha256"] for a in second["attachments"]] == [sha(photo), sha(clip)]
    daemon.wait_cycles(2)
    assert len(emu.comments_by(issue_id, author=("contact", contact_id))) == 2


# ---------------------------------------------------------------- new issues with files


def issue_posts(emu: Any) -> int:
    return emu.count_requests(r"^/api/v1/issues/?$", method="POST")


def test_new_issue_from_album_is_one_post_with_all_files_and_no_echo(make_daemon, emu, tg) -> None:
    emu.options.api_key_role = "administrator"  # the author is accepted at once: one POST says it all
    daemon, user, _, contact_id = start(make_daemon, emu, tg)
    new_issue_mode(tg, user)
    photos = [make_png(80, 60 + i) for i in range(3)]
    caption = "Разбит монитор на ресепшене"
    ids = tg.send_album(user, [dict(kind="photo", data=photos[0], caption=caption),
                               dict(kind="photo", data=photos[1]), dict(kind="photo", data=photos[2])])
    (confirm,) = wait_text(tg, user, CREATED)
    issues = emu.issues_of_contact(contact_id)
    assert len(issues) == 2
    issue = issues[-1]
    assert issue_posts(emu) == 1
    assert issue["title"] == caption and f"#{issue['id']} «{caption}»" in confirm.text
    assert names(issue["attachments"]) == [f"photo_{stamp(tg, mid, TZ)}_{n}.jpg" for n, mid in enumerate(ids, 1)]
    assert [a["sha256"] for a in issue["attachments"]] == [sha(p) for p in photos]
    assert caption in issue["description"]
    # The daemon's own files and words never come back to the client as staff news.
    before = len(tg.sent_to(user))
    daemon.wait_cycles(3)
    later = texts_to(tg, user)[before:]
    assert not [t for t in later if "Добавлены файлы" in t or caption in t or "📎" in t], later
    assert not [s for s in tg.sent_to(user) if s.media_kind]
    assert issue_posts(emu) == 1 and len(emu.issues_of_contact(contact_id)) == 2


def test_new_issue_titles_without_words(make_daemon, emu, tg) -> None:
    """No caption: the first file's name; a bare location: "Местоположение"."""
    emu.options.api_key_role = "administrator"
    daemon, user, _, contact_id = start(make_daemon, emu, tg)
    new_issue_mode(tg, user)
    tg.send_album(user, [dict(kind="document", data=b"log " * 300, file_name="журнал ошибок.log"),
                         dict(kind="document", data=b"cfg " * 100, file_name="settings.ini")])
    wait_text(tg, user, CREATED)
    new_issue_mode(tg, user)
    tg.send_media(user, "location", lat=56.838011, long=60.597474)
    wait_text(tg, user, CREATED, count=2)
    _, files_issue, place_issue = emu.issues_of_contact(contact_id)
    assert files_issue["title"] == "журнал ошибок.log"
    assert names(files_issue["attachments"]) == ["журнал ошибок.log", "settings.ini"]
    assert place_issue["title"] == "Местоположение"
    assert "56.838011, 60.597474" in place_issue["description"]
    assert issue_posts(emu) == 2


def test_long_texts_get_short_titles(make_daemon, emu, tg) -> None:
    daemon, user, _, contact_id = start(make_daemon, emu, tg)
    sentence = "Не запускается программа учёта на кассе номер три."
    first = sentence + " После обновления вчера вечером появляется ошибка базы данных и окно сразу закрывается."
    second = ("Когда открываю отчёт по продажам за прошлый месяц в браузере на рабочем компьютере бухгалтерии "
              "страница долго грузится и потом показывает пустую таблицу")
    for n, text in enumerate((first, second), start=1):
        new_issue_mode(tg, user)
        tg.send_text(user, text)
        wait_text(tg, user, CREATED, count=n)
    _, one, two = emu.issues_of_contact(contact_id)
    assert one["title"] == sentence
    assert two["title"].endswith("…") and len(two["title"]) <= 80
    words = two["title"][:-1].split(" ")
    assert second.startswith(" ".join(words)) and second.split(" ")[len(words) - 1] == words[-1]
    assert len(" ".join(second.split(" ")[:len(words) + 1])) + 1 > 80  # as many whole words as fit
    assert one["description"] == first and two["description"] == second
