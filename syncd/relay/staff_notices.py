"""Which private notices staff get, and when: queued in the outbox, posted by syncd.relay.notices.

Each notice has a natural dedupe key, so whoever finds the same news twice (a retry, a restart) queues
it once. The words are syncd.sync.notices'; this knows the client (their link), the moment, and the
account's time zone. Synchronous (store calls): coroutines call these through ``off_loop``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime, timezone, tzinfo

from syncd.logs import get_logger
from syncd.store import Store
from syncd.store.rows import Link, OutboxItem
from syncd.store.states import OUTBOX_NOTICE
from syncd.sync import notices as words
from syncd.sync.planner import too_large_notice

log = get_logger(__name__)
# A delivery Telegram refused for these reasons waits until the client writes again (one episode).
EPISODE_KINDS = {"blocked": words.BLOCKED, "peer_invalid": words.UNREACHABLE}


def _stamp(at: datetime) -> str:
    """An episode's name in dedupe keys: the moment the client became unreachable (links.blocked_at)."""
    return f"{at.astimezone(timezone.utc):%Y%m%d%H%M%S}"


class NoticeQueue:
    """Adds notices to the outbox; without ``okdesk.employee_id`` there is nobody to sign them: none."""

    def __init__(self, store: Store, employee_id: int | None,
                 account_tz: Callable[[], tzinfo] = lambda: timezone.utc) -> None:
        self.store, self.employee_id, self.account_tz = store, employee_id, account_tz

    @property
    def enabled(self) -> bool:
        return self.employee_id is not None

    def add(self, dedupe_key: str, okdesk_issue_id: int | None, text: str, *, since: datetime | None = None) -> None:
        """``since``: when what the notice tells began, kept for a follow-up notice to name it."""
        if not self.enabled or okdesk_issue_id is None:
            return
        payload: dict[str, str] = {"text": text}
        if since is not None:
            payload["since"] = since.isoformat()
        self.store.add_outbox([self.store.outbox_row(
            dedupe_key=dedupe_key, kind=OUTBOX_NOTICE, payload=json.dumps(payload, ensure_ascii=False),
            message_count=0, okdesk_issue_id=okdesk_issue_id)])

    # ------------------------------------------------------------ the sender's news

    def unreachable(self, row: OutboxItem, failure_kind: str, at: datetime) -> None:
        """Telegram refused ``row`` because the client blocked the bot (or their stored address): from
        ``at`` (links.blocked_at) until they write again. ``row`` is the oldest delivery waiting for
        them, so what they missed began with it."""
        link = self.store.link_by_chat(row.chat)
        text = words.staff_notice(EPISODE_KINDS[failure_kind], client=_name(link), tz=self.account_tz(),
                                  what=_what(row), since=row.created_at)
        self.add(f"notice:{failure_kind}:{row.tg_chat_id}:{row.okdesk_issue_id}:{_stamp(at)}", row.okdesk_issue_id,
                 text, since=row.created_at)

    def given_up(self, row: OutboxItem, service: str, outage: bool) -> None:
        """``row`` was parked after its retry budget. One notice per parking: an item re-queued by
        `syncd retry` that fails again is news again (the attempt before this one tells the two apart)."""
        link = self.store.link_by_chat(row.chat)
        text = words.staff_notice(words.PARKED, client=_name(link), tz=self.account_tz(), what=_what(row),
                                  since=row.created_at, cause=words.parked_cause(service, outage))
        before = row.last_attempt_at.isoformat() if row.last_attempt_at else "first"
        self.add(f"notice:parked:{row.id}:{before}", row.okdesk_issue_id, text)

    def account_deleted(self, row: OutboxItem, link: Link | None, issue_ids: Iterable[int]) -> None:
        """The client's account is gone (``link``: as it was before it was forgotten): a notice on each
        issue that had deliveries waiting for them, ``row``'s own telling what and since when."""
        tz = self.account_tz()
        for issue_id in sorted(set(issue_ids) | ({row.okdesk_issue_id} if row.okdesk_issue_id else set())):
            own = issue_id == row.okdesk_issue_id
            text = words.staff_notice(words.ACCOUNT_DELETED, client=_name(link), tz=tz,
                                      what=_what(row) if own else "waiting", since=row.created_at if own else None)
            self.add(f"notice:account_deleted:{row.tg_chat_id}:{issue_id}", issue_id, text)

    def file_too_large(self, row: OutboxItem, attachment_id: int, file_name: str, size: int | None,
                       max_file_bytes: int) -> None:
        """A file outgrew the limit while downloaded (Okdesk's size said less): the planner's notice."""
        link = self.store.link_by_chat(row.chat)
        notice = too_large_notice(row.issue, attachment_id, file_name, size, max_file_bytes,
                                  client=_name(link), added_at=row.created_at, tz=self.account_tz())
        self.add(notice.dedupe_key, notice.okdesk_issue_id, notice.text)

    # ------------------------------------------------------------ the client is back

    def reachable_again(self, link: Link) -> int:
        """The client wrote again after an episode of ``unreachable``: a follow-up on each issue that
        got a notice of it. Called before links.blocked_at is cleared, and keyed by the episode: a
        crash between the two queues it again next time, as the same item."""
        if not self.enabled or link.blocked_at is None:
            return 0
        stamp = _stamp(link.blocked_at)
        followed = 0
        tz = self.account_tz()
        for kind in EPISODE_KINDS:
            prefix = f"notice:{kind}:{link.tg_chat_id}:"
            for notice in self.store.notices_keyed(prefix, f":{stamp}"):
                issue_id = notice.okdesk_issue_id
                since = _since(notice.payload) or link.blocked_at
                text = words.staff_notice(words.REACHABLE_AGAIN, client=_name(link), tz=tz, since=since)
                self.add(f"notice:reachable:{link.tg_chat_id}:{issue_id}:{stamp}", issue_id, text)
                followed += 1
        if followed:
            log.info("staff_told_client_reachable_again", tg_user_id=link.tg_user_id, notices=followed)
        return followed


def _name(link: Link | None) -> str:
    return words.client_words([link.contact_name] if link is not None else [])


def _what(row: OutboxItem) -> str:
    try:
        return str(json.loads(row.payload).get("what") or "")
    except ValueError:
        return ""


def _since(payload: str) -> datetime | None:
    try:
        raw = json.loads(payload).get("since")
        return datetime.fromisoformat(raw) if raw else None
    except ValueError:
        return None
