"""The next step of a client's job into Okdesk, pure: from the job's state and what Okdesk answered.

syncd.relay.jobrun carries each step out (reads, downloads, the POST, the record) and asks here
what follows. The one rule all of it serves: a job whose POST may have reached Okdesk is *unsure*,
and an unsure job searches Okdesk for what it may have created before it posts again. So a
definite answer (Okdesk judged the request and wrote nothing) sends the job back to the queue, and
only an answer that may hide a write (a lost answer, an outage during the POST) leaves it unsure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from syncd.sync import refusals
from syncd.sync.answers import Answer, AnswerKind

# inbound_jobs.finished_choice: what the client chose for a finished issue.
REOPEN = "reopen"  # chosen: reopen, then comment
REOPENED = "reopened"  # the status change is done: only the comment is left
REOPEN_REFUSED = "reopen_refused"  # Okdesk refused it (or it came too late): the comment goes alone
COMMENT_AS_IS = "comment"  # a remark after a rating, or the client chose to comment on it as it is

# What the client is told (keys of syncd.texts).
NOT_YOURS = "not_yours"
ACK = "ack_received"  # received, and passed on by itself: no need to send it again
GAVE_UP = "post_gave_up"  # the retry budget is spent: send it again later, or reach the desk another way
NOT_ACCEPTED = "post_not_accepted"  # Okdesk refused it for good (with a reason of syncd.sync.refusals)
# Why a file went without being attached (keys of syncd.texts, kept with the job's dropped files).
REASON_TOO_LARGE = refusals.FILE_TOO_LARGE
REASON_REFUSED = refusals.FILE_REFUSED
REASON_FILE_TYPE = refusals.FILE_TYPE
REASON_DOWN = "reason_okdesk_down"


# ------------------------------------------------------------------ the steps


@dataclass(frozen=True)
class Go:
    """On to the files and the post."""


@dataclass(frozen=True)
class AskClient:
    """The issue is finished and the client has not chosen: ask (reopen, new issue, comment as is)."""


@dataclass(frozen=True)
class ReopenThenPost:
    """The client chose to reopen: change the status, then post the comment."""


@dataclass(frozen=True)
class MarkChoice:
    """Record what became of the client's choice (REOPENED or REOPEN_REFUSED), then go on."""

    choice: str
    why: str | None = None  # a refusal: Okdesk's words, for the log


@dataclass(frozen=True)
class SearchFirst:
    """The job's earlier POST may have gone out: look for what it created before posting again."""


@dataclass(frozen=True)
class Post:
    """Post now; ``give_up_minutes``: the files go without being attached, Okdesk having failed posts
    with files for that long."""

    give_up_minutes: int | None = None


@dataclass(frozen=True)
class Finish:
    """Okdesk has the comment or issue (just created, or found by the search): record it."""


@dataclass(frozen=True)
class DropFiles:
    """Okdesk refused the files: the positions (in the list of files sent) of those that go without
    being attached, and why, in plain words (a key of syncd.texts for each); the job goes back to the
    queue and is tried again at once."""

    positions: tuple[int, ...]
    reasons: tuple[str, ...]
    error: str


@dataclass(frozen=True)
class Retry:
    """Try again later. ``wait``: the server's own wait (None: the retry policy's backoff).
    ``requeue``: nothing was created (back to queued, no search needed); else the state stays."""

    error: str
    wait: float | None = None
    service: str = "okdesk"
    requeue: bool = False


@dataclass(frozen=True)
class Refuse:
    """The job ends refused; the client hears ``tell`` (a key of syncd.texts)."""

    error: str
    tell: str = NOT_YOURS


@dataclass(frozen=True)
class Fail:
    """Okdesk refused the post for good: the job ends failed. The client hears that it was not
    accepted and ``reason`` (a key of syncd.texts, None: no reason a client could act on), never
    Okdesk's own words or its status (``error`` is for the log)."""

    error: str
    reason: str | None = None


TargetStep = Refuse | AskClient | ReopenThenPost | MarkChoice | Go
PostStep = Finish | DropFiles | Fail | Retry | Refuse


# ------------------------------------------------------------------ the decisions


def comment_target(*, clients: bool, finished: bool, may_have_posted: bool, choice: str | None) -> TargetStep:
    """A comment's issue as Okdesk shows it now: whose it is, and whether it is finished."""
    if not clients:
        return Refuse("not the client's issue")
    # A try whose POST may have gone out is past the finished-issue question: its search comes first.
    if finished and not may_have_posted:
        if choice is None:
            return AskClient()
        if choice == REOPEN:
            return ReopenThenPost()
        return Go()
    if choice == REOPEN:
        # Open already: our change whose answer was lost, or staff's.
        return MarkChoice(REOPENED)
    return Go()


