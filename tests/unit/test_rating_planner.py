"""The rating request in the completed-status notification: pure planner decisions."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from syncd.sync.codec import delivery_payload, payload_steps
from syncd.sync.planner import PlanConfig, Recipient, plan_issue
from syncd.sync.routing import RATES, decode
from tests.unit.test_planner import ALICE, CFG, issue, memory

RATED = replace(CFG, rating_statuses=frozenset({"completed", "resolved"}))
STATUSES = ("opened", "in_progress", "delayed", "completed", "resolved", "closed")


def _buttons(plan_cfg: PlanConfig, new: str, old: str = "in_progress", rate: str | None = None,
             recipients: tuple[Recipient, ...] = (ALICE,)) -> list[tuple[tuple[tuple[str, str], ...], ...]]:
    plan = plan_issue(replace(issue(new), rate=rate), [], memory(status_code=old), list(recipients), plan_cfg)
    return [d.steps[0].buttons for d in plan.deliveries]


def test_completed_notification_carries_one_row_of_worded_rating_buttons() -> None:
    (buttons,) = _buttons(RATED, "completed")
    (row,) = buttons
    assert [label for label, _ in row] == ["👎 Плохо", "👌 Нормально", "👍 Отлично"]
    callbacks = [decode(data.encode()) for _, data in row]
    assert [(c.verb, c.issue_id, c.rate) for c in callbacks if c] == [("rate", 123, r) for r in RATES]


def test_rating_buttons_speak_the_clients_language() -> None:
    english = replace(ALICE, language="en")
    (buttons,) = _buttons(RATED, "completed", recipients=(english,))
    assert [label for label, _ in buttons[0]] == ["👎 Bad", "👌 OK", "👍 Great"]


def test_no_rating_request_when_off_already_rated_or_not_the_requester() -> None:
    assert _buttons(CFG, "completed") == [()]  # okdesk.ratings = false: no rating statuses
    assert _buttons(RATED, "completed", rate="good") == [()]
    colleague = Recipient(tg_user_id=2002, tg_chat_id=2002, okdesk_contact_id=99)
    assert _buttons(RATED, "completed", recipients=(colleague,)) == [()]


def test_rating_buttons_survive_the_outbox_payload() -> None:
    plan = plan_issue(issue("completed"), [], memory(status_code="in_progress"), [ALICE], RATED)
    (delivery,) = plan.deliveries
    assert payload_steps(delivery_payload(delivery))[2] == delivery.steps


def test_a_repoll_of_the_same_change_is_the_same_single_rating_request() -> None:
    # The predecessor asked twice. The outbox keeps one row per dedupe key: the same change seen by
    # two polls (or by a poll and a webhook-free re-scan) plans the same key, so one message, one request.
    first = plan_issue(issue("completed"), [], memory(status_code="in_progress"), [ALICE], RATED)
    again = plan_issue(issue("completed"), [], memory(status_code="in_progress"), [ALICE], RATED)
    assert [d.dedupe_key for d in first.deliveries] == [d.dedupe_key for d in again.deliveries]
    # Once the change is remembered, the next poll plans nothing at all.
    after = plan_issue(issue("completed"), [], memory(status_code=first.status_code), [ALICE], RATED)
    assert after.deliveries == ()


@given(old=st.sampled_from(STATUSES), new=st.sampled_from(STATUSES),
       rate=st.sampled_from((None, *RATES)), ratings_on=st.booleans())
def test_buttons_exactly_when_a_change_to_a_completed_code_of_an_unrated_issue(
        old: str, new: str, rate: str | None, ratings_on: bool) -> None:
    cfg = RATED if ratings_on else CFG
    got = _buttons(cfg, new, old=old, rate=rate)
    if old == new:
        assert got == []
        return
    (buttons,) = got
    expected = ratings_on and new in ("completed", "resolved") and rate is None
    assert bool(buttons) == expected
    if buttons:
        assert len(buttons) == 1 and len(buttons[0]) == len(RATES)
        assert all(len(data.encode()) <= 64 for _, data in buttons[0])
