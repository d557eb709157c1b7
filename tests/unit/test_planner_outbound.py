"""The planner's decisions about what staff's actions tell the client: an issue created for them is
announced once, on its first look only; a finished issue is said in Okdesk's own word with the rating
asked in the same message; a status change the daemon made itself (a reopening) is not announced back,
and a real change by staff never is swallowed."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from syncd.okdesk.models import Issue
from syncd.sync.planner import (
    Memory,
    OwnStatusChange,
    PlanConfig,
    Recipient,
    announces_creation,
    in_sentence,
    own_change_serves,
    plan_issue,
)

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
ALICE = Recipient(tg_user_id=1001, tg_chat_id=1001, okdesk_contact_id=7, language="ru")
BOB = Recipient(tg_user_id=2002, tg_chat_id=2002, okdesk_contact_id=7, language="en")
NAMES = {"opened": "Открыта", "in_progress": "В работе", "completed": "Решена", "closed": "Закрыта"}
CFG = PlanConfig(max_file_bytes=50 << 20, status_names=NAMES, rating_statuses=frozenset({"completed"}),
                 finished_statuses=frozenset({"completed", "closed"}), own_change_window=600)
STATUSES = st.sampled_from(sorted(NAMES))


def issue(status: str = "opened", created_at: datetime | None = T0, rate: str | None = None,
          contact_id: int = 7) -> Issue:
    return Issue(id=123, title="Не печатает принтер", status_code=status, status_name=None, contact_id=contact_id,
                 company_id=None, created_at=created_at, updated_at=T0 + timedelta(minutes=5), comments_count=None,
                 comments_last_at=None, rate=rate)


def memory(status: str | None = "opened", *, baseline: bool = True, followed_at: datetime = T0,
           own: OwnStatusChange | None = None) -> Memory:
    return Memory(followed_at=followed_at, baseline_done=baseline, status_code=status, own_status_change=own)


def texts(plan_deliveries: tuple) -> list[str]:  # type: ignore[type-arg]
    return [s.text.text for d in plan_deliveries for s in d.steps if s.text is not None]


# ---------------------------------------------------------------- an issue created for the client


def test_an_issue_created_after_following_is_announced_once_per_chat_with_its_buttons() -> None:
    plan = plan_issue(issue(created_at=T0 + timedelta(seconds=3)), [], memory(baseline=False), [ALICE, BOB], CFG)
    alice, bob = plan.deliveries
    assert texts((alice,)) == ["📋 Для вас создана заявка #123 «Не печатает принтер»."]
    assert texts((bob,)) == ["📋 A request has been created for you: #123 “Не печатает принтер”."]
    assert alice.what == "created" and alice.okdesk_issue_id == 123
    assert [label for label, _ in alice.steps[0].buttons[0]] == ["💬 Комментировать", "📄 Подробнее"]
    assert [data for _, data in alice.steps[0].buttons[0]] == ["c:123", "v:123"]
    # The same look again (a crash before the commit) plans the same row: the outbox keeps one.
    again = plan_issue(issue(created_at=T0 + timedelta(seconds=3)), [], memory(baseline=False), [ALICE, BOB], CFG)
    assert [d.dedupe_key for d in again.deliveries] == [d.dedupe_key for d in plan.deliveries]
    assert len({d.dedupe_key for d in plan.deliveries}) == 2


def test_a_created_issue_is_announced_before_its_first_comment_and_status() -> None:
    plan = plan_issue(issue("in_progress", created_at=T0), [], memory("opened", baseline=False), [ALICE], CFG)
    assert [d.what for d in plan.deliveries] == ["created", "status"]


def test_after_the_first_look_nothing_is_announced_again() -> None:
    plan = plan_issue(issue(created_at=T0 + timedelta(seconds=3)), [], memory(baseline=True), [ALICE], CFG)
    assert plan.deliveries == ()


def test_an_issue_older_than_the_following_is_not_announced() -> None:
    # A newly linked client's old issues, an issue handed over to them, the client's own issue from the bot.
    old = issue(created_at=T0 - timedelta(days=30))
    assert plan_issue(old, [], memory(baseline=False), [ALICE], CFG).deliveries == ()
    assert not announces_creation(issue(created_at=None), memory(baseline=False))


@given(created=st.integers(-10_000, 10_000), baseline=st.booleans())
def test_announced_exactly_when_first_look_and_created_since_following(created: int, baseline: bool) -> None:
    it = issue(created_at=T0 + timedelta(seconds=created))
    plan = plan_issue(it, [], memory(baseline=baseline), [ALICE], CFG)
    expected = not baseline and created >= 0
    assert [d.what for d in plan.deliveries] == (["created"] if expected else [])


# ---------------------------------------------------------------- finished: Okdesk's word and the rating


def test_completion_is_said_in_okdesks_word_with_the_rating_in_the_same_message() -> None:
    (alice, bob) = plan_issue(issue("completed"), [], memory("in_progress"), [ALICE, BOB], CFG).deliveries
    assert texts((alice,)) == ["🏁 Заявка #123 «Не печатает принтер»: решена.\n\nОцените, пожалуйста, нашу работу:"]
    assert texts((bob,)) == ["🏁 Request #123 “Не печатает принтер”: решена.\n\nPlease rate our work:"]
    assert len(alice.steps) == 1
    assert [label for label, _ in alice.steps[0].buttons[0]] == ["👎 Плохо", "👌 Нормально", "👍 Отлично"]
    assert [data for _, data in alice.steps[0].buttons[0]] == ["rt:123:1", "rt:123:2", "rt:123:3"]


def test_completion_without_a_rating_to_ask_says_only_the_status() -> None:
    for it, cfg in ((issue("completed", rate="good"), CFG),
                    (issue("completed", contact_id=99), CFG),
                    (issue("completed"), replace(CFG, rating_statuses=frozenset()))):
        (delivery,) = plan_issue(it, [], memory("in_progress"), [ALICE], cfg).deliveries
        assert texts((delivery,)) == ["🏁 Заявка #123 «Не печатает принтер»: решена."]
        assert delivery.steps[0].buttons == ()


def test_closing_is_said_in_okdesks_word_and_not_rated_again() -> None:
    (delivery,) = plan_issue(issue("closed"), [], memory("completed"), [ALICE], CFG).deliveries
    assert texts((delivery,)) == ["🏁 Заявка #123 «Не печатает принтер»: закрыта."]
    assert delivery.steps[0].buttons == ()


def test_other_changes_keep_the_old_and_new_names() -> None:
    (delivery,) = plan_issue(issue("in_progress"), [], memory("opened"), [ALICE], CFG).deliveries
    assert texts((delivery,)) == ["#123 «Не печатает принтер»: Открыта → В работе"]


def test_a_status_name_inside_a_sentence() -> None:
    assert [in_sentence(n) for n in ("Решена", "OK", "SLA нарушен", "в работе", "Я", "")] == [
        "решена", "OK", "SLA нарушен", "в работе", "Я", ""]


# ---------------------------------------------------------------- a change the daemon made itself


REOPEN = OwnStatusChange("completed", "opened", T0)


def test_the_reopening_the_daemon_made_is_not_announced_and_is_then_forgotten() -> None:
    plan = plan_issue(issue("opened"), [], memory("completed", own=REOPEN), [ALICE], CFG,
                      now=T0 + timedelta(seconds=5))
    assert plan.deliveries == () and plan.forget_own_change and plan.status_code == "opened"


def test_a_recorded_change_not_seen_yet_is_kept() -> None:
    plan = plan_issue(issue("completed"), [], memory("completed", own=REOPEN), [ALICE], CFG,
                      now=T0 + timedelta(seconds=5))
    assert plan.deliveries == () and not plan.forget_own_change


def test_another_change_is_news_and_forgets_the_record() -> None:
    plan = plan_issue(issue("in_progress"), [], memory("completed", own=REOPEN), [ALICE], CFG,
                      now=T0 + timedelta(seconds=5))
    assert texts(plan.deliveries) == ["#123 «Не печатает принтер»: Решена → В работе"]
    assert plan.forget_own_change


def test_the_same_change_seen_after_the_window_is_news() -> None:
    late = T0 + timedelta(seconds=601)
    plan = plan_issue(issue("opened"), [], memory("completed", own=REOPEN), [ALICE], CFG, now=late)
    assert texts(plan.deliveries) == ["#123 «Не печатает принтер»: Решена → Открыта"]
    assert plan.forget_own_change
    # Expired, nothing seen: forgotten all the same, so it can never swallow a later change.
    idle = plan_issue(issue("completed"), [], memory("completed", own=REOPEN), [ALICE], CFG, now=late)
    assert idle.deliveries == () and idle.forget_own_change


@given(old=STATUSES, new=STATUSES, own_from=STATUSES, own_to=STATUSES, age=st.integers(-100, 2000),
       recorded=st.booleans())
def test_a_change_is_dropped_only_when_it_is_exactly_the_recorded_one_in_its_window(
        old: str, new: str, own_from: str, own_to: str, age: int, recorded: bool) -> None:
    own = OwnStatusChange(own_from, own_to, T0) if recorded else None
    mem = memory(old, own=own)
    now = T0 + timedelta(seconds=age)
    plan = plan_issue(issue(new), [], mem, [ALICE], CFG, now=now)
    announced = [d for d in plan.deliveries if d.what == "status"]
    ours = recorded and (own_from, own_to) == (old, new) and 0 <= age <= 600
    assert own_change_serves(mem, new, now, 600) == ours
    # Every real change reaches the client; only the daemon's own, seen in time, does not.
    assert len(announced) == (1 if old != new and not ours else 0)
    # Once any change is seen, or the window is over, the record is gone.
    if recorded and (old != new or age > 600):
        assert plan.forget_own_change
    if not recorded:
        assert not plan.forget_own_change


# ---------------------------------------------------------------- a reply to these messages


def test_a_reply_to_any_of_these_messages_names_its_issue() -> None:
    from syncd.sync.routing import Callback, decode, encode, issue_named_in
    from syncd.texts import t

    for lang in ("ru", "en"):
        for key in ("issue_created_for_you", "issue_finished", "bad_rate_followup", "reopened_by_button"):
            text = t(lang, key, issue_id=4321, title="Принтер", status="решена")
            assert issue_named_in(text) == 4321, (lang, key)
    assert decode(encode(Callback("reopen_issue", issue_id=4321))) == Callback("reopen_issue", issue_id=4321)
    assert encode(Callback("reopen_issue", issue_id=4321)) == b"ri:4321"
