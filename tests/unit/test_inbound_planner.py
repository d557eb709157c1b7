"""The next step of a client's job into Okdesk (syncd.sync.inbound): table tests and properties."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncd.sync import inbound as plan
from syncd.sync import refusals
from syncd.sync.answers import OK, Answer, AnswerKind
from syncd.sync.retry import RetryPolicy, counts_against_budget, next_try
from syncd.texts import TEXTS

NOW = datetime(2026, 12, 7, 12, tzinfo=timezone.utc)
POLICY = RetryPolicy(base=1, cap=60, budget=3600)
DEFINITE = (AnswerKind.NOT_FOUND, AnswerKind.FORBIDDEN, AnswerKind.INVALID, AnswerKind.TOO_LARGE,
            AnswerKind.TOKEN_REFUSED, AnswerKind.RATE_LIMITED)
MAYBE_WRITTEN = (AnswerKind.UNAVAILABLE, AnswerKind.OUTCOME_UNKNOWN, AnswerKind.OTHER)
FAILURES = tuple(k for k in AnswerKind if k is not AnswerKind.OK)
CHOICES = (None, plan.REOPEN, plan.REOPENED, plan.REOPEN_REFUSED, "comment")

answers = st.builds(Answer, kind=st.sampled_from(FAILURES), error=st.text(max_size=30),
                    retry_after=st.one_of(st.none(), st.floats(0, 3600)),
                    status=st.one_of(st.none(), st.integers(100, 599)))
names = st.lists(st.text(min_size=1, max_size=12), max_size=5)


def _post(answer: Answer, names: list[str] | tuple[str, ...] = (), *, about_files: bool = False,
          detail: str = "", words: tuple[str, ...] | list[str] = ()) -> plan.PostStep:
    return plan.after_post(answer, file_names=list(names), about_files=about_files, detail=detail, words=words)


def test_the_names_the_store_keeps_and_the_texts_they_choose() -> None:
    # Kept in inbound_jobs.finished_choice and dropped_files: a renamed value would strand old rows.
    assert (plan.REOPEN, plan.REOPENED, plan.REOPEN_REFUSED) == ("reopen", "reopened", "reopen_refused")
    keys = (plan.NOT_YOURS, plan.REASON_TOO_LARGE, plan.REASON_REFUSED, plan.REASON_DOWN, plan.REASON_FILE_TYPE)
    assert keys == ("not_yours", "reason_okdesk_too_large", "reason_okdesk_refused", "reason_okdesk_down",
                    "reason_okdesk_file_type")
    told = (plan.ACK, plan.GAVE_UP, plan.NOT_ACCEPTED)
    assert all(key in TEXTS["ru"] and key in TEXTS["en"] for key in told)
    assert all(key in TEXTS["ru"] for key in keys)


# ------------------------------------------------------------------ the comment's issue


@pytest.mark.parametrize(("clients", "finished", "unsure", "choice", "step"), [
    (False, False, False, None, plan.Refuse("not the client's issue", tell="not_yours")),
    (False, True, True, plan.REOPEN, plan.Refuse("not the client's issue", tell="not_yours")),
    (True, True, False, None, plan.AskClient()),
    (True, True, False, plan.REOPEN, plan.ReopenThenPost()),
    (True, True, False, plan.REOPENED, plan.Go()),
    (True, True, False, plan.REOPEN_REFUSED, plan.Go()),
    (True, True, False, "comment", plan.Go()),
    # Open now: the change whose answer was lost, or staff reopened it.
    (True, False, False, plan.REOPEN, plan.MarkChoice("reopened")),
    (True, False, False, None, plan.Go()),
    (True, False, False, "comment", plan.Go()),
    # The POST may have gone out: no question, no reopening; the search comes first.
    (True, True, True, None, plan.Go()),
    (True, True, True, plan.REOPEN, plan.MarkChoice("reopened")),
    (True, True, True, "comment", plan.Go()),
    (True, False, True, plan.REOPEN, plan.MarkChoice("reopened")),
])
def test_the_comments_issue_decides_the_first_step(clients: bool, finished: bool, unsure: bool,
                                                    choice: str | None, step: object) -> None:
    got = plan.comment_target(clients=clients, finished=finished, may_have_posted=unsure, choice=choice)
    assert got == step
    assert type(got) is type(step)


def test_a_mark_of_the_choice_has_no_refusal_of_its_own() -> None:
    step = plan.comment_target(clients=True, finished=False, may_have_posted=False, choice=plan.REOPEN)
    assert isinstance(step, plan.MarkChoice) and step.why is None


@given(finished=st.booleans(), choice=st.sampled_from(CHOICES))
def test_a_job_whose_post_may_have_gone_out_never_asks_nor_reopens(finished: bool, choice: str | None) -> None:
    step = plan.comment_target(clients=True, finished=finished, may_have_posted=True, choice=choice)
    assert isinstance(step, (plan.Go, plan.MarkChoice))


# ------------------------------------------------------------------ reopening


@pytest.mark.parametrize(("answer", "step"), [
    (OK, plan.MarkChoice("reopened")),
    (Answer(AnswerKind.INVALID, "workflow"), plan.MarkChoice("reopen_refused", why="workflow")),
    (Answer(AnswerKind.NOT_FOUND, "gone"), plan.MarkChoice("reopen_refused", why="gone")),
    (Answer(AnswerKind.FORBIDDEN, "no right"), plan.MarkChoice("reopen_refused", why="no right")),
    (Answer(AnswerKind.TOKEN_REFUSED, "401"), plan.Retry("401")),
    (Answer(AnswerKind.RATE_LIMITED, "429", retry_after=12.0), plan.Retry("429", wait=12.0)),
    (Answer(AnswerKind.UNAVAILABLE, "503", retry_after=7.0), plan.Retry("503")),
    (Answer(AnswerKind.OUTCOME_UNKNOWN, "timeout"), plan.Retry("timeout")),
    (Answer(AnswerKind.TOO_LARGE, "413"), plan.Retry("413")),
    (Answer(AnswerKind.OTHER, "redirect"), plan.Retry("redirect")),
])
def test_what_okdesk_answered_the_reopening(answer: Answer, step: object) -> None:
    assert plan.after_reopen(answer) == step


@given(answers)
def test_a_failed_read_waits_as_it_is_and_only_a_rate_limit_names_the_wait(answer: Answer) -> None:
    step = plan.lookup_failed(answer)
    wait = answer.retry_after if answer.kind is AnswerKind.RATE_LIMITED else None
    assert step == plan.Retry(answer.error, wait=wait, service="okdesk", requeue=False)


def test_a_download_telegram_refused_waits_for_telegram() -> None:
    assert plan.download_failed("TimeoutError") == plan.Retry("telegram download: TimeoutError", wait=None,
                                                              service="telegram", requeue=False)


# ------------------------------------------------------------------ the search and the post


def test_an_unsure_job_searches_before_it_posts_and_a_queued_one_posts() -> None:
    assert plan.before_post(may_have_posted=True) == plan.SearchFirst()
    assert plan.before_post(may_have_posted=False) == plan.Post()
    assert plan.Post().give_up_minutes is None


@pytest.mark.parametrize(("found", "files", "waited", "window", "step"), [
    (True, 2, 10_000.0, 3600.0, plan.Finish()),
    (True, 0, 0.0, 3600.0, plan.Finish()),
    (False, 2, 3599.0, 3600.0, plan.Post()),
    (False, 2, 3600.0, 3600.0, plan.Post(give_up_minutes=60)),
    (False, 1, 9000.0, 3600.0, plan.Post(give_up_minutes=60)),
    (False, 0, 9000.0, 3600.0, plan.Post()),
    (False, 3, 100.0, 90.0, plan.Post(give_up_minutes=2)),  # 1.5 minutes, said as 2
    (False, 3, 100.0, 20.0, plan.Post(give_up_minutes=1)),  # never "0 minutes"
    (False, 3, 200.0, 150.0, plan.Post(give_up_minutes=2)),  # 2.5 rounds to even
])
def test_after_the_search(found: bool, files: int, waited: float, window: float, step: object) -> None:
    assert plan.after_search(found=found, files=files, seconds_since_first_try=waited, window=window) == step


@pytest.mark.parametrize(("answer", "step"), [
    (OK, plan.Finish()),
    (Answer(AnswerKind.TOKEN_REFUSED, "401"), plan.Retry("401", requeue=True)),
    (Answer(AnswerKind.FORBIDDEN, "403"), plan.Retry("403", requeue=True)),
    (Answer(AnswerKind.RATE_LIMITED, "429", retry_after=30.0), plan.Retry("429", wait=30.0, requeue=True)),
    (Answer(AnswerKind.NOT_FOUND, "404"), plan.Refuse("404", tell="not_yours")),
    (Answer(AnswerKind.UNAVAILABLE, "503", retry_after=5.0), plan.Retry("503")),
    (Answer(AnswerKind.OUTCOME_UNKNOWN, "timeout"), plan.Retry("timeout")),
    (Answer(AnswerKind.OTHER, "redirect"), plan.Retry("redirect")),
    # No status and no words of Okdesk's for the client: a reason it can act on, or none.
    (Answer(AnswerKind.INVALID, "422", status=422), plan.Fail("422", reason=None)),
    (Answer(AnswerKind.TOO_LARGE, "413", status=413), plan.Fail("413", reason="refusal_too_large")),
])
def test_what_okdesk_answered_a_post_without_files(answer: Answer, step: object) -> None:
    assert _post(answer) == step
    assert _post(answer, about_files=True, detail="attach") == step


def test_files_too_large_for_okdesk_all_go_unattached_whatever_its_words() -> None:
    answer = Answer(AnswerKind.TOO_LARGE, "413", status=413)
    assert _post(answer, ["a.pdf", "b.png"], detail="a.pdf") == plan.DropFiles(
        positions=(0, 1), reasons=("reason_okdesk_too_large", "reason_okdesk_too_large"), error="413")


def test_refused_files_named_by_okdesk_go_alone_and_the_others_are_tried_again() -> None:
    answer = Answer(AnswerKind.INVALID, "422 attachments", status=422)
    assert _post(answer, ["a.pdf", "b.png", "c.txt"], about_files=True, detail="b.png: bad type") == plan.DropFiles(
        positions=(1,), reasons=("reason_okdesk_file_type",), error="422 attachments")
    # Naming none of them: all of them, for a reason not recognised.
    assert _post(answer, ["a.pdf", "b.png"], about_files=True, detail="attachments invalid") == plan.DropFiles(
        positions=(0, 1), reasons=("reason_okdesk_refused", "reason_okdesk_refused"), error="422 attachments")


def test_each_refused_file_gets_the_reason_okdesk_gave_for_it_in_plain_words() -> None:
    answer = Answer(AnswerKind.INVALID, "422 attachments", status=422)
    words = ["attachments: Размер файла «big.mov» превышает допустимый (10 МБ)",
             "attachments: Недопустимый тип файла «setup.exe»"]
    step = _post(answer, ["big.mov", "setup.exe", "ok.txt"], about_files=True, detail=" ".join(words),
                 words=words)
    assert step == plan.DropFiles(positions=(0, 1), reasons=("reason_okdesk_too_large", "reason_okdesk_file_type"),
                                  error="422 attachments")
    # A stem in the file's own name is not a reason ("type" in the name, the words say nothing known).
    assert refusals.file_reason(["attachments: «type-size.pdf» отклонён"], "type-size.pdf") == "reason_okdesk_refused"


@pytest.mark.parametrize(("errors", "words"), [
    (None, []),
    ("Заявка закрыта", ["Заявка закрыта"]),
    ({"content": ["слишком длинный"], "page": {"size": ["больше 50"]}}, ["content: слишком длинный",
                                                                        "page.size: больше 50"]),
    (["a", {"b": "c"}], ["a", "b: c"]),
])
def test_okdesk_errors_become_one_line_per_message(errors: object, words: list[str]) -> None:
    assert refusals.words_of(errors) == words


@pytest.mark.parametrize(("words", "too_large", "reason"), [
    (["base: Нельзя комментировать закрытую заявку"], False, "refusal_closed"),
    (["comment: issue is closed"], False, "refusal_closed"),
    (["content: слишком длинный текст (максимум 65535 символов)"], False, "refusal_too_long"),
    (["author_id: отсутствует"], False, None),
    ([], True, "refusal_too_large"),
])
def test_a_refused_message_gets_a_reason_a_client_can_act_on_or_none(words: list[str], too_large: bool,
                                                                    reason: str | None) -> None:
    assert refusals.post_reason(words, too_large=too_large) == reason
    assert reason is None or reason in TEXTS["ru"] and reason in TEXTS["en"]


def test_a_closed_something_refusing_a_new_issue_is_not_called_a_closed_request() -> None:
    # A 422 to POST /issues naming a closed contract or service object: no request was closed.
    words = ["base: Договор клиента закрыт"]
    assert refusals.post_reason(words, commenting=False) is None
    assert refusals.post_reason(words, commenting=True) == "refusal_closed"


def test_a_fields_name_is_not_read_as_okdesks_words() -> None:
    # "content_type", "file_size", "length_limit": the field names hold stems, the messages do not.
    assert refusals.file_reason(["attachments.0.content_type: неверное значение"], "a.pdf") == "reason_okdesk_refused"
    assert refusals.post_reason(["content_length: отсутствует"]) is None
    assert refusals.file_reason(["attachments: Недопустимый тип файла"], "a.exe") == "reason_okdesk_file_type"


def test_a_refusal_not_about_the_files_fails_the_post_files_or_not() -> None:
    answer = Answer(AnswerKind.INVALID, "422 title", status=422)
    assert _post(answer, ["a.pdf"], about_files=False, detail="a.pdf") == plan.Fail("422 title", reason=None)


@given(answers, names, st.booleans(), st.text(max_size=40))
def test_a_definite_answer_never_leaves_the_job_unsure(answer: Answer, file_names: list[str], about_files: bool,
                                                       detail: str) -> None:
    step = _post(answer, file_names, about_files=about_files, detail=detail)
    assert plan.leaves_unsure(step) == (answer.kind in MAYBE_WRITTEN)
    if answer.kind in DEFINITE:
        assert not (isinstance(step, plan.Retry) and not step.requeue)


@given(answers, names, st.booleans(), st.text(max_size=40))
def test_dropped_files_are_some_of_those_sent_none_twice(answer: Answer, file_names: list[str], about_files: bool,
                                                         detail: str) -> None:
    step = _post(answer, file_names, about_files=about_files, detail=detail)
    if isinstance(step, plan.DropFiles):
        assert step.positions and len(set(step.positions)) == len(step.positions)
        assert set(step.positions) <= set(range(len(file_names)))
        assert answer.kind in (AnswerKind.INVALID, AnswerKind.TOO_LARGE)


@given(answers)
def test_a_token_refusal_or_an_outage_never_spends_the_retry_budget(answer: Answer) -> None:
    """Every retry of a job is an outage to the budget: while Okdesk works for nobody, nothing is spent."""
    step = _post(answer)
    if answer.kind in (AnswerKind.TOKEN_REFUSED, AnswerKind.RATE_LIMITED, AnswerKind.UNAVAILABLE,
                       AnswerKind.OUTCOME_UNKNOWN):
        assert isinstance(step, plan.Retry)
        nxt = next_try(attempts=3, budget_spent=100.0, last_attempt_at=NOW - timedelta(minutes=5), now=NOW,
                       counts=counts_against_budget(outage=True, service_worked_since=False), wait=step.wait,
                       policy=POLICY)
        assert (nxt.budget_spent, nxt.parked) == (100.0, False)


@given(st.sampled_from(CHOICES), st.booleans(), answers, names)
def test_a_job_whose_post_may_have_gone_out_is_never_posted_again_without_a_search(
        choice: str | None, finished: bool, answer: Answer, file_names: list[str]) -> None:
    """From the POST's answer to the next try: an unsure job's first step is the search."""
    step = _post(answer, file_names)
    if not plan.leaves_unsure(step):
        return
    # The next try: the comment's issue first (no question, no reopening), then the search.
    first = plan.comment_target(clients=True, finished=finished, may_have_posted=True, choice=choice)
    assert not isinstance(first, (plan.AskClient, plan.ReopenThenPost))
    assert plan.before_post(may_have_posted=True) == plan.SearchFirst()


def test_leaves_unsure_only_for_a_retry_that_keeps_the_state() -> None:
    assert plan.leaves_unsure(plan.Retry("x"))
    assert not plan.leaves_unsure(plan.Retry("x", requeue=True))
    assert not plan.leaves_unsure(plan.Finish())
    assert not plan.leaves_unsure(plan.Refuse("x"))
    assert not plan.leaves_unsure(plan.Fail("x"))
    assert not plan.leaves_unsure(plan.DropFiles(positions=(0,), reasons=("r",), error="x"))


def test_a_retrys_defaults_are_the_policys_backoff_at_okdesk_keeping_the_state() -> None:
    retry = plan.Retry("x")
    assert (retry.wait, retry.service, retry.requeue) == (None, "okdesk", False)
    assert plan.Refuse("x").tell == "not_yours"


# ------------------------------------------------------------------ the ack


def ack_is_due(*, trying_since: datetime, acked: bool, ack_after: float, now: datetime) -> bool:
    """As the worker reads ack_due_at: due once its moment has come."""
    due = plan.ack_due_at(trying_since=trying_since, acked=acked, ack_after=ack_after)
    return due is not None and due <= now


def test_an_ack_is_due_ack_after_the_worker_began_trying_once_and_never_when_off() -> None:
    since = NOW - timedelta(seconds=30)
    assert plan.ack_due_at(trying_since=since, acked=False, ack_after=60) == since + timedelta(seconds=60)
    assert not ack_is_due(trying_since=since, acked=False, ack_after=60, now=NOW)
    assert ack_is_due(trying_since=since, acked=False, ack_after=30, now=NOW)  # due at the very moment
    assert ack_is_due(trying_since=since, acked=False, ack_after=10, now=NOW)
    # Told already: never again; 0 turns acks off.
    assert plan.ack_due_at(trying_since=since, acked=True, ack_after=10) is None
    assert not ack_is_due(trying_since=since, acked=True, ack_after=10, now=NOW)
    assert plan.ack_due_at(trying_since=since, acked=False, ack_after=0) is None


@given(st.floats(0, 10_000), st.floats(0.001, 10_000), st.booleans())
def test_an_ack_is_due_exactly_when_the_job_waited_ack_after_unless_told(waited: float, ack_after: float,
                                                                          acked: bool) -> None:
    since = NOW - timedelta(seconds=waited)
    due = ack_is_due(trying_since=since, acked=acked, ack_after=ack_after, now=NOW)
    assert due == (not acked and since + timedelta(seconds=ack_after) <= NOW)
