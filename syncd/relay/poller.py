"""The poll job: what changed in Okdesk, turned into outbox items through the pure planner.

One idle cycle costs one request: ``/issues/list`` with ``updated_since`` (cursor minus an
overlap, because Okdesk honours it only to the minute and clocks drift), whose answer is
compared with what the store remembers; only issues that really changed are fetched.
Since nobody knows whether a new comment bumps an issue's ``updated_at``, a reconcile sweep
visits every followed issue in turn, as fast as its share of the request budget allows.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from syncd.clock import utcnow
from syncd.config import Settings
from syncd.logs import get_logger
from syncd.okdesk.budget import WINDOW
from syncd.okdesk.errors import OkdeskError, OkdeskNotFound, OkdeskTokenRefused, OkdeskUnavailable
from syncd.okdesk.models import IssueSummary
from syncd.okdesk.port import Okdesk
from syncd.relay.account_state import AccountState
from syncd.relay.health import Health
from syncd.relay.issue_sync import REQUESTS_PER_ISSUE, IssueSync
from syncd.store import Store
from syncd.store.rows import FollowedIssue
from syncd.store.states import LAST_POLL_KEY, LAST_POLL_OK_KEY, POLL_CURSOR_KEY, STATUS_NAMES_KEY
from syncd.sync.account import UNKNOWN

log = get_logger(__name__)
COUNT_EVERY = 5.0  # seconds the number of followed issues is taken as known, for the sweep's period
# Issues looked at once, while it is not known whether comments bump updated_at: the most recently
# updated ones of the account, read-only (a list request, and a GET each unless the list shows comments).
PROBE_ISSUES = 10
# How many polls in a row an issue that fails to fetch may hold the cursor back; then the
# reconcile sweep is left to catch it, so one broken issue cannot stall the poll for good.
MAX_CURSOR_HOLDS = 5


class ReconcileBucket:
    """The reconcile sweep's own share of the Okdesk request budget (tokens are requests)."""

    def __init__(self, per_minute: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        # A "minute" of the budget's 61-s window (syncd.okdesk.budget): visits exactly 60/n s apart put
        # n + 1 in some 60-s windows.
        self.rate = per_minute / WINDOW
        self.capacity = max(burst, float(REQUESTS_PER_ISSUE))
        self.tokens = float(REQUESTS_PER_ISSUE)
        self.clock = clock
        self._at = clock()

    def take(self, amount: float) -> bool:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self._at) * self.rate)
        self._at = now
        if self.tokens >= amount:
            self.tokens -= amount
            return True
        return False

    def refund(self, amount: float) -> None:
        self.tokens = min(self.capacity, self.tokens + amount)


