"""Private comments that tell staff what a client could not get (staff do not know the bot exists).

Notices go through the outbox like deliveries: written first (syncd.relay.staff_notices says which,
syncd.sync.notices in which words), posted here later, exactly once. A
notice is unsure (syncd.store.states.UNSURE) from before its POST until Okdesk's answer says
nothing was written; an unsure notice is not posted blindly: the issue's comments are searched
for it first.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta

from syncd.clock import utcnow
from syncd.formatting import text_to_okdesk_html
from syncd.logs import get_logger
from syncd.okdesk.errors import OkdeskError
from syncd.okdesk.port import Okdesk
from syncd.relay.executor import Executor, okdesk_answer
from syncd.relay.health import Health
from syncd.store import Store
from syncd.store.states import OUTBOX_NOTICE, UNSURE
from syncd.sync.answers import is_outage, notice_unsure
from syncd.sync.retry import RetryPolicy

KIND = OUTBOX_NOTICE  # its home: syncd.store.states
log = get_logger(__name__)


class NoticeWorker:
    def __init__(self, store: Store, okdesk: Okdesk, employee_id: int | None, policy: RetryPolicy,
                 health: Health) -> None:
        self.store, self.okdesk, self.employee_id = store, okdesk, employee_id
        self.policy, self.health = policy, health
        self.executor = Executor(store, policy, health)
        self._running = threading.Lock()
        self.stopping = threading.Event()

    def run_once(self) -> int:
        if self.employee_id is None:
            return 0
        posted = 0
        with self._running:
            for row in self.store.due_items(KIND, utcnow()):
                if self.stopping.is_set():
                    break
                if self._post(row):
                    posted += 1
        return posted

    def stop(self, timeout: float) -> bool:
        """Let the notice at hand finish; True once no run is in progress."""
        self.stopping.set()
        if self._running.acquire(timeout=timeout):
            self._running.release()
            return True
        return False

    def _post(self, row) -> bool:  # type: ignore[no-untyped-def]
        content = text_to_okdesk_html(json.loads(row.payload)["text"])
        bound = log.bind(outbox_id=row.id, issue_id=row.okdesk_issue_id)
        maybe_posted = row.state == UNSURE
        try:
            if maybe_posted and self._already_there(row, content):
                self.store.mark_done(row.id)
                bound.info("staff_notice_found_after_unknown_outcome")
                return True
            # Written before the POST: a crash between Okdesk's write and ours must make the next
            # attempt look for the comment first, not post it twice.
            self.store.mark_unsure(row.id)
            assert self.employee_id is not None  # run_once posts nothing without one
            comment = self.okdesk.create_comment(row.okdesk_issue_id, content_html=content,
                                                 author_id=self.employee_id, author_type="employee", public=False)
        except OkdeskError as exc:
            self._failed(row, exc, bound, maybe_posted)
            return False
        self.health.mark("okdesk")
        self.store.record_own_comment(row.okdesk_issue_id, comment.id)
        self.store.mark_done(row.id)
        bound.info("staff_notice_posted", comment_id=comment.id)
        return True

    def _already_there(self, row, content: str) -> bool:  # type: ignore[no-untyped-def]
        for comment in self.okdesk.list_comments(row.okdesk_issue_id):
            if (comment.author_id == self.employee_id and not comment.public
                    and _same_text(comment.content_html, content)
                    and (comment.published_at is None or comment.published_at >= row.created_at - timedelta(minutes=5))):
                self.store.record_own_comment(row.okdesk_issue_id, comment.id)
                return True
        return False

    def _failed(self, row, exc: OkdeskError, bound, maybe_posted: bool) -> None:  # type: ignore[no-untyped-def]
        answer = okdesk_answer(exc)
        # Only an answer that proves nothing was written clears the doubt of an earlier attempt.
        unknown = maybe_posted or notice_unsure(answer)
        # The words stay for `syncd status`; the state is what the next try reads.
        note = f"outcome unknown: {exc}" if unknown else None
        # A server's wait of 0 is no wait: the backoff.
        nxt = self.executor.outbox_failed(row, service="okdesk", error=str(exc), outage=is_outage(answer),
                                          wait=answer.retry_after or None, unsure=unknown, note=note)
        bound.warning("staff_notice_failed", error=str(exc), parked=nxt.parked)


def _same_text(html_a: str, html_b: str) -> bool:
    """Okdesk may rewrite HTML: compare the words only."""
    from syncd.formatting import html_to_telegram

    return html_to_telegram(html_a).text.split() == html_to_telegram(html_b).text.split()
