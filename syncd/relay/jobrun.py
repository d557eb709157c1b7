"""One attempt at one job: check, fetch the files, look for a lost answer, post, record.

Returns an :class:`Outcome`; the worker does the waiting and the telling. Every decision is
syncd.sync.inbound's (the next step from the job's state and what Okdesk answered); this carries
them out. The job is marked "unsure" before the POST and stays so until the answer is recorded,
so a crash or a lost answer always leads to a search before any second POST.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from syncd.config import Settings
from syncd.formatting import FormattedText
from syncd.okdesk.errors import OkdeskError, OkdeskForbidden, OkdeskNotFound, OkdeskValidationError
from syncd.okdesk.models import Comment, Issue, UploadFile
from syncd.okdesk.port import Okdesk
from syncd.relay import author, posting
from syncd.relay.content import Combined, IncomingFile
from syncd.relay.executor import okdesk_answer
from syncd.relay.files import download
from syncd.relay.ownership import owned_issue, owns
from syncd.relay.posting import Dropped
from syncd.relay.reopening import ask_okdesk_to_reopen, reopen_refusal
from syncd.relay.telling import support_suffix
from syncd.store import Store
from syncd.store.inbound_repo import QUEUED, UNSURE
from syncd.store.offloop import off_loop
from syncd.store.rows import InboundJob, InboxMessage, Link
from syncd.store.states import OUTBOX_TELEGRAM as TELEGRAM_KIND
from syncd.sync import inbound as plan
from syncd.sync import refusals
from syncd.sync.codec import delivery_payload
from syncd.sync.inbound import REOPEN_REFUSED, REOPENED
from syncd.sync.planner import Delivery, Step
from syncd.sync.routing import Callback, encode
from syncd.telegram.peers import peer_of
from syncd.telegram.port import TelegramPort
from syncd.texts import human_size, t


@dataclass(frozen=True)
class Outcome:
    kind: str  # done | refused | failed | retry
    error: str | None = None
    tell: str | None = None  # what the client is told (refused / failed)
    wait: float | None = None  # seconds before the next try (None: the retry policy's backoff)
    service: str = "okdesk"
    issue: Issue | None = None  # ask: the finished issue as just read (the question needs no second read)


class _Stopped(Exception):
    """A step that ends this try before the post: the job waits (the worker does the waiting)."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.error)
        self.outcome = outcome


def _retry(step: plan.Retry) -> Outcome:
    return Outcome("retry", error=step.error, wait=step.wait, service=step.service)


def _about_attachments(exc: OkdeskError) -> bool:
    return "attach" in json.dumps(exc.errors, ensure_ascii=False).lower() or "файл" in str(exc.errors).lower()