class Poller:
    def __init__(self, *, store: Store, okdesk: Okdesk, settings: Settings, health: Health,
                 on_new_work: Callable[[], None], heartbeat: Callable[[], None] = lambda: None) -> None:
        self.store, self.okdesk, self.settings, self.health = store, okdesk, settings, health
        self.on_new_work = on_new_work
        # Called whenever the cycle moves on, whatever Okdesk answered (syncd/app/liveness.py).
        self.heartbeat = heartbeat
        self.account = AccountState(store, settings, REQUESTS_PER_ISSUE)
        self.reconcile_bucket = self._bucket()
        self._last_poll: float | None = None  # monotonic time the last poll (tick) started
        # Pages the last poll's list took: a busy account costs more a poll, so polls come that much
        # less often (the interval is planned for one request a poll).
        self._pages = 1
        self._probed = False
        self._filter_check_due = 0.0  # monotonic time of the next check that updated_since hides nothing
        self._status_names: dict[str, str] = json.loads(store.get_value(STATUS_NAMES_KEY) or "{}")
        self._statuses_due = 0.0  # monotonic time of the next refresh of the status names
        self._followed_count, self._count_due = 0, 0.0
        # Monotonic time at which the stored poll cursor was known to be no later than Okdesk's clock.
        self._cursor_at: float | None = None
        self._holds: dict[int, int] = {}  # issue id -> polls in a row its failed fetch held the cursor
        self._tz_learned = settings.okdesk.timezone is not None
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self.cycles = 0
        self.issues = IssueSync(store=store, okdesk=okdesk, settings=settings,
                                status_names=self.status_names, on_new_work=on_new_work,
                                on_issue_seen=self.account.issue_seen)

    def _bucket(self) -> ReconcileBucket:
        schedule = self.account.schedule()
        rpm = schedule.sweep_per_minute
        return ReconcileBucket(rpm, rpm / 60.0 * max(schedule.poll_interval, 1.0) * 2)

    def sync_issue(self, issue_id: int, *, background: bool = False) -> int:
        self.heartbeat()
        return self.issues.sync_issue(issue_id, background=background)

    def status_names(self) -> dict[str, str]:
        """The account's status names as last read (the menu and the planner ask at each use)."""
        return self._status_names

    def stop(self, timeout: float) -> bool:
        """Ask a running cycle to end after the issue at hand; True once no cycle runs."""
        self.stopping.set()
        if self._lock.acquire(timeout=timeout):
            self._lock.release()
            return True
        return False

    # ------------------------------------------------------------ the cycle

    def poll_due_in(self) -> float:
        """Seconds until the next poll is due (a little more than none, when it is)."""
        return max(0.01, self._poll_due() - time.monotonic())

    def _poll_due(self) -> float:
        """Monotonic time the next poll is due: an interval (as the schedule says now, so a verdict
        learned between two polls moves the next one at once) after the last one started."""
        if self._last_poll is None:
            return 0.0
        return self._last_poll + self.account.schedule().poll_interval * self._pages

    def tick(self) -> None:
        """Called every POLL_TICK: a poll cycle when one is due (its interval follows what is known of
        the account), then steps of the reconcile sweep until the next poll is due, so that the sweep
        spends its share of the budget evenly instead of in bursts a sliding window would partly refuse."""
        if self.stopping.is_set():
            return
        self.heartbeat()
        now = time.monotonic()
        if now >= self._poll_due():
            self._last_poll = now  # due from the start of this cycle, not its end
            self.run_cycle()
        if not self._lock.acquire(blocking=False):
            return  # a cycle still runs
        try:
            if not self.stopping.is_set():
                self._reconcile()
        except OkdeskError as exc:
            log.warning("reconcile_failed", error=str(exc))
        except Exception:  # the daemon keeps running whatever a sweep meets
            log.exception("poll_crashed")
        finally:
            self._lock.release()

    def run_cycle(self) -> bool:
        """One poll; never raises. Returns True when Okdesk answered the main poll request."""
        with self._lock:
            if self.stopping.is_set():
                return False
            self.cycles += 1
            self.heartbeat()
            ok = False
            try:
                self._learn_timezone()
                self._refresh_statuses()
                self.heartbeat()
                self._scan_new_links()
                self.heartbeat()
                ok = self._poll_updates()
                self._probe_bump()
            except OkdeskError as exc:
                self.health.error("okdesk", str(exc))
                log.warning("poll_failed", error=str(exc), kind=exc.kind)
            except Exception as exc:  # the daemon keeps running whatever a cycle meets
                self.health.error("okdesk", type(exc).__name__)
                log.exception("poll_crashed")
            now = utcnow().isoformat()
            self.store.set_value(LAST_POLL_KEY, json.dumps({"at": now, "ok": ok}))
            if ok:  # `syncd status`: when Okdesk last answered a poll (last_poll alone forgets it in an outage)
                self.store.set_value(LAST_POLL_OK_KEY, now)
            self.heartbeat()
            log.debug("poll_done", ok=ok, cycle=self.cycles)
            return ok

    def _learn_timezone(self) -> None:
        """`updated_since` is read in the account's zone: learn it from one timestamp before the
        first poll, or an account west of Moscow would be asked about its future."""
        if self._tz_learned:
            return
        try:
            self.okdesk.list_issues(page_size=1, max_pages=1)
        except OkdeskError as exc:
            log.warning("timezone_not_learned", error=str(exc))
            return
        self._tz_learned = True

    def _refresh_statuses(self) -> None:
        now = time.monotonic()
        if now < self._statuses_due:
            return
        try:
            statuses = self.okdesk.list_statuses()
        except OkdeskError as exc:
            # Names are a nicety: the issue's own status name or its code stands in meanwhile.
            log.warning("status_names_unavailable", error=str(exc))
            self._statuses_due = now + min(60.0, self.settings.sync.status_refresh)
            return
        if statuses:
            self._status_names = {s.code: s.name for s in statuses}
            self.store.set_value(STATUS_NAMES_KEY, json.dumps(self._status_names, ensure_ascii=False))
        self._statuses_due = now + self.settings.sync.status_refresh

    def _scan_new_links(self) -> None:
        """A newly linked contact's issues are followed, old and new alike, from the moment of linking."""
        for link in self.store.links_unscanned():
            try:
                issues = self.okdesk.list_issues(contact_ids=[link.okdesk_contact_id])
            except OkdeskError as exc:
                log.warning("contact_issues_unavailable", tg_user_id=link.tg_user_id, error=str(exc))
                continue
            if link.okdesk_contact_id in self.store.contacts_creating_issues():
                # An issue being created by the client's job is followed by it, as theirs: scanned next cycle.
                continue
            rows = [self._follow_row(i, followed_at=link.linked_at) for i in issues]
            added = self.store.follow_contact_issues(link.tg_user_id, rows)
            log.info("contact_issues_followed", tg_user_id=link.tg_user_id, issues=len(rows), new=added)
            for row in rows:
                log.debug("issue_followed", issue_id=row["okdesk_issue_id"])

    def _poll_updates(self) -> bool:
        raw_cursor = self.store.get_value(POLL_CURSOR_KEY)
        cursor = datetime.fromisoformat(raw_cursor) if raw_cursor else self.okdesk.okdesk_now()
        since = cursor - timedelta(seconds=self.settings.sync.poll_overlap)
        trusted = self.account.updated_since.trusted
        newest, checked = None, False
        if trusted and time.monotonic() >= self._filter_check_due:
            # Now and then, that the filter hides nothing: the newest issue, asked first, must be listed.
            self._filter_check_due = time.monotonic() + self.settings.sync.updated_since_check
            newest, checked = next(iter(self.okdesk.recently_updated_issues(1)), None), True
        listed = self.okdesk.issues_updated_since(since, trust_filter=trusted)
        self._pages = max(1, listed.pages + checked)  # the check is paid for like a page: the load stays
        items = listed.items
        answered = time.monotonic()
        self.health.mark("okdesk")
        self.account.poll_answered(since, self.okdesk.account_tz, listed.older, {i.id for i in items}, newest)
        now = self.okdesk.okdesk_now()
        for item in items:  # free evidence ("no" only), where list items carry comments{count,last_at}
            self.account.issue_seen(item.id, item.created_at, item.updated_at, item.comments_last_at, now=now)
        # Asked after the list and before `followed`: an issue the daemon is creating right now is
        # either already followed (with its files seen) or its contact is still listed here.
        creating = self.store.contacts_creating_issues()
        followed = self.store.followed(i.id for i in items)
        linked = self.store.linked_contact_ids()
        failed_at: list[datetime] = []
        for item in items:
            if self.stopping.is_set():
                return True  # the cursor stays: the next start lists these again
            row = followed.get(item.id)
            if row is None and item.contact_id in creating:
                # Perhaps the issue a client's message is becoming: its own files must not come back as
                # "files added". The next poll sees it again (the cursor is held for it).
                failed_at.append(item.updated_at or utcnow())
                continue
            if row is None:
                if item.contact_id in linked and self._follow_new(item):
                    self._sync_safely(item.id, failed_at, item)
                continue
            if _changed(item, row):
                self._sync_safely(item.id, failed_at, item)
        stamps = [i.updated_at for i in items if i.updated_at is not None]
        new_cursor = max(stamps, default=None)
        if self._cursor_at is not None:
            # Okdesk's clock has moved on at least as far as our monotonic one since the cursor was
            # last a lower bound of it (no skew between the hosts involved). Without this, a quiet
            # account would re-list its last burst of updates in every poll, page after page, until
            # something newer happened (tests/bench/bench_poll_cost.py).
            aged = cursor + timedelta(seconds=answered - self._cursor_at)
            new_cursor = aged if new_cursor is None else max(new_cursor, aged)
        if new_cursor is not None:
            # An issue whose fetch failed must come back in the next list: keep the cursor before it.
            if failed_at:
                new_cursor = min(new_cursor, min(failed_at) - timedelta(seconds=1))
            if new_cursor > cursor or raw_cursor is None:
                self.store.set_value(POLL_CURSOR_KEY, new_cursor.isoformat())
            if new_cursor >= cursor or raw_cursor is None:
                # Only a cursor drawn from Okdesk's own timestamps is aged: the first one, taken
                # from our clock when the account is empty, may be ahead of Okdesk's.
                self._cursor_at = answered
        elif raw_cursor is None:
            self.store.set_value(POLL_CURSOR_KEY, cursor.isoformat())
        return True

    def _sync_safely(self, issue_id: int, failed_at: list[datetime], item: IssueSummary) -> None:
        try:
            self.sync_issue(issue_id)
        except OkdeskError as exc:
            holds = self._holds.get(issue_id, 0) + 1
            self._holds[issue_id] = holds
            if holds <= MAX_CURSOR_HOLDS:
                failed_at.append(item.updated_at or utcnow())
            log.warning("issue_sync_failed", issue_id=issue_id, error=str(exc), holds=holds)
        else:
            self._holds.pop(issue_id, None)

    def _follow_new(self, item: IssueSummary) -> bool:
        """An issue of a linked contact we did not follow yet: created by staff, or given to the contact."""
        links = self.store.links_for_contacts([item.contact_id] if item.contact_id else [])
        if not links:
            return False
        linked_at = min(link.linked_at for link in links)
        created = item.created_at
        # Created after the link: everything in it is news. An old issue handed over to the contact:
        # from the hand-over on, which Okdesk dates (updated_at); the overlap keeps the note staff
        # typically write just before handing it over.
        if created is not None and created >= linked_at:
            followed_at = linked_at
        else:
            handed_over = (item.updated_at or self.okdesk.okdesk_now()) - timedelta(
                seconds=self.settings.sync.poll_overlap)
            followed_at = max(linked_at, handed_over)
        added = self.store.follow_issue(self._follow_row(item, followed_at=followed_at))
        if added:
            log.info("issue_followed", issue_id=item.id)
        return added

    @staticmethod
    def _follow_row(item: IssueSummary, *, followed_at: datetime) -> dict:
        return dict(okdesk_issue_id=item.id, okdesk_contact_id=item.contact_id, title=item.title,
                    status_code=item.status_code, okdesk_updated_at=None, comments_count=None,
                    comments_last_at=None, followed_at=followed_at, baseline_done=False, last_fetched_at=None)

    def _probe_bump(self) -> None:
        """Once a run, while it is not known whether comments bump updated_at: look at the account's
        most recently updated issues (read-only, background requests) for a comment newer than its
        issue, the proof of "no". ("yes" takes watching followed issues get comments.)"""
        if self._probed or self.account.bump.verdict != UNKNOWN or self.stopping.is_set():
            return
        self._probed = True
        try:
            recent = self.okdesk.recently_updated_issues(PROBE_ISSUES, background=True)
            now = self.okdesk.okdesk_now()
            for item in recent:
                if self.stopping.is_set():
                    return
                if item.comments_last_at is None and item.comments_count is None:
                    issue = self.okdesk.get_issue(item.id, background=True)
                    self.account.issue_seen(issue.id, issue.created_at, issue.updated_at, issue.comments_last_at,
                                            now=now)
                else:
                    self.account.issue_seen(item.id, item.created_at, item.updated_at, item.comments_last_at, now=now)
        except OkdeskError as exc:
            log.info("comment_bump_probe_stopped", error=str(exc))

    def _followed(self) -> int:
        """How many issues are followed: asked every few seconds, not every tick (it moves slowly)."""
        if time.monotonic() >= self._count_due:
            self._followed_count, self._count_due = self.store.followed_count(), time.monotonic() + COUNT_EVERY
        return self._followed_count

    def _reconcile(self) -> None:
        schedule = self.account.schedule()
        if schedule.sweep_per_minute != self.reconcile_bucket.per_minute:
            self.reconcile_bucket = self._bucket()  # the verdict changed the sweep's pace
        period = self.account.sweep_period(self._followed())
        fetched_before = utcnow() - timedelta(seconds=period)
        # A background request may wait for room in the shared budget, and the sweep's own bucket
        # refills meanwhile: unbounded, one tick's sweep could run on for hours while every poll is
        # skipped behind it. It ends when the next poll is due; what is left over waits for a tick.
        deadline = self._poll_due()
        budget = self.okdesk.budget
        while (not self.stopping.is_set() and time.monotonic() < deadline
               # Never wait for room in the shared budget: the poll thread would stall behind
               # it. No room for a whole visit now means the sweep goes on next cycle.
               and (budget is None or budget.has_room(REQUESTS_PER_ISSUE, background=True))
               and self.reconcile_bucket.take(REQUESTS_PER_ISSUE)):
            due = self.store.issues_for_reconcile(fetched_before, 1)
            if not due:
                self.reconcile_bucket.refund(REQUESTS_PER_ISSUE)
                return
            try:
                self.sync_issue(due[0], background=True)
            except (OkdeskUnavailable, OkdeskTokenRefused) as exc:
                log.warning("reconcile_failed", issue_id=due[0], error=str(exc))
                return  # Okdesk is down (or the token refused) for everyone: the sweep waits, in order
            except OkdeskError as exc:
                # This issue's own trouble (gone, hidden, refused, malformed): the sweep moves on and
                # comes back to it next round, or one such issue would stop every other visit.
                self.store.update_followed(due[0], last_fetched_at=utcnow())
                if not isinstance(exc, OkdeskNotFound):
                    log.warning("reconcile_issue_skipped", issue_id=due[0], error=str(exc))


def _changed(item: IssueSummary, followed: FollowedIssue) -> bool:
    """Does the list item show anything the followed issue's row has not seen?"""
    if not followed.baseline_done:
        return True
    if item.updated_at is not None and item.updated_at != followed.okdesk_updated_at:
        return True
    if item.status_code and item.status_code != followed.status_code:
        return True
    if item.comments_count is not None and item.comments_count != followed.comments_count:
        return True
    return item.comments_last_at is not None and item.comments_last_at != followed.comments_last_at
