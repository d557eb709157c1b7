"""The planner's edges: the exact texts a client and staff read, the boundaries of the file limits,
and what makes two deliveries the same one (their natural keys)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from syncd.formatting.entity_limits import MAX_ENTITIES, MAX_ENTITIES_SIZE, entities_size
from syncd.okdesk.models import Attachment, Comment, Issue
from syncd.sync.planner import (
    Delivery,
    Memory,
    Notice,
    PlanConfig,
    Recipient,
    classify_file,
    plan_issue,
    too_large_notice,
)

MSK = timezone(timedelta(hours=3))
T0 = datetime(2026, 11, 27, 12, 0, tzinfo=MSK)
MB = 1024 * 1024
ALICE = Recipient(tg_user_id=1001, tg_chat_id=1001, okdesk_contact_id=7, language="ru", name="Белова Алиса")
BOB = Recipient(tg_user_id=2002, tg_chat_id=2002, okdesk_contact_id=8, language="en", name="Orlov Boris")
CFG = PlanConfig(max_file_bytes=50 * MB, status_names={"opened": "Открыта", "completed": "Решена"},
                 notices_enabled=True, tz=MSK)


def att(aid: int, name: str, size: int | None = 1000, public: bool = True, name_known: bool = True) -> Attachment:
    return Attachment(id=aid, file_name=name, size=size, is_public=public, description="",
                      created_at=T0 + timedelta(minutes=1), name_known=name_known)


def issue(status: str = "opened", attachments: tuple[Attachment, ...] = (), status_name: str | None = None,
          updated_at: datetime | None = T0) -> Issue:
    return Issue(id=123, title="Не печатает принтер", status_code=status, status_name=status_name, contact_id=7,
                 company_id=None, created_at=T0 - timedelta(days=1), updated_at=updated_at, comments_count=None,
                 comments_last_at=None, attachments=attachments)


def comment(cid: int, files: tuple[Attachment, ...], text: str = "<p>Ответ</p>") -> Comment:
    return Comment(id=cid, content_html=text, public=True, published_at=T0 + timedelta(minutes=1), author_id=5,
                   author_type="employee", author_name="Иванов Сергей", attachments=files)


def memory(status: str | None = "opened", **kw: object) -> Memory:
    return replace(Memory(followed_at=T0, baseline_done=True, status_code=status), **kw)  # type: ignore[arg-type]


def text_of(delivery: Delivery, step: int = 0) -> str:
    text = delivery.steps[step].text
    assert text is not None
    return text.text


def sent_files(delivery: Delivery) -> list[tuple[int, str, int | None, str]]:
    return [(f.attachment_id, f.file_name, f.size, f.send_as) for s in delivery.steps for f in s.files]


# ---------------------------------------------------------------- status changes


def test_a_status_change_is_one_text_message_to_each_recipient_in_their_language() -> None:
    plan = plan_issue(issue("completed"), [], memory(), [ALICE, BOB], CFG)
    alice, bob = plan.deliveries
    for delivery, rcp in ((alice, ALICE), (bob, BOB)):
        assert (delivery.what, delivery.tg_chat_id, delivery.okdesk_issue_id, delivery.okdesk_comment_id) == (
            "status", rcp.tg_chat_id, 123, None)
        assert [step.kind for step in delivery.steps] == ["text"]
    assert text_of(alice) == "#123 «Не печатает принтер»: Открыта → Решена"
    assert text_of(bob) == "#123 “Не печатает принтер”: Открыта → Решена"
    assert alice.dedupe_key != bob.dedupe_key and all(d.dedupe_key for d in plan.deliveries)


def test_a_status_without_a_configured_name_shows_okdesks_name_else_its_code() -> None:
    named = plan_issue(issue("waiting", status_name="Ожидание"), [], memory("custom_old"), [ALICE], CFG)
    assert text_of(named.deliveries[0]) == "#123 «Не печатает принтер»: custom_old → Ожидание"
    bare = plan_issue(issue("waiting"), [], memory("custom_old"), [ALICE], CFG)
    assert text_of(bare.deliveries[0]) == "#123 «Не печатает принтер»: custom_old → waiting"


def test_the_same_status_change_seen_again_is_the_same_delivery_and_a_later_one_is_new() -> None:
    def key(updated_at: datetime | None) -> str:
        (delivery,) = plan_issue(issue("completed", updated_at=updated_at), [], memory(), [ALICE], CFG).deliveries
        return delivery.dedupe_key

    assert key(T0) == key(T0)
    # Completed, reopened and completed once more: the second completion is news too.
    assert key(T0) != key(T0 + timedelta(hours=2))
    # Okdesk gave no update time: still one delivery, the same on every poll.
    assert key(None) == key(None) != key(T0)


# ---------------------------------------------------------------- files added without a comment


def test_files_added_without_a_comment_are_announced_in_the_recipients_language() -> None:
    files = (att(1, "a.pdf"), att(2, "backup.iso", size=60 * MB))
    plan = plan_issue(issue(attachments=files), [], memory(), [ALICE, BOB], CFG)
    alice, bob = plan.deliveries
    for delivery, rcp in ((alice, ALICE), (bob, BOB)):
        assert (delivery.what, delivery.tg_chat_id, delivery.okdesk_issue_id, delivery.okdesk_comment_id) == (
            "files", rcp.tg_chat_id, 123, None)
        assert sent_files(delivery) == [(1, "a.pdf", 1000, "document")]
    assert text_of(alice) == (
        "Заявка #123 «Не печатает принтер»\nДобавлены файлы: 2\n\n"
        "📎 backup.iso (60 МБ) — файл слишком большой для Telegram, он доступен в заявке.")
    assert text_of(bob) == (
        "Request #123 “Не печатает принтер”\nFiles added: 2\n\n"
        "📎 backup.iso (60 MB) is too large for Telegram; it is available in the request.")
    header = alice.steps[0].text.entities[0]  # type: ignore[union-attr]
    assert (header.kind, header.offset, header.length) == ("bold", 0, len("Заявка #123 «Не печатает принтер»"))


def test_files_added_on_later_polls_are_new_deliveries_each_time() -> None:
    first = plan_issue(issue(attachments=(att(1, "a.pdf"),)), [], memory(), [ALICE], CFG)
    later_issue = issue(attachments=(att(1, "a.pdf"), att(2, "b.pdf")))
    later = plan_issue(later_issue, [], memory(seen_attachment_ids=first.seen_attachment_ids), [ALICE], CFG)
    (one,), (two,) = first.deliveries, later.deliveries
    assert sent_files(two) == [(2, "b.pdf", 1000, "document")]
    assert one.dedupe_key != two.dedupe_key
    # The same files seen again (the seen marks lost with a crash before commit): the same delivery.
    again = plan_issue(later_issue, [], memory(seen_attachment_ids=first.seen_attachment_ids), [ALICE], CFG)
    assert again.deliveries[0].dedupe_key == two.dedupe_key


# ---------------------------------------------------------------- the limits


def test_a_file_exactly_at_the_limit_is_sent_and_one_byte_more_is_not() -> None:
    files = (att(1, "at.zip", size=CFG.max_file_bytes), att(2, "over.zip", size=CFG.max_file_bytes + 1))
    plan = plan_issue(issue(), [comment(9, files)], memory(), [ALICE], CFG)
    (delivery,) = plan.deliveries
    assert [f[1] for f in sent_files(delivery)] == ["at.zip"]
    assert "over.zip" in text_of(delivery) and "at.zip" not in text_of(delivery)
    assert [n.text for n in plan.notices] == [
        "Файл «over.zip» (50 МБ), добавленный 27.11.2026 12:01, больше предела для передачи в Telegram (50 МБ), "
        "поэтому клиент Белова Алиса получил из Telegram-канала службы поддержки (бота) только его название.\n"
        "Что сделать: отправьте файл клиенту другим способом (например, по электронной почте) или приложите "
        "файл меньшего размера."]


def test_an_image_exactly_at_telegrams_photo_limit_is_still_a_photo() -> None:
    cfg = PlanConfig(max_file_bytes=50 * MB)
    assert classify_file(att(1, "a.jpg", size=10 * MB), cfg) == "photo"
    assert classify_file(att(1, "a.jpg", size=10 * MB + 1), cfg) == "document"
    assert classify_file(att(1, "a.jpg", size=None), cfg) == "photo"


@pytest.mark.parametrize(("name", "send_as"), [
    ("Скан.JPG", "photo"),
    ("отчёт.v2.final.png", "photo"),  # only the last extension counts
    ("photo.jpg.pdf", "document"),
    ("clip.tar.mp4", "video"),
    ("jpg", "document"),  # no extension at all, whatever the name
    ("mp4", "document"),
    ("README", "document"),
])
def test_a_file_is_sent_as_its_last_extension_says(name: str, send_as: str) -> None:
    assert classify_file(att(1, name), PlanConfig(max_file_bytes=50 * MB)) == send_as


# ---------------------------------------------------------------- staff notices


def too_large(issue_id: int, attachment_id: int, name: str, size: int | None, limit: int,
              added_at: datetime | None = None) -> Notice:
    return too_large_notice(issue_id, attachment_id, name, size, limit, client="Белова Алиса", added_at=added_at,
                            tz=MSK)


def test_the_staff_notice_names_the_file_its_size_the_limit_the_client_and_what_to_do() -> None:
    notice = too_large(123, 2, "backup.iso", 60 * MB, 50 * MB)
    assert notice.okdesk_issue_id == 123
    assert notice.text == (
        "Файл «backup.iso» (60 МБ) больше предела для передачи в Telegram (50 МБ), поэтому клиент Белова Алиса "
        "получил из Telegram-канала службы поддержки (бота) только его название.\n"
        "Что сделать: отправьте файл клиенту другим способом (например, по электронной почте) или приложите "
        "файл меньшего размера.")
    # A size the download found out only: shown as unknown, not as "None".
    assert "(?)" in too_large(123, 2, "backup.iso", None, 50 * MB).text
    # Dated as Okdesk shows dates, in the account's time zone.
    dated = too_large(123, 2, "backup.iso", 60 * MB, 50 * MB, added_at=datetime(2026, 12, 8, 6, 30, tzinfo=timezone.utc))
    assert "«backup.iso» (60 МБ), добавленный 08.12.2026 09:30, больше" in dated.text
    assert dated.dedupe_key == notice.dedupe_key  # the same file is one notice, whoever dates it


def test_the_planner_and_the_sender_write_the_same_notice_once_per_file() -> None:
    files = (att(2, "backup.iso", size=60 * MB), att(3, "disk.img", size=70 * MB))
    plan = plan_issue(issue(), [comment(9, files)], memory(), [ALICE, BOB], CFG)
    # One notice per file, whoever the recipients are (each named); the sender's later notice is the same row.
    assert all("клиент Белова Алиса, Orlov Boris получил" in n.text for n in plan.notices)
    assert [n.dedupe_key for n in plan.notices] == [
        too_large(123, 2, "backup.iso", None, 50 * MB).dedupe_key,
        too_large(123, 3, "disk.img", 70 * MB, 50 * MB).dedupe_key]
    assert len({n.dedupe_key for n in plan.notices}) == 2
    assert too_large(124, 2, "backup.iso", 60 * MB, 50 * MB).dedupe_key != plan.notices[0].dedupe_key


# ---------------------------------------------------------------- a comment's files as the issue lists them


def test_a_comment_file_given_by_id_only_takes_name_size_and_publicity_from_the_issue() -> None:
    listed = (att(1, "акт.pdf", size=2000), att(2, "internal.xlsx", public=False))
    bare = (att(1, "file", size=None, name_known=False), att(2, "file", size=None, name_known=False))
    plan = plan_issue(issue(attachments=listed), [comment(9, bare)], memory(), [ALICE], CFG)
    (delivery,) = plan.deliveries
    assert sent_files(delivery) == [(1, "акт.pdf", 2000, "document")]
    assert plan.seen_attachment_ids == {1, 2}


def test_a_comment_file_the_issue_does_not_list_is_still_delivered() -> None:
    bare = (att(1, "file", size=None, name_known=False),)
    (delivery,) = plan_issue(issue(), [comment(9, bare)], memory(), [ALICE], CFG).deliveries
    assert sent_files(delivery) == [(1, "file", None, "document")]


def test_a_comment_file_that_names_itself_is_sent_as_the_comment_names_it() -> None:
    listed = (att(1, "старое имя.pdf", size=5000),)
    own = (att(1, "скан.pdf", size=1000),)
    (delivery,) = plan_issue(issue(attachments=listed), [comment(9, own)], memory(), [ALICE], CFG).deliveries
    assert sent_files(delivery) == [(1, "скан.pdf", 1000, "document")]


# ---------------------------------------------------------------- comments


def test_a_files_only_comment_says_who_sent_how_many_files_with_a_reply_button_under_the_text() -> None:
    files = (att(1, "a.pdf"), att(2, "backup.iso", size=60 * MB), att(3, "b.jpg"))
    (delivery,) = plan_issue(issue(), [comment(9, files, text="")], memory(), [BOB], CFG).deliveries
    assert (delivery.what, delivery.okdesk_issue_id, delivery.okdesk_comment_id) == ("comment", 123, 9)
    assert text_of(delivery) == (
        "Request #123 “Не печатает принтер”\nИванов Сергей:\n📎 Files: 3\n\n"
        "📎 backup.iso (60 MB) is too large for Telegram; it is available in the request.")
    title = "Request #123 “Не печатает принтер”"
    assert [(e.kind, e.offset, e.length) for e in delivery.steps[0].text.entities] == [  # type: ignore[union-attr]
        ("bold", 0, len(title)), ("italic", len(title) + 1, len("Иванов Сергей:"))]
    assert [(s.kind, s.buttons) for s in delivery.steps] == [
        ("text", ((("💬 Reply", "c:123"),),)), ("file", ()), ("file", ())]


def test_only_the_last_part_of_a_long_comment_carries_the_reply_button() -> None:
    body = "<p>" + ("слово " * 2000) + "</p>"
    (delivery,) = plan_issue(issue(), [comment(3, (att(1, "a.pdf"),), text=body)], memory(), [ALICE],
                             CFG).deliveries
    kinds = [s.kind for s in delivery.steps]
    assert kinds[-1] == "file" and kinds.count("text") >= 3
    last_text = len(kinds) - 2
    assert [bool(s.buttons) for s in delivery.steps] == [i == last_text for i in range(len(kinds))]
    assert delivery.steps[last_text].buttons == ((("💬 Ответить", "c:123"),),)


def test_a_single_photo_is_one_file_and_the_eleventh_is_one_too() -> None:
    (one,) = plan_issue(issue(), [comment(9, (att(1, "a.jpg"),))], memory(), [ALICE], CFG).deliveries
    assert [(s.kind, [f.attachment_id for f in s.files]) for s in one.steps] == [("text", []), ("file", [1])]
    photos = tuple(att(100 + i, f"shot{i}.png") for i in range(11))
    (many,) = plan_issue(issue(), [comment(9, photos)], memory(), [ALICE], CFG).deliveries
    assert [(s.kind, len(s.files)) for s in many.steps] == [("text", 0), ("album", 10), ("file", 1)]
    assert many.steps[2].files[0].attachment_id == 110


def test_files_over_the_limit_are_listed_one_a_line() -> None:
    files = (att(1, "a.iso", size=60 * MB), att(2, "b.iso", size=70 * MB))
    (delivery,) = plan_issue(issue(), [comment(9, files)], memory(), [ALICE], CFG).deliveries
    assert text_of(delivery).endswith(
        "Ответ\n\n📎 a.iso (60 МБ) — файл слишком большой для Telegram, он доступен в заявке.\n"
        "📎 b.iso (70 МБ) — файл слишком большой для Telegram, он доступен в заявке.")


def test_a_comment_with_many_formatted_words_is_split_within_telegrams_entity_limits() -> None:
    many = "<p>" + " ".join(f"<b>w{i}</b>" for i in range(250)) + "</p>"
    big = "<p><b><i><u>" + ("слово " * 650) + "</u></i></b></p>"
    for body in (many, big):
        (delivery,) = plan_issue(issue(), [comment(3, (), text=body)], memory(), [ALICE], CFG).deliveries
        texts = [s.text for s in delivery.steps if s.text is not None]
        assert len(texts) >= 2
        assert all(len(p.entities) <= MAX_ENTITIES and entities_size(p.entities) <= MAX_ENTITIES_SIZE for p in texts)
    assert "".join(p.text for p in texts).count("слово") == 650


def test_comments_are_delivered_in_the_order_they_were_written_not_by_id() -> None:
    late = replace(comment(5, ()), published_at=T0 + timedelta(minutes=3))
    early = replace(comment(10, ()), published_at=T0 + timedelta(minutes=2))
    plan = plan_issue(issue(), [late, early], memory(), [ALICE], CFG)
    assert [d.okdesk_comment_id for d in plan.deliveries] == [10, 5]


def test_a_clients_comment_reaches_the_colleagues_following_the_issue_but_not_its_author() -> None:
    own = replace(comment(9, ()), author_type="contact", author_id=ALICE.okdesk_contact_id)
    plan = plan_issue(issue(), [own], memory(), [ALICE, BOB], CFG)
    assert [d.tg_chat_id for d in plan.deliveries] == [BOB.tg_chat_id]


# ---------------------------------------------------------------- files added to the issue itself


def test_a_private_file_added_to_the_issue_is_never_delivered() -> None:
    plan = plan_issue(issue(attachments=(att(1, "internal.xlsx", public=False),)), [], memory(), [ALICE], CFG)
    assert plan.deliveries == () and plan.seen_attachment_ids == {1}


def test_at_the_first_look_files_dated_after_following_are_new_and_older_ones_are_history() -> None:
    old = replace(att(1, "old.pdf"), created_at=T0 - timedelta(days=2))
    new = replace(att(2, "new.pdf"), created_at=T0 + timedelta(seconds=5))
    plan = plan_issue(issue(attachments=(old, new)), [], memory(baseline_done=False), [ALICE], CFG)
    (delivery,) = plan.deliveries
    assert sent_files(delivery) == [(2, "new.pdf", 1000, "document")]
    assert plan.seen_attachment_ids == {1, 2}


def test_what_okdesk_dates_at_the_very_moment_of_following_is_history() -> None:
    # The daemon follows an issue it just created at the latest moment the issue shows (its own files
    # included): an item dated exactly then is the client's own, never sent back to them.
    at_the_moment = replace(att(1, "own.pdf"), created_at=T0)
    a_moment_later = replace(att(2, "staff.pdf"), created_at=T0 + timedelta(microseconds=1))
    plan = plan_issue(issue(attachments=(at_the_moment, a_moment_later)), [], memory(baseline_done=False),
                      [ALICE], CFG)
    (delivery,) = plan.deliveries
    assert sent_files(delivery) == [(2, "staff.pdf", 1000, "document")]


def test_a_file_too_large_added_to_the_issue_gets_a_staff_notice_once() -> None:
    big = att(2, "backup.iso", size=60 * MB)
    plan = plan_issue(issue(attachments=(big,)), [], memory(), [ALICE, BOB], CFG)
    assert [n.dedupe_key for n in plan.notices] == [too_large(123, 2, "backup.iso", None, 50 * MB).dedupe_key]


def test_nobody_to_tell_means_no_notice_that_a_client_missed_a_file() -> None:
    big = att(2, "backup.iso", size=60 * MB)
    assert plan_issue(issue(attachments=(big,)), [comment(9, (big,))], memory(), [], CFG).notices == ()
    assert plan_issue(issue(attachments=(big,)), [], memory(), [], CFG).notices == ()


# ---------------------------------------------------------------- natural keys


def test_ordinary_keys_are_readable_and_very_long_ones_still_fit_the_column() -> None:
    (delivery,) = plan_issue(issue(), [comment(9, ())], memory(), [ALICE], CFG).deliveries
    assert delivery.dedupe_key == "comment:9:chat:1001"
    # Forty files at once: a key past the column's 200 characters, hashed; another set sharing its
    # beginning is still another key.
    def files_key(last: int) -> str:
        files = tuple(att(1_000_000 + i, f"{i}.pdf") for i in range(39)) + (att(last, "last.pdf"),)
        (d,) = plan_issue(issue(attachments=files), [], memory(), [ALICE], CFG).deliveries
        return d.dedupe_key

    first, second = files_key(5), files_key(6)
    assert first != second and len(first) <= 190 and len(second) <= 190
    assert first.startswith("files:123:1000000,1000001,")


def test_staff_notices_switched_off_are_not_planned() -> None:
    big = att(2, "backup.iso", size=60 * MB)
    quiet = replace(CFG, notices_enabled=False)
    plan = plan_issue(issue(attachments=(big,)), [comment(9, (big,))], memory(), [ALICE], quiet)
    assert plan.notices == () and len(plan.deliveries) == 1