def after_reopen(answer: Answer) -> MarkChoice | Retry:
    """The status change that reopens the issue; a refusal leaves the comment to go alone.

    Changing the status again after a lost answer is harmless: it is asked only while Okdesk still
    shows the issue finished, so the earlier change did not happen.
    """
    if answer.kind is AnswerKind.OK:
        return MarkChoice(REOPENED)
    if answer.kind in (AnswerKind.INVALID, AnswerKind.NOT_FOUND, AnswerKind.FORBIDDEN):
        return MarkChoice(REOPEN_REFUSED, why=answer.error)  # the workflow forbids it, or the key may not
    return lookup_failed(answer)  # nothing judged (the token refused, an outage): the next try changes it


def lookup_failed(answer: Answer) -> Retry:
    """A read before the post failed (the issue, the contact, the search): the job waits, as it is."""
    wait = answer.retry_after if answer.kind is AnswerKind.RATE_LIMITED else None
    return Retry(answer.error, wait=wait)


def download_failed(error: str) -> Retry:
    """Telegram would not give a file: the job waits for Telegram, as it is."""
    return Retry(f"telegram download: {error}", service="telegram")


def before_post(*, may_have_posted: bool) -> SearchFirst | Post:
    return SearchFirst() if may_have_posted else Post()


def after_search(*, found: bool, files: int, seconds_since_first_try: float, window: float) -> Finish | Post:
    """What the search for an earlier POST found. Nothing: post again, without the files once Okdesk has
    failed the posts with files for longer than the window (never attached: the search found nothing)."""
    if found:
        return Finish()
    if files and seconds_since_first_try >= window:
        return Post(give_up_minutes=max(1, round(window / 60)))
    return Post()


def after_post(answer: Answer, *, file_names: Sequence[str], about_files: bool, detail: str,
               words: Sequence[str] = (), commenting: bool = True) -> PostStep:
    """What Okdesk answered the POST. ``about_files``: its errors speak of attachments; ``detail``:
    its errors as plain words (where it names the files it refuses); ``words``: the same, one line per
    message (syncd.sync.refusals.words_of), for why; ``commenting``: a comment, not a new issue."""
    kind = answer.kind
    if kind is AnswerKind.OK:
        return Finish()
    if kind in (AnswerKind.TOO_LARGE, AnswerKind.INVALID):
        return _refused_request(answer, file_names, about_files, detail, words or ([detail] if detail else []),
                                commenting)
    if kind in (AnswerKind.TOKEN_REFUSED, AnswerKind.FORBIDDEN):
        return Retry(answer.error, requeue=True)
    if kind is AnswerKind.RATE_LIMITED:
        return Retry(answer.error, wait=answer.retry_after, requeue=True)
    if kind is AnswerKind.NOT_FOUND:
        return Refuse(answer.error)
    # Unavailable, or the answer lost: it may exist, and the next try searches before a new POST.
    return Retry(answer.error)


def _refused_request(answer: Answer, file_names: Sequence[str], about_files: bool, detail: str,
                     words: Sequence[str], commenting: bool) -> DropFiles | Fail:
    too_large = answer.kind is AnswerKind.TOO_LARGE
    if file_names and (too_large or about_files):
        # Okdesk will not take these files: the words go without them, each file named and explained.
        # It refuses the whole request; when its errors name some files, only those go (the next try
        # tells whether the others pass), else all of them.
        said = "" if too_large else detail
        named = tuple(i for i, name in enumerate(file_names) if name in said)
        positions = named or tuple(range(len(file_names)))
        reasons = tuple(refusals.file_reason(words, file_names[i], too_large=too_large) for i in positions)
        return DropFiles(positions=positions, reasons=reasons, error=answer.error)
    # The client hears what happened in plain words, not Okdesk's own (those are in the log).
    return Fail(answer.error, reason=refusals.post_reason(words, too_large=too_large, commenting=commenting))


def leaves_unsure(step: PostStep) -> bool:
    """Whether the job stays unsure after this answer to its POST: only when Okdesk may have written."""
    return isinstance(step, Retry) and not step.requeue


# ------------------------------------------------------------------ telling the client


def ack_due_at(*, trying_since: datetime, acked: bool, ack_after: float) -> datetime | None:
    """When the client is to hear that their message was received and will be passed on by itself:
    ``ack_after`` seconds after the worker began trying to post the job (made queued, or queued again
    after a question to the client: the time a question waits for the client does not count). None:
    never (told already, or ``ack_after`` is 0). A job posted before that moment is not waiting any
    more, and its confirmation is all the client hears."""
    if acked or ack_after <= 0:
        return None
    return trying_since + timedelta(seconds=ack_after)

