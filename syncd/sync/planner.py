"""The Okdesk -> Telegram planner: pure decisions, no I/O.

Given what Okdesk shows of one issue now and what the store remembers of it, decide which
Telegram deliveries and which staff notices are due, and what to remember as seen. The
caller commits the plan's outbox rows and its seen marks in ONE transaction, so a delivery
is planned exactly once, whatever crashes before or after.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone, tzinfo

from syncd.formatting import FormattedText, html_to_telegram, split_formatted
from syncd.formatting.entities import Entity, utf16_len
from syncd.formatting.entity_limits import MAX_ENTITIES, MAX_ENTITIES_SIZE
from syncd.okdesk.models import Attachment, Comment, Issue
from syncd.sync.notices import TOO_LARGE, client_words, staff_notice
from syncd.sync.routing import RATES, Callback, encode
from syncd.texts import human_size, t

IMAGE_EXTENSIONS = {"jpg", "jpeg", "png", "webp"}
VIDEO_EXTENSIONS = {"mp4", "m4v", "mov"}
ALBUM_MAX = 10
TEXT_LIMIT = 4096


@dataclass(frozen=True)
class Recipient:
    tg_user_id: int
    tg_chat_id: int
    okdesk_contact_id: int
    language: str = "ru"
    name: str = ""  # their Okdesk contact's, for staff notices


@dataclass(frozen=True)
class OwnStatusChange:
    """A status change the daemon itself asked Okdesk for on the client's behalf (a reopening), recorded
    just before the request (``at``, the daemon's clock): the client was told in their own words already."""

    from_code: str
    to_code: str
    at: datetime


@dataclass(frozen=True)
class Memory:
    """What the store remembers of the issue."""

    followed_at: datetime
    baseline_done: bool
    status_code: str | None
    seen_comment_ids: frozenset[int] = frozenset()
    seen_attachment_ids: frozenset[int] = frozenset()
    own_comment_ids: frozenset[int] = frozenset()
    own_status_change: OwnStatusChange | None = None


@dataclass(frozen=True)
class PlanConfig:
    max_file_bytes: int
    photo_max_bytes: int = 10 * 1024 * 1024
    images_as_documents: bool = False
    status_names: Mapping[str, str] = field(default_factory=dict)
    notices_enabled: bool = False
    # A change to one of these codes asks for a rating (okdesk.ratings on: the completed codes).
    rating_statuses: frozenset[str] = frozenset()
    # The Okdesk account's time zone: staff notices date things as Okdesk shows them.
    tz: tzinfo = timezone.utc
    # A change to one of these (completed and closed) is said in Okdesk's own word, not as "old → new".
    finished_statuses: frozenset[str] = frozenset()
    # Seconds an OwnStatusChange is recognised for (sync.own_change_window).
    own_change_window: float = 3600.0


@dataclass(frozen=True)
class FileRef:
    attachment_id: int
    file_name: str
    size: int | None
    send_as: str  # photo | video | document


@dataclass(frozen=True)
class Step:
    """One Telegram send: a text message, one file, or an album of 2..10 files."""

    kind: str  # text | file | album
    text: FormattedText | None = None
    files: tuple[FileRef, ...] = ()
    # Inline buttons under a text step: rows of (label, callback data).
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()
    # A text step sent as a reply to this message of the client's (what it is about).
    reply_to: int | None = None

    @property
    def message_count(self) -> int:
        return len(self.files) if self.kind == "album" else 1


@dataclass(frozen=True)
class Delivery:
    dedupe_key: str
    tg_chat_id: int
    okdesk_issue_id: int
    okdesk_comment_id: int | None
    what: str  # comment | status | files: for logs and staff notices
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Notice:
    """A private comment telling staff what the client could not get."""

    dedupe_key: str
    okdesk_issue_id: int
    text: str


@dataclass(frozen=True)
class Plan:
    deliveries: tuple[Delivery, ...]
    notices: tuple[Notice, ...]
    seen_comment_ids: frozenset[int]
    seen_attachment_ids: frozenset[int]
    status_code: str | None
    # The recorded OwnStatusChange has served (or can no longer): the caller forgets it with the plan.
    forget_own_change: bool = False


def extension(file_name: str) -> str:
    return file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""


def classify_file(att: Attachment, cfg: PlanConfig) -> str:
    ext = extension(att.file_name)
    # Telegram refuses photos over 10 MB; unknown size: try, the sender falls back to a document.
    fits = att.size is None or att.size <= cfg.photo_max_bytes
    if ext in IMAGE_EXTENSIONS and not cfg.images_as_documents and fits:
        return "photo"
    if ext in VIDEO_EXTENSIONS:
        return "video"
    return "document"


def _described(att: Attachment, described: Mapping[int, Attachment]) -> Attachment:
    """A comment's file as the issue's own list of files describes it, when the comment's list (whose
    shape is undocumented) gave no name: its name, size and whether it is public."""
    if att.name_known or att.id is None or att.id not in described:
        return att
    return described[att.id]


def announces_creation(issue: Issue, memory: Memory) -> bool:
    """Is this the first look at an issue created for the client after they were followed?

    Issues the client created through the bot are followed with their birth already seen (a baseline,
    or ``followed_at`` after ``created_at``): their own "issue created" confirmation said it. Issues
    a newly linked client already had are followed from the moment of linking, so they predate it: no
    flood of old issues. An old issue handed over to the client is followed from the hand-over, so
    it predates that too. What is left: an issue staff (or another channel) created after the client
    was linked, seen for the first time, even if that first look comes late (a restart, an outage).
    """
    return (not memory.baseline_done and issue.created_at is not None
            and issue.created_at >= memory.followed_at)


def own_change_serves(memory: Memory, new_code: str | None, now: datetime | None, window: float) -> bool:
    """Is the change from the remembered status to ``new_code`` the one the daemon made itself?

    Only the very transition recorded, seen within the window after the request: any other
    transition is news from staff, and so is the same one seen after the window (the request may
    never have applied, and a later change by staff must not be swallowed)."""
    own = memory.own_status_change
    if own is None or now is None or new_code is None:
        return False
    return (own.from_code == memory.status_code and own.to_code == new_code
            and timedelta(0) <= now - own.at <= timedelta(seconds=window))


def plan_issue(issue: Issue, comments: Sequence[Comment], memory: Memory,
               recipients: Sequence[Recipient], cfg: PlanConfig, now: datetime | None = None) -> Plan:
    seen_comments = set(memory.seen_comment_ids)
    seen_files = set(memory.seen_attachment_ids)
    deliveries: list[Delivery] = []
    notices: list[Notice] = []

    def before_following(ts: datetime | None) -> bool:
        # Without baseline every existing thing counts as seen; what Okdesk dates after the
        # moment of following is new even if our first look at it is later.
        return not memory.baseline_done and (ts is None or ts <= memory.followed_at)

    status_code = issue.status_code
    if announces_creation(issue, memory):
        deliveries.extend(_created_delivery(issue, rcp) for rcp in recipients)
    # The status the issue had when it was followed is known (from the list) even before its first
    # fetch: a change since is news, first fetch or not.
    changed = bool(memory.status_code and status_code and status_code != memory.status_code)
    own = changed and own_change_serves(memory, status_code, now, cfg.own_change_window)
    if changed and not own:
        assert memory.status_code is not None and status_code is not None
        for rcp in recipients:
            deliveries.append(_status_delivery(issue, memory.status_code, status_code, rcp, cfg))
    # A recorded change is forgotten once a change is seen (it was this one, or it is stale now), or
    # when it has outlived its window; until then it waits for the poll that sees it.
    expired = (memory.own_status_change is not None and now is not None
               and now - memory.own_status_change.at > timedelta(seconds=cfg.own_change_window))
    forget = memory.own_status_change is not None and (changed or expired)

    # Comments in Okdesk's order are undocumented: go by time, then id.
    ordered = sorted(comments, key=lambda c: (c.published_at or memory.followed_at, c.id))
    described = {a.id: a for a in issue.attachments if a.id is not None and a.name_known}
    for comment in ordered:
        if comment.id in seen_comments:
            continue
        seen_comments.add(comment.id)
        files = [_described(a, described) for a in comment.attachments if a.id is not None]
        if before_following(comment.published_at) or not comment.public or comment.id in memory.own_comment_ids:
            seen_files.update(a.id for a in files if a.id is not None)
            continue
        public_files = [a for a in files if a.is_public and a.id not in seen_files]
        seen_files.update(a.id for a in files if a.id is not None)
        for rcp in recipients:
            if comment.author_type == "contact" and comment.author_id == rcp.okdesk_contact_id:
                continue  # the client's own words, whatever channel they came through
            deliveries.append(_comment_delivery(issue, comment, public_files, rcp, cfg))
        notices.extend(_too_large_notices(issue, public_files, comment.published_at, recipients, cfg))

    loose = [a for a in issue.attachments if a.id is not None and a.id not in seen_files]
    seen_files.update(a.id for a in loose if a.id is not None)
    loose_new = [a for a in loose if a.is_public and not before_following(a.created_at)]
    if loose_new:
        for rcp in recipients:
            deliveries.append(_files_delivery(issue, loose_new, rcp, cfg))
        notices.extend(_too_large_notices(issue, loose_new, None, recipients, cfg))

    return Plan(
        deliveries=tuple(deliveries),
        notices=tuple(notices) if cfg.notices_enabled else (),
        seen_comment_ids=frozenset(seen_comments - memory.seen_comment_ids),
        seen_attachment_ids=frozenset(seen_files - memory.seen_attachment_ids),
        status_code=status_code or memory.status_code,
        forget_own_change=forget,
    )


# ---------------------------------------------------------------- building deliveries


def _status_name(code: str, cfg: PlanConfig) -> str:
    return cfg.status_names.get(code, code)


def in_sentence(name: str) -> str:
    """An Okdesk status name inside a sentence: «Решена» → «решена»; "OK" or "SLA" keep their case."""
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        return name[0].lower() + name[1:]
    return name


def _status_delivery(issue: Issue, old: str, new: str, rcp: Recipient, cfg: PlanConfig) -> Delivery:
    lang = rcp.language
    new_name = cfg.status_names.get(new) or issue.status_name or new
    # Only the requester rates (the handler checks again at the press); an issue Okdesk already
    # shows rated is not asked about again, e.g. when staff reopen and complete it once more.
    ask = new in cfg.rating_statuses and issue.rate is None and issue.contact_id == rcp.okdesk_contact_id
    if new in cfg.finished_statuses or ask:
        # Finished: said in Okdesk's own word for it, and the rating asked in the same message.
        text = t(lang, "issue_finished", issue_id=issue.id, title=issue.title, status=in_sentence(new_name))
        if ask:
            text += "\n\n" + t(lang, "rate_ask")
    else:
        text = t(lang, "status_changed", issue_id=issue.id, title=issue.title, old=_status_name(old, cfg),
                 new=new_name)
    stamp = issue.updated_at.isoformat() if issue.updated_at else "?"
    buttons = (rating_row(issue.id, lang),) if ask else ()
    # The key names the change, so a re-poll of the same change is the same row: one notification,
    # one rating request (the predecessor asked twice).
    return Delivery(
        dedupe_key=_key(f"status:{issue.id}:{old}>{new}:{stamp}:chat:{rcp.tg_chat_id}"),
        tg_chat_id=rcp.tg_chat_id, okdesk_issue_id=issue.id, okdesk_comment_id=None, what="status",
        steps=(Step("text", FormattedText(text), buttons=buttons),),
    )


def _created_delivery(issue: Issue, rcp: Recipient) -> Delivery:
    """"A request has been created for you", with the buttons the client's own new issue gets."""
    lang = rcp.language
    text = t(lang, "issue_created_for_you", issue_id=issue.id, title=issue.title)
    row = ((t(lang, "comment_button"), encode(Callback("comment", issue_id=issue.id)).decode()),
           (t(lang, "card_button"), encode(Callback("view", issue_id=issue.id)).decode()))
    # One per issue and chat, whatever looks at it again: the outbox refuses a second row with the key.
    return Delivery(
        dedupe_key=_key(f"created:{issue.id}:chat:{rcp.tg_chat_id}"),
        tg_chat_id=rcp.tg_chat_id, okdesk_issue_id=issue.id, okdesk_comment_id=None, what="created",
        steps=(Step("text", FormattedText(text), buttons=(row,)),),
    )


def rating_row(issue_id: int, lang: str) -> tuple[tuple[str, str], ...]:
    """One row of rating buttons, worse to better, each a word and an emoji."""
    return tuple((t(lang, f"rate_{rate}"), encode(Callback("rate", issue_id=issue_id, rate=rate)).decode())
                 for rate in RATES)


def _header(issue: Issue, lang: str, author: str | None) -> FormattedText:
    title_line = t(lang, "issue_header", issue_id=issue.id, title=issue.title)
    text = title_line
    entities = [Entity("bold", 0, utf16_len(title_line))]
    if author:
        line = t(lang, "comment_author", author=author)
        entities.append(Entity("italic", utf16_len(text) + 1, utf16_len(line)))
        text += "\n" + line
    return FormattedText(text, tuple(entities))


def _file_lines(files: Sequence[Attachment], lang: str, cfg: PlanConfig) -> list[str]:
    return [t(lang, "file_too_large", name=a.file_name, size=human_size(a.size, lang))
            for a in files if _too_large(a, cfg)]


def _too_large(att: Attachment, cfg: PlanConfig) -> bool:
    return att.size is not None and att.size > cfg.max_file_bytes


def _message_steps(body: FormattedText, files: Sequence[Attachment], lang: str, cfg: PlanConfig) -> tuple[Step, ...]:
    extra = _file_lines(files, lang, cfg)
    if extra:
        body = FormattedText.concat(body, FormattedText("\n\n" + "\n".join(extra)))
    # Within Telegram's entity limits too: a part past them would lose formatting at send time.
    parts = split_formatted(body, TEXT_LIMIT, max_entities=MAX_ENTITIES, max_entities_size=MAX_ENTITIES_SIZE)
    steps = [Step("text", part) for part in parts]
    return tuple(steps) + _file_steps([a for a in files if not _too_large(a, cfg)], cfg)


def _file_steps(files: Sequence[Attachment], cfg: PlanConfig) -> tuple[Step, ...]:
    refs = [FileRef(a.id, a.file_name, a.size, classify_file(a, cfg)) for a in files if a.id is not None]
    photos = [r for r in refs if r.send_as == "photo"]
    others = [r for r in refs if r.send_as != "photo"]
    steps: list[Step] = []
    for start in range(0, len(photos), ALBUM_MAX):
        chunk = tuple(photos[start:start + ALBUM_MAX])
        steps.append(Step("album", files=chunk) if len(chunk) > 1 else Step("file", files=chunk))
    steps.extend(Step("file", files=(r,)) for r in others)
    return tuple(steps)


def _comment_delivery(issue: Issue, comment: Comment, files: Sequence[Attachment], rcp: Recipient,
                      cfg: PlanConfig) -> Delivery:
    lang = rcp.language
    header = _header(issue, lang, comment.author_name or None)
    body = html_to_telegram(comment.content_html)
    if body.text.strip():
        message = FormattedText.concat(header, FormattedText("\n\n"), body)
    else:
        # A comment of files only still says who sent what (the predecessor dropped these).
        message = FormattedText.concat(header, FormattedText("\n" + t(lang, "files_only", count=len(files))))
    return Delivery(
        dedupe_key=_key(f"comment:{comment.id}:chat:{rcp.tg_chat_id}"),
        tg_chat_id=rcp.tg_chat_id, okdesk_issue_id=issue.id, okdesk_comment_id=comment.id, what="comment",
        steps=_with_reply_button(_message_steps(message, files, lang, cfg), issue.id, lang),
    )


def _with_reply_button(steps: tuple[Step, ...], issue_id: int, lang: str) -> tuple[Step, ...]:
    """A "Reply" button under the comment's (last) text: the next message is a comment on the issue.
    A plain Telegram reply to any part does the same; the button is for those who do not know that."""
    last_text = max((i for i, step in enumerate(steps) if step.kind == "text"), default=None)
    if last_text is None:
        return steps
    row = ((t(lang, "reply_button"), encode(Callback("comment", issue_id=issue_id)).decode()),)
    return tuple(replace(step, buttons=(row,)) if i == last_text else step for i, step in enumerate(steps))


def _files_delivery(issue: Issue, files: Sequence[Attachment], rcp: Recipient, cfg: PlanConfig) -> Delivery:
    lang = rcp.language
    header = _header(issue, lang, None)
    message = FormattedText.concat(header, FormattedText("\n" + t(lang, "files_added", count=len(files))))
    ids = ",".join(str(a.id) for a in files)
    return Delivery(
        dedupe_key=_key(f"files:{issue.id}:{ids}:chat:{rcp.tg_chat_id}"),
        tg_chat_id=rcp.tg_chat_id, okdesk_issue_id=issue.id, okdesk_comment_id=None, what="files",
        steps=_message_steps(message, files, lang, cfg),
    )


def too_large_notice(issue_id: int, attachment_id: int, file_name: str, size: int | None,
                     max_file_bytes: int, *, client: str, added_at: datetime | None, tz: tzinfo) -> Notice:
    """The one notice per file over the limit, whoever finds out (the planner from Okdesk's size,
    the sender when the download outgrows it): one natural key, so staff read it once."""
    return Notice(_key(f"notice:too_large:{issue_id}:{attachment_id}"), issue_id,
                  staff_notice(TOO_LARGE, client=client, since=added_at, tz=tz, name=file_name,
                               size=human_size(size), limit=human_size(max_file_bytes)))


def _too_large_notices(issue: Issue, files: Sequence[Attachment], added_at: datetime | None,
                       recipients: Sequence[Recipient], cfg: PlanConfig) -> list[Notice]:
    """``added_at``: the comment's time; None for files added alone (each file then has its own)."""
    if not recipients:
        return []
    client = client_words(r.name for r in recipients)
    return [too_large_notice(issue.id, a.id, a.file_name, a.size, cfg.max_file_bytes, client=client,
                             added_at=added_at or a.created_at, tz=cfg.tz)
            for a in files if a.id is not None and _too_large(a, cfg)]


def _key(raw: str) -> str:
    """Natural keys stay readable; the rare very long one is hashed to fit the column."""
    return raw if len(raw) <= 190 else raw[:120] + "#" + hashlib.sha256(raw.encode()).hexdigest()[:32]
