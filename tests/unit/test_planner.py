"""The Okdesk -> Telegram planner: pure decisions, tested without any server."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.okdesk.models import Attachment, Comment, Issue
from syncd.sync.codec import delivery_payload, payload_steps
from syncd.sync.planner import Memory, PlanConfig, Recipient, plan_issue

MSK = timezone(timedelta(hours=3))
T0 = datetime(2026, 11, 27, 12, 0, tzinfo=MSK)
ALICE = Recipient(tg_user_id=1001, tg_chat_id=1001, okdesk_contact_id=7, language="ru")
CFG = PlanConfig(max_file_bytes=50 * 1024 * 1024, status_names={"opened": "Открыта", "in_progress": "В работе",
                                                                  "completed": "Решена"}, notices_enabled=True)


def att(aid: int, name: str, size: int = 1000, public: bool = True, at: datetime = T0) -> Attachment:
    return Attachment(id=aid, file_name=name, size=size, is_public=public, description="", created_at=at)


def issue(status: str = "opened", attachments: tuple[Attachment, ...] = (), contact_id: int = 7) -> Issue:
    return Issue(id=123, title="Не печатает принтер", status_code=status, status_name=None, contact_id=contact_id,
                 company_id=None, created_at=T0 - timedelta(days=1), updated_at=T0, comments_count=None,
                 comments_last_at=None, attachments=attachments)


def comment(cid: int, text: str = "<p>Ответ</p>", at: datetime = T0 + timedelta(minutes=1), public: bool = True,
            author: tuple[str, int] = ("employee", 5), files: tuple[Attachment, ...] = ()) -> Comment:
    return Comment(id=cid, content_html=text, public=public, published_at=at, author_id=author[1],
                   author_type=author[0], author_name="Иванов Сергей", attachments=files)


def memory(**kw: object) -> Memory:
    base = Memory(followed_at=T0, baseline_done=True, status_code="opened")
    return replace(base, **kw)  # type: ignore[arg-type]


def test_baseline_marks_history_seen_and_delivers_only_what_came_after_following() -> None:
    old, new = comment(1, at=T0 - timedelta(hours=1)), comment(2, at=T0 + timedelta(seconds=5))
    plan = plan_issue(issue(), [new, old], memory(baseline_done=False, status_code=None), [ALICE], CFG)
    assert [d.okdesk_comment_id for d in plan.deliveries] == [2]
    assert plan.seen_comment_ids == {1, 2}
    assert plan.status_code == "opened"


def test_baseline_does_not_announce_the_current_status() -> None:
    plan = plan_issue(issue("in_progress"), [], memory(baseline_done=False, status_code=None), [ALICE], CFG)
    assert plan.deliveries == ()


def test_comment_delivery_has_header_author_and_converted_text() -> None:
    plan = plan_issue(issue(), [comment(5, "<div><b>Готово</b>&nbsp;&laquo;ок&raquo;</div>")], memory(), [ALICE], CFG)
    (delivery,) = plan.deliveries
    text = delivery.steps[0].text
    assert text is not None
    assert text.text.startswith("Заявка #123 «Не печатает принтер»\nИванов Сергей:\n\n")
    assert "Готово" in text.text and "«ок»" in text.text and "<" not in text.text
    assert delivery.tg_chat_id == ALICE.tg_chat_id


def test_never_forwarded_private_own_and_clients_own_words() -> None:
    comments = [comment(1, public=False), comment(2, author=("contact", 7)), comment(3)]
    plan = plan_issue(issue(), comments, memory(own_comment_ids=frozenset({3})), [ALICE], CFG)
    assert plan.deliveries == ()
    assert plan.seen_comment_ids == {1, 2, 3}


def test_colleague_contact_comment_is_forwarded() -> None:
    plan = plan_issue(issue(), [comment(4, author=("contact", 99))], memory(), [ALICE], CFG)
    assert [d.okdesk_comment_id for d in plan.deliveries] == [4]


def test_status_change_uses_names_read_from_okdesk() -> None:
    plan = plan_issue(issue("completed"), [], memory(status_code="in_progress"), [ALICE], CFG)
    (delivery,) = plan.deliveries
    assert delivery.steps[0].text.text == "#123 «Не печатает принтер»: В работе → Решена"  # type: ignore[union-attr]


def test_unchanged_status_is_not_announced_again() -> None:
    assert plan_issue(issue("in_progress"), [], memory(status_code="in_progress"), [ALICE], CFG).deliveries == ()


def test_images_become_albums_of_at_most_ten_and_documents_keep_names() -> None:
    photos = tuple(att(100 + i, f"shot{i}.jpg") for i in range(12))
    files = (*photos, att(200, "акт сверки.pdf"), att(201, "demo.mp4"), att(202, "hidden.png", public=False))
    (delivery,) = plan_issue(issue(), [comment(9, files=files)], memory(), [ALICE], CFG).deliveries
    kinds = [(s.kind, len(s.files)) for s in delivery.steps]
    assert kinds == [("text", 0), ("album", 10), ("album", 2), ("file", 1), ("file", 1)]
    assert delivery.steps[3].files[0].file_name == "акт сверки.pdf"
    assert delivery.steps[3].files[0].send_as == "document"
    assert delivery.steps[4].files[0].send_as == "video"
    assert all(f.attachment_id != 202 for s in delivery.steps for f in s.files)


def test_big_image_goes_as_document_and_file_over_limit_becomes_a_line_and_a_staff_notice() -> None:
    files = (att(1, "scan.png", size=11 * 1024 * 1024), att(2, "backup.iso", size=60 * 1024 * 1024))
    plan = plan_issue(issue(), [comment(9, files=files)], memory(), [ALICE], CFG)
    (delivery,) = plan.deliveries
    assert "backup.iso (60 МБ)" in delivery.steps[0].text.text  # type: ignore[union-attr]
    assert [(s.files[0].file_name, s.files[0].send_as) for s in delivery.steps[1:]] == [("scan.png", "document")]
    assert len(plan.notices) == 1 and "backup.iso" in plan.notices[0].text


def test_files_only_comment_is_delivered() -> None:
    (delivery,) = plan_issue(issue(), [comment(9, text="", files=(att(1, "a.pdf"),))], memory(), [ALICE],
                             CFG).deliveries
    assert "Файлы: 1" in delivery.steps[0].text.text  # type: ignore[union-attr]
    assert delivery.steps[1].files[0].attachment_id == 1


def test_comment_files_listed_among_issue_attachments_are_delivered_once() -> None:
    shared = att(1, "a.pdf")
    plan = plan_issue(issue(attachments=(shared, att(2, "b.pdf"))), [comment(9, files=(shared,))], memory(),
                      [ALICE], CFG)
    delivered = [f.attachment_id for d in plan.deliveries for s in d.steps for f in s.files]
    assert sorted(delivered) == [1, 2]
    assert [d.what for d in plan.deliveries] == ["comment", "files"]


def test_private_comment_files_never_leak_through_issue_attachments() -> None:
    secret = att(1, "internal.xlsx")
    plan = plan_issue(issue(attachments=(secret,)), [comment(9, public=False, files=(secret,))], memory(), [ALICE], CFG)
    assert plan.deliveries == ()


def test_each_recipient_gets_its_own_delivery() -> None:
    bob = Recipient(tg_user_id=2002, tg_chat_id=2002, okdesk_contact_id=7, language="en")
    plan = plan_issue(issue(), [comment(3)], memory(), [ALICE, bob], CFG)
    assert sorted(d.tg_chat_id for d in plan.deliveries) == [1001, 2002]
    assert len({d.dedupe_key for d in plan.deliveries}) == 2
    assert plan.deliveries[1].steps[0].text.text.startswith("Request #123")  # type: ignore[union-attr]


def test_long_comment_is_split_not_cut() -> None:
    body = "<p>" + ("слово " * 2000) + "</p>"
    (delivery,) = plan_issue(issue(), [comment(3, text=body)], memory(), [ALICE], CFG).deliveries
    texts = [s.text.text for s in delivery.steps if s.text is not None]
    assert len(texts) >= 3 and all(len(t) <= 4096 for t in texts)
    assert "".join(texts).count("слово") == 2000


def test_payload_round_trip() -> None:
    files = (att(1, "a.jpg"), att(2, "b.jpg"), att(3, "c.pdf"))
    (delivery,) = plan_issue(issue(), [comment(3, text="<b>x</b>", files=files)], memory(), [ALICE], CFG).deliveries
    what, comment_id, steps = payload_steps(delivery_payload(delivery))
    assert (what, comment_id, steps) == ("comment", 3, delivery.steps)


# ---------------------------------------------------------------- properties

comment_st = st.builds(
    lambda cid, minutes, public, author: comment(cid, at=T0 + timedelta(minutes=minutes), public=public,
                                                 author=author),
    st.integers(1, 60), st.integers(-30, 30), st.booleans(),
    st.sampled_from([("employee", 5), ("contact", 7), ("contact", 99)]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(comment_st, unique_by=lambda c: c.id, max_size=25), st.data())
def test_every_new_public_foreign_comment_is_delivered_exactly_once_over_any_sequence_of_polls(
        comments: list[Comment], data: st.DataObject) -> None:
    """Comments appear over several polls in any order; remembering what each plan saw, each
    deliverable comment is planned once, and nothing else ever is."""
    mem = memory(baseline_done=False, status_code=None)
    planned: list[int] = []
    # History exists before following: all of it is visible at the first look.
    visible: list[Comment] = [c for c in comments if c.published_at <= T0]
    pending = [c for c in comments if c.published_at > T0]
    while pending or not visible:
        take = data.draw(st.integers(0, len(pending)))
        visible += [pending.pop(0) for _ in range(take)]
        shown = data.draw(st.permutations(visible))
        plan = plan_issue(issue(), shown, mem, [ALICE], CFG)
        planned += [d.okdesk_comment_id for d in plan.deliveries]  # type: ignore[misc]
        mem = replace(mem, baseline_done=True, status_code=plan.status_code,
                      seen_comment_ids=mem.seen_comment_ids | plan.seen_comment_ids,
                      seen_attachment_ids=mem.seen_attachment_ids | plan.seen_attachment_ids)
        if not pending:
            break
    expected = sorted(c.id for c in comments
                      if c.public and c.published_at > T0 and (c.author_type, c.author_id) != ("contact", 7))
    assert sorted(planned) == expected
