"""One issue, end to end: fetch it and its comments, let the planner decide, commit the plan.

The plan's outbox rows, its seen marks and the issue's new memory go in ONE transaction, so
whatever crashes before or after, a delivery is planned exactly once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace

from syncd.clock import utcnow
from syncd.config import Settings
from syncd.logs import get_logger
from syncd.okdesk.port import Okdesk
from syncd.relay import own_changes
from syncd.store import Store
from syncd.store.states import OUTBOX_NOTICE as NOTICE_KIND
from syncd.store.states import OUTBOX_TELEGRAM as TELEGRAM_KIND
from syncd.sync.account import PreviousLook
from syncd.sync.codec import delivery_payload
from syncd.sync.planner import Memory, PlanConfig, Recipient, plan_issue

log = get_logger(__name__)
REQUESTS_PER_ISSUE = 2  # GET the issue, GET its comments


class IssueSync:
    def __init__(self, *, store: Store, okdesk: Okdesk, settings: Settings,
                 status_names: Callable[[], Mapping[str, str]], on_new_work: Callable[[], None],
                 on_issue_seen: Callable[..., None] = lambda *_args: None) -> None:
        self.store, self.okdesk, self.settings = store, okdesk, settings
        self.status_names, self.on_new_work = status_names, on_new_work
        # (id, created_at, updated_at, comments_last_at, **what else it weighs) of each issue fetched:
        # evidence of whether comments bump updated_at (syncd.relay.account_state.AccountState.issue_seen).
        self.on_issue_seen = on_issue_seen

    def _plan_config(self) -> PlanConfig:
        sync = self.settings.sync
        return PlanConfig(max_file_bytes=int(sync.max_file_mb * 1024 * 1024),
                          photo_max_bytes=int(sync.photo_max_mb * 1024 * 1024),
                          images_as_documents=sync.images_as_documents, status_names=self.status_names(),
                          notices_enabled=self.settings.okdesk.employee_id is not None,
                          rating_statuses=frozenset(self.settings.okdesk.statuses.completed)
                          if self.settings.okdesk.ratings else frozenset(),
                          finished_statuses=frozenset(self.settings.okdesk.statuses.completed)
                          | frozenset(self.settings.okdesk.statuses.closed),
                          own_change_window=sync.own_change_window, tz=self.okdesk.account_tz)

    def sync_issue(self, issue_id: int, *, background: bool = False) -> int:
        """Fetch one followed issue and its comments, plan, and commit the plan; returns the items queued."""
        # The issue first, then its comments: a comment's files listed among the issue's attachments
        # then always come with that comment, never as "files added" of their own.
        issue = self.okdesk.get_issue(issue_id, background=background)
        comments = self.okdesk.list_comments(issue_id, background=background)
        followed = self.store.followed([issue_id]).get(issue_id)
        seen_comments, seen_files = self.store.seen_ids(issue_id)
        described = {a.id for a in issue.attachments}
        if any(not a.name_known and a.id not in described
               for c in comments if c.id not in seen_comments for a in c.attachments):
            # A new comment written between the two reads, its files listed as bare ids: the issue's own
            # list of files names them (the planner reads it), once read again. Only its files: the rest
            # of the issue stays as first read, older than the comments, so no change is skipped. (Where
            # that list leaves out comments' files, the download names them: syncd.relay.sender.)
            again = self.okdesk.get_issue(issue_id, background=background)
            issue = replace(issue, attachments=again.attachments)
        previous = (PreviousLook(followed.status_code, followed.comments_count, followed.comments_last_at)
                    if followed is not None and followed.baseline_done else None)
        self.on_issue_seen(issue.id, issue.created_at, issue.updated_at, issue.comments_last_at,
                           status_code=issue.status_code, comments_count=issue.comments_count,
                           previous=previous, now=self.okdesk.okdesk_now())
        if followed is None:
            return 0
        own_raw = self.store.get_value(own_changes.key(issue_id))
        memory = Memory(
            followed_at=followed.followed_at, baseline_done=followed.baseline_done,
            status_code=followed.status_code, seen_comment_ids=seen_comments, seen_attachment_ids=seen_files,
            own_comment_ids=self.store.own_comment_ids(issue_id),
            own_status_change=own_changes.parse(own_raw),
        )
        contact_id = issue.contact_id
        links = self.store.links_for_contacts([contact_id] if contact_id else [])
        recipients = [Recipient(link.tg_user_id, link.tg_chat_id, link.okdesk_contact_id, link.language,
                                link.contact_name) for link in links]
        plan = plan_issue(issue, comments, memory, recipients, self._plan_config(), now=utcnow())
        rows = [self.store.outbox_row(dedupe_key=d.dedupe_key, kind=TELEGRAM_KIND, payload=delivery_payload(d),
                                      message_count=sum(s.message_count for s in d.steps),
                                      tg_chat_id=d.tg_chat_id, okdesk_issue_id=d.okdesk_issue_id)
                for d in plan.deliveries]
        rows += [self.store.outbox_row(dedupe_key=n.dedupe_key, kind=NOTICE_KIND,
                                       payload=json.dumps({"text": n.text}, ensure_ascii=False), message_count=0,
                                       okdesk_issue_id=n.okdesk_issue_id) for n in plan.notices]
        added = self.store.apply_issue_plan(
            issue_id, outbox_rows=rows, seen_comment_ids=plan.seen_comment_ids,
            seen_attachment_ids=plan.seen_attachment_ids,
            followed_values=dict(title=issue.title, status_code=plan.status_code, okdesk_contact_id=contact_id,
                                 okdesk_updated_at=issue.updated_at, comments_count=issue.comments_count,
                                 comments_last_at=issue.comments_last_at, baseline_done=True,
                                 last_fetched_at=utcnow()),
            # Only the record the plan used: a reopening recorded meanwhile is still to be recognised.
            forget_values={own_changes.key(issue_id): own_raw} if plan.forget_own_change and own_raw else {},
        )
        if not memory.baseline_done:
            log.info("baseline_seen", issue_id=issue_id, comments=len(plan.seen_comment_ids))
        if added:
            log.info("deliveries_planned", issue_id=issue_id, items=added)
            self.on_new_work()
        return added