class JobRun:
    def __init__(self, *, job: InboundJob, link: Link, rows: list[InboxMessage], combined: Combined, tg: TelegramPort,
                 okdesk: Okdesk, store: Store, settings: Settings, work: Path, log: Any) -> None:
        self.job, self.link, self.rows, self.combined = job, link, rows, combined
        self.tg, self.okdesk, self.store, self.settings, self.work, self.log = tg, okdesk, store, settings, work, log
        self.lang = link.language
        self.contact_id = int(link.okdesk_contact_id)
        self.issue_id: int | None = job.okdesk_issue_id
        self.colleagues_issue = False
        # A company client's new issue: (company, service object) as Okdesk has the contact now.
        self.company: tuple[int | None, int | None] = (None, None)
        self.dropped = [Dropped(**d) for d in json.loads(job.dropped_files or "[]")]
        self.max_bytes = int(settings.sync.max_file_mb * 1024 * 1024)
        self.limit_text = human_size(self.max_bytes, self.lang)

    async def execute(self) -> Outcome:
        try:
            return await self._execute()
        except _Stopped as stopped:
            return stopped.outcome

    async def _execute(self) -> Outcome:
        may_have_posted = self.job.state == UNSURE
        if self.job.action == "comment":
            stop = await self._comment_target(may_have_posted)
            if stop is not None:
                return stop
        elif self.link.okdesk_company_id is not None:
            self.company = await self._okdesk(asyncio.to_thread(self._company_now))
        files = await self._files()
        first = self.job.first_attempt_at or self.okdesk.okdesk_now()
        if isinstance(plan.before_post(may_have_posted=may_have_posted), plan.SearchFirst):
            # The files of the try whose answer was lost are those still on the list: none is dropped
            # between that try and this search.
            found = await self._search([f.file_name for f, _ in files])
            waited = (self.okdesk.okdesk_now() - first).total_seconds()
            step = plan.after_search(found=found is not None, files=len(files), seconds_since_first_try=waited,
                                     window=self.settings.sync.file_retry_window)
            if isinstance(step, plan.Finish):
                assert found is not None
                self.log.info("inbound_lost_answer_found", found_id=found.id)
                return await off_loop(self._finish, found)
            if step.give_up_minutes is not None:
                files = await off_loop(self._give_up_files, files, step.give_up_minutes)
        await off_loop(self.store.update_job, self.job.id, state=UNSURE, first_attempt_at=first,
                       last_error="posting: outcome unknown until answered")
        try:
            created = await asyncio.to_thread(self._post, files)
        except OkdeskError as exc:
            return await off_loop(self._post_failed, exc, files)
        return await off_loop(self._finish, created)

    async def _comment_target(self, may_have_posted: bool) -> Outcome | None:
        """The comment's issue as Okdesk shows it now; an outcome when the job goes no further."""
        assert self.issue_id is not None, "a comment job names its issue"
        issue = await self._okdesk(owned_issue(self.okdesk, self.issue_id, self.contact_id))
        finished = False
        if issue is not None:
            self.issue_id = issue.id  # a merged issue answers under its new id
            self.colleagues_issue = not owns(issue, self.contact_id)  # company-wide access
            finished = self.settings.okdesk.statuses.is_finished(issue.status_code)
        step = plan.comment_target(clients=issue is not None, finished=finished, may_have_posted=may_have_posted,
                                   choice=self.job.finished_choice)
        if isinstance(step, plan.Refuse):
            return Outcome("refused", error=step.error, tell=t(self.lang, step.tell))
        if isinstance(step, plan.AskClient):
            return Outcome("ask", issue=issue)
        if isinstance(step, plan.ReopenThenPost):
            assert issue is not None
            await self._reopen(issue)
        elif isinstance(step, plan.MarkChoice):
            await off_loop(self._choose, step.choice, why=step.why)
        return None

    # ------------------------------------------------------------ helpers

    async def _reopen(self, issue: Issue) -> None:
        """The status change that reopens the issue (syncd.sync.inbound.after_reopen says what follows)."""
        statuses = self.settings.okdesk.statuses
        refusal = reopen_refusal(issue, self.contact_id, self.settings.okdesk, self.okdesk.okdesk_now())
        if refusal is not None:  # a stale or forged choice
            await off_loop(self._choose, REOPEN_REFUSED, why=refusal)
            return
        step = await ask_okdesk_to_reopen(self.okdesk, self.store, self.settings.okdesk, issue,
                                          self.link.contact_name)
        if isinstance(step, plan.Retry):
            raise _Stopped(_retry(step))
        await off_loop(self._choose, step.choice, why=step.why)
        if step.choice == REOPENED:
            self.log.info("issue_reopened", status=statuses.reopen_code)

    def _choose(self, choice: str, *, why: str | None = None) -> None:
        """Kept with the job: a crash before the comment does not reopen (or try to) a second time."""
        self.store.update_job(self.job.id, finished_choice=choice)
        self.job = self.store.get_job(self.job.id) or self.job
        if why is not None:
            self.log.warning("issue_not_reopened", error=why[:300])

    async def _okdesk(self, awaitable: Any) -> Any:
        try:
            return await awaitable
        except OkdeskError as exc:
            raise _Stopped(_retry(plan.lookup_failed(okdesk_answer(exc)))) from None

    def _back_to_queue(self) -> None:
        """A definite refusal: nothing was created, the next try needs no search."""
        self.store.update_job(self.job.id, state=QUEUED)

    def _save_dropped(self) -> None:
        self.store.update_job(self.job.id, dropped_files=json.dumps([asdict(d) for d in self.dropped],
                                                                    ensure_ascii=False))

    def _indexed_files(self) -> list[tuple[int, IncomingFile, Any]]:
        out, i = [], 0
        for row, part in zip(self.rows, self.combined.parts):
            for f in part.files:
                out.append((i, f, row))
                i += 1
        return out

    async def _files(self) -> list[tuple[UploadFile, int]]:
        """The files to upload now, each fetched from Telegram once per run of the daemon."""
        gone = {d.index for d in self.dropped}
        ready: list[tuple[UploadFile, int]] = []
        for i, f, row in self._indexed_files():
            if i in gone:
                continue
            if f.size is not None and f.size > self.max_bytes:
                self.dropped.append(Dropped(f.file_name, "reason_over_limit", index=i))
                await off_loop(self._save_dropped)
                continue
            path = self.work / f"f{i}{Path(f.file_name).suffix[:16]}"
            if not (path.exists() and (f.size is None or path.stat().st_size == f.size)):
                try:
                    got = await download(self.tg, peer_of(self.link), row, path)
                except Exception as exc:  # noqa: BLE001 - Telegram unreachable: the job waits
                    raise _Stopped(_retry(plan.download_failed(type(exc).__name__))) from None
                if not got:
                    self.dropped.append(Dropped(f.file_name, "reason_unavailable", index=i))
                    await off_loop(self._save_dropped)
                    continue
            if path.stat().st_size > self.max_bytes:
                self.dropped.append(Dropped(f.file_name, "reason_over_limit", index=i))
                await off_loop(self._save_dropped)
                continue
            ready.append((UploadFile(path=path, file_name=f.file_name, content_type=f.mime_type or
                                     "application/octet-stream"), i))
        return ready

    def _all_names(self) -> list[str]:
        return [f.file_name for _, f, _ in self._indexed_files()]

    def _body(self) -> str:
        return posting.body_html(self.combined, self.dropped, self.limit_text)

    def _title(self) -> str:
        return posting.title_for(self.combined, self.lang)

    def _post(self, files: list[tuple[UploadFile, int]]) -> Comment | Issue:
        uploads = [u for u, _ in files]
        if self.job.action == "comment":
            assert self.issue_id is not None
            return self.okdesk.create_comment(self.issue_id, content_html=self._body(), author_id=self.contact_id,
                                              author_type="contact", public=True, files=uploads)
        if author.refused_in_this_run(self.store):
            return self._create_issue(uploads, None)
        try:
            created = self._create_issue(uploads, (self.contact_id, "contact"))
        except (OkdeskForbidden, OkdeskValidationError) as exc:
            if not author.refuses_author(exc):
                raise
            # A definite refusal, nothing created: the same issue at once without the author (the
            # client's still, by contact_id). Its own failure is raised as any create's, nothing learned.
            self.log.info("okdesk_issue_author_probe_refused", error=str(exc))
            created = self._create_issue(uploads, None)
            author.remember(self.store, refused=True, error=author.describe(exc))
            self.log.warning("okdesk_issue_author_refused", error=str(exc))
            return created
        author.remember(self.store, refused=False)
        return created

    def _create_issue(self, uploads: list[UploadFile], by: tuple[int, str] | None) -> Issue:
        okd = self.settings.okdesk
        # A company's client: the issue is the company's too, on the service object chosen at linking.
        company_id, entity_id = self.company
        return self.okdesk.create_issue(title=self._title(), description_html=self._body(),
                                        contact_id=self.contact_id, author=by, type_code=okd.issue_type or None,
                                        priority_code=okd.issue_priority or None, files=uploads,
                                        company_id=company_id, maintenance_entity_id=entity_id)

    def _company_now(self) -> tuple[int | None, int | None]:
        """Staff move contacts between companies and service objects: the link remembers the choice made
        at linking, Okdesk says what still holds. A contact gone from Okdesk: none (the POST will say)."""
        try:
            contact = self.okdesk.get_contact(self.contact_id)
        except OkdeskNotFound:
            return None, None
        chosen = self.link.okdesk_maintenance_entity_id
        if chosen in contact.maintenance_entity_ids:
            return contact.company_id, chosen
        only = contact.maintenance_entity_ids[0] if len(contact.maintenance_entity_ids) == 1 else None
        return contact.company_id, only

    def _post_failed(self, exc: OkdeskError, files: list[tuple[UploadFile, int]]) -> Outcome:
        """What Okdesk answered the POST, carried out (syncd.sync.inbound.after_post decides)."""
        words = refusals.words_of(exc.errors)
        step = plan.after_post(okdesk_answer(exc), file_names=[u.file_name for u, _ in files],
                               about_files=_about_attachments(exc), detail=posting.plain(" ".join(words))[:500],
                               words=words, commenting=self.job.action == "comment")
        if not plan.leaves_unsure(step):
            self._back_to_queue()
        if isinstance(step, plan.DropFiles):
            victims = [files[p] for p in step.positions]
            self.dropped += [Dropped(u.file_name, reason, index=i) for (u, i), reason in zip(victims, step.reasons)]
            self._save_dropped()
            # Okdesk's own words stay here, in the log: the client and staff read the reasons' plain words.
            self.log.warning("inbound_files_refused", files=len(victims), of=len(files), error=step.error,
                             reasons=list(step.reasons))
            return Outcome("retry", error=step.error, wait=0.0)
        if isinstance(step, plan.Fail):
            why = t(self.lang, "why_suffix", reason=t(self.lang, step.reason)) if step.reason else ""
            return Outcome("failed", error=step.error,
                           tell=t(self.lang, plan.NOT_ACCEPTED, why=why, support=support_suffix(self.settings, self.lang)))
        if isinstance(step, plan.Refuse):
            return Outcome("refused", error=step.error, tell=t(self.lang, step.tell))
        assert isinstance(step, plan.Retry), step  # an error is never "ok"
        return _retry(step)

    def _give_up_files(self, files: list[tuple[UploadFile, int]], minutes: int) -> list[tuple[UploadFile, int]]:
        """Okdesk failed the posts with files for longer than the window: the words go without them.
        Called only after the search found nothing, so the files given up were never attached."""
        self.dropped += [Dropped(u.file_name, plan.REASON_DOWN, str(minutes), index=i) for u, i in files]
        self._save_dropped()
        self.log.warning("inbound_files_given_up", files=len(files))
        return []

    async def _search(self, sent_names: list[str]) -> Comment | Issue | None:
        since = self.job.first_attempt_at
        assert since is not None, "an unsure job was stamped with its first attempt before its POST"
        expected = posting.body_html(self.combined, [], self.limit_text)
        if self.job.action == "comment":
            assert self.issue_id is not None
            comments = await self._okdesk(asyncio.to_thread(self.okdesk.list_comments, self.issue_id))
            return posting.find_comment(comments, contact_id=self.contact_id, since=since, expected_html=expected,
                                        sent_names=sent_names, all_names=self._all_names(),
                                        claimed=await off_loop(self.store.claimed_comment_ids, self.issue_id))
        issues = await self._okdesk(asyncio.to_thread(self.okdesk.list_issues, contact_ids=[self.contact_id],
                                                      max_pages=1))
        for candidate in posting.issue_candidates(issues, contact_id=self.contact_id, since=since,
                                                  title=self._title(),
                                                  claimed=await off_loop(self.store.claimed_issue_ids, self.link.tg_user_id)):
            issue = await self._okdesk(asyncio.to_thread(self.okdesk.get_issue, candidate.id))
            if posting.issue_matches(issue, expected_html=expected, sent_names=sent_names,
                                     all_names=self._all_names()):
                return issue
        return None

    # ------------------------------------------------------------ the outcome

    def _finish(self, created: Comment | Issue) -> Outcome:
        lang = self.lang
        if isinstance(created, Comment):
            issue_id, comment_id = int(self.issue_id or 0), created.id
            attachments = [a.id for a in created.attachments if a.id is not None]
            follow = None
            said = {REOPENED: "reopened_comment_added", REOPEN_REFUSED: "reopen_refused_comment_added"}
            key = said.get(self.job.finished_choice or "", "comment_added")
            steps = [Step("text", FormattedText(t(lang, key, issue_id=issue_id)))]
        else:
            issue_id, comment_id = created.id, None
            attachments = [a.id for a in created.attachments if a.id is not None]
            follow = self._follow_row(created)
            buttons = ((t(lang, "comment_button"), encode(Callback("comment", issue_id=issue_id)).decode()),
                       (t(lang, "card_button"), encode(Callback("view", issue_id=issue_id)).decode()))
            steps = [Step("text", FormattedText(t(lang, "issue_created", issue_id=issue_id, title=created.title)),
                          buttons=(buttons,))]
        if self.dropped:
            lines = "\n".join(posting.dropped_lines(self.dropped, lang, self.limit_text))
            steps.append(Step("text", FormattedText(t(lang, "files_not_attached", issue_id=issue_id, lines=lines))))
        delivery = Delivery(dedupe_key=f"inbound:{self.job.id}", tg_chat_id=self.link.tg_chat_id,
                            okdesk_issue_id=issue_id, okdesk_comment_id=comment_id, what="confirmation",
                            steps=tuple(steps))
        confirmation = self.store.outbox_row(dedupe_key=delivery.dedupe_key, kind=TELEGRAM_KIND,
                                             payload=delivery_payload(delivery), message_count=len(steps),
                                             tg_chat_id=self.link.tg_chat_id, okdesk_issue_id=issue_id)
        recorded = self.store.finish_job(self.job.id, okdesk_issue_id=issue_id, okdesk_comment_id=comment_id,
                                         attachment_ids=attachments, follow=follow, confirmation=confirmation,
                                         dropped_files=[asdict(d) for d in self.dropped],
                                         echo_to_requester=self.colleagues_issue)
        self.log.info("inbound_posted", action=self.job.action, issue_id=issue_id, comment_id=comment_id,
                      files=len(attachments), dropped=len(self.dropped), recorded=recorded)
        return Outcome("done")

    def _follow_row(self, issue: Issue) -> dict[str, Any]:
        from datetime import timedelta

        now = self.okdesk.okdesk_now()
        stamps = [s for s in (now, issue.created_at, *(a.created_at for a in issue.attachments)) if s is not None]
        sent_files = len(self._all_names()) - len(self.dropped)
        # Everything the issue holds at birth is the client's own; when Okdesk's answer does not list its
        # files, the first look at the issue marks them seen (they are dated before this moment).
        listed = len(issue.attachments) >= sent_files
        return dict(okdesk_issue_id=issue.id, okdesk_contact_id=self.contact_id, title=issue.title,
                    status_code=issue.status_code, okdesk_updated_at=issue.updated_at,
                    comments_count=issue.comments_count, comments_last_at=issue.comments_last_at,
                    followed_at=max(stamps) + (timedelta(0) if listed else timedelta(seconds=5)),
                    baseline_done=listed, last_fetched_at=None)
