"""Rating a completed issue with Okdesk's own rating, exactly once, and the remark after it.

The predecessor kept a 1-5 score as a private comment and asked twice; here the choice is written
with ``POST /issues/{id}/rates``, so staff see it where Okdesk shows ratings.

Exactly once: the issue's ``issue_ratings`` row is written before Okdesk is asked (state
``unsure``) and marked ``done`` after. A press is handled under the issue's lock, so a double
tap finds the row of the first. A request without an answer (timeout, dropped connection, a
crash) leaves ``unsure``: the next press, the start of the daemon and a periodic look read the
issue, and a rate shown means done, none means nothing was applied and the request goes again.

Only the issue's own contact rates it: no company-wide access widens this.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telethon import Button

from syncd.bot.after_rating import AfterRating
from syncd.bot.ways_out import await_remark, cancel_prompt_row
from syncd.config import Settings
from syncd.logs import get_logger
from syncd.okdesk.errors import OkdeskError, OkdeskNotFound
from syncd.okdesk.models import Issue
from syncd.okdesk.port import Okdesk
from syncd.relay.executor import okdesk_answer
from syncd.relay.ownership import owns
from syncd.store import Store
from syncd.store.offloop import off_loop
from syncd.store.rating_repo import RATING_DONE, UNSURE
from syncd.store.rows import IssueRating, Link
from syncd.sync.answers import OK, RATE_DONE, RATE_REFUSED, Answer, AnswerKind, after_rate
from syncd.sync.routing import Callback, encode
from syncd.telegram.peers import peer_of
from syncd.telegram.presses import Press
from syncd.telegram.replies import Replies
from syncd.telegram.userlocks import UserLocks
from syncd.texts import t

log = get_logger(__name__)
VERBS = ("rate", "remark", "reopen_issue")
# What became of one rate request.
DONE, ALREADY, REFUSED, UNKNOWN = "done", "already", "refused", "unknown"


def rate_words(lang: str, rate: str | None) -> str:
    return t(lang, f"rate_{rate}") if rate else "?"


def remark_buttons(lang: str, issue_id: int) -> list[list[Any]]:
    return [[Button.inline(t(lang, "remark_button"), encode(Callback("remark", issue_id=issue_id)))]]


class Rating:
    def __init__(self, *, store: Store, okdesk: Okdesk, settings: Settings, locks: UserLocks,
                 replies: Replies) -> None:
        self.store, self.okdesk, self.settings, self.locks, self.replies = store, okdesk, settings, locks, replies
        # The row is the issue's, and Telegram users may share a contact: one rating of an issue at a time,
        # whoever presses (where both are held, after the client's own lock, never before: no deadlock).
        self.issue_locks = UserLocks()
        self.after = AfterRating(store=store, okdesk=okdesk, settings=settings, replies=replies)

    # ------------------------------------------------------------ presses

    async def on_callback(self, press: Press, cb: Callback, link: Link, lang: str) -> None:
        """Answered at once: from the database when it decides (not the requester's, already rated),
        else with a "sending" toast; the outcome of Okdesk's answer is a message and an edit."""
        issue_id = int(cb.issue_id or 0)
        bound = log.bind(tg_user_id=link.tg_user_id, issue_id=issue_id)
        if cb.verb == "rate" and not self.settings.okdesk.ratings:
            # No such button is shown: a press is forged or from before the switch.
            bound.warning("callback_refused_ratings_off")
            await press.tell(t(lang, "not_yours"))
            return
        followed = (await off_loop(self.store.followed, [issue_id])).get(issue_id)
        if followed is None or followed.okdesk_contact_id != link.okdesk_contact_id:
            # These buttons come only with the news of an issue followed for the client's own contact.
            bound.warning("callback_refused_not_requester", by="record")
            await press.tell(t(lang, "not_yours"))
            return
        row = await off_loop(self.store.get_rating, issue_id) if cb.verb == "rate" else None
        if row is not None and row.state == RATING_DONE:
            # Our record stands, whatever Okdesk shows now: nothing is sent again.
            await self._already(press, issue_id, row.rate, lang)
            return
        if cb.verb == "reopen_issue":
            # Answered once Okdesk has: a reopening is quick, and its outcome is the answer.
            async with self.locks.hold(link.tg_user_id), self.issue_locks.hold(issue_id):
                issue = await self._requesters(press, issue_id, link, lang)
                if issue is not None:
                    await self.after.reopen(press, issue, link, lang)
            return
        await press.answer(t(lang, "rate_sending") if cb.verb == "rate" else None)
        if cb.verb == "remark":
            # The remark is the client's next message: their lock, before Okdesk is asked.
            async with self.locks.hold(link.tg_user_id), self.issue_locks.hold(issue_id):
                issue = await self._requesters(press, issue_id, link, lang)
                if issue is not None:
                    await self._ask_remark(issue, link, lang)
            return
        # Exactly once rests on the issue's row, written under the issue's lock; the client's own lock is
        # not needed, so a rating never waits behind the client's slow messages.
        bad: Issue | None = None
        async with self.issue_locks.hold(issue_id):
            issue = await self._requesters(press, issue_id, link, lang)
            if issue is not None and await self._rate(press, issue, str(cb.rate), link, lang) == "bad":
                bad = issue
        if bad is not None:
            # What went wrong, asked of the client: their lock (the answer is their next message), taken
            # after the issue's is released, never inside it.
            async with self.locks.hold(link.tg_user_id):
                await self.after.ask_what_went_wrong(bad, link, lang, reply_to=press.msg_id)

    async def _requesters(self, press: Press, issue_id: int, link: Link, lang: str) -> Issue | None:
        """The issue read fresh, if the client's linked contact is its contact; else a refusal and None."""
        try:
            issue: Issue | None = await asyncio.to_thread(self.okdesk.get_issue, issue_id)
        except OkdeskNotFound:
            issue = None
        except OkdeskError as exc:
            log.warning("rating_issue_unavailable", tg_user_id=link.tg_user_id, issue_id=issue_id, error=str(exc))
            await press.tell(t(lang, "okdesk_unavailable"))
            return None
        if issue is None or not owns(issue, link.okdesk_contact_id):
            log.warning("callback_refused_not_requester", tg_user_id=link.tg_user_id, issue_id=issue_id)
            await press.tell(t(lang, "not_yours"))
            return None
        return issue

    async def _rate(self, press: Press, issue: Issue, rate: str, link: Link, lang: str) -> str | None:
        """The client's rating, when this press saw it applied (None: refused, pending, given before)."""
        bound = log.bind(tg_user_id=link.tg_user_id, issue_id=issue.id)
        row = await off_loop(self.store.get_rating, issue.id)
        if issue.rate is not None:
            # Rated: by us (an answer lost, now seen), or in the portal. Remembered as Okdesk shows it.
            if row is not None and row.state == UNSURE and await off_loop(self.store.finish_rating, issue.id, issue.rate):
                bound.info("rating_confirmed", rate=issue.rate)
                await self._thanked(press, issue.id, issue.rate, lang)
                return issue.rate
            if row is None or row.state != RATING_DONE or row.rate != issue.rate:
                await off_loop(self.store.record_rating, issue.id, tg_user_id=link.tg_user_id,
                               okdesk_contact_id=link.okdesk_contact_id, rate=issue.rate)
            await self._already(press, issue.id, issue.rate, lang)
            return None
        if row is not None and row.state == RATING_DONE:
            await self._already(press, issue.id, row.rate, lang)
            return None
        # Completed or closed since: accounts close completed issues after a while, the rating still counts.
        if not self.settings.okdesk.statuses.is_finished(issue.status_code):
            await press.tell(t(lang, "rate_not_completed"))
            return None
        if row is not None:
            # "unsure", and Okdesk shows no rate: the earlier request applied nothing. The latest
            # choice is the client's: it replaces the one that never arrived.
            await off_loop(self.store.drop_rating, issue.id)
        if not await off_loop(self.store.start_rating, issue.id, tg_user_id=link.tg_user_id,
                              okdesk_contact_id=link.okdesk_contact_id, rate=rate):
            await press.tell(t(lang, "rate_in_progress"))
            return None
        outcome, shown = await self._post(issue.id, rate)
        if outcome == DONE:
            bound.info("issue_rated", rate=rate)
            await self._thanked(press, issue.id, rate, lang)
            return rate
        if outcome == ALREADY:
            await self._already(press, issue.id, shown, lang)
        elif outcome == REFUSED:
            await press.tell(t(lang, "rate_refused"))
        else:
            await press.tell(t(lang, "rate_pending"))
        return None

    async def _post(self, issue_id: int, rate: str) -> tuple[str, str | None]:
        """Send the rate of an ``unsure`` row and record what became of it."""
        bound = log.bind(issue_id=issue_id)
        try:
            await asyncio.to_thread(self.okdesk.rate_issue, issue_id, rate)
        except OkdeskError as exc:
            answer = okdesk_answer(exc)
        else:
            answer = OK
        result = after_rate(answer)
        if result == RATE_DONE:
            await off_loop(self.store.finish_rating, issue_id, rate)
            return DONE, rate
        if result == RATE_REFUSED:
            return await self._refused(issue_id, answer)
        if answer.kind is AnswerKind.TOKEN_REFUSED:
            # The token refused as a whole (being rotated?): nothing was judged; the recheck sends it again.
            bound.warning("rating_waits_for_okdesk", error=answer.error)
        else:
            # Maybe applied, maybe not: the row stays "unsure" until the issue says which.
            bound.warning("rating_outcome_unknown", error=answer.error)
        return UNKNOWN, None

    async def _refused(self, issue_id: int, answer: Answer) -> tuple[str, str | None]:
        """A definite refusal: nothing of this request was applied. "Already rated" is read off the issue."""
        bound = log.bind(issue_id=issue_id)
        shown = await self._shown_rate(issue_id)
        if shown is not None:
            await off_loop(self.store.finish_rating, issue_id, shown)
            bound.info("rating_already_in_okdesk", rate=shown)
            return ALREADY, shown
        await off_loop(self.store.drop_rating, issue_id)
        bound.warning("rating_refused", error=answer.error)
        return REFUSED, None

    async def _shown_rate(self, issue_id: int) -> str | None:
        try:
            return (await asyncio.to_thread(self.okdesk.get_issue, issue_id)).rate
        except OkdeskError:
            return None

    async def _thanked(self, press: Press, issue_id: int, rate: str, lang: str) -> None:
        await self._mark_message(press, issue_id, rate, lang)
        await press.tell(t(lang, "rate_thanks"), alert=False)

    async def _already(self, press: Press, issue_id: int, rate: str | None, lang: str) -> None:
        await press.tell(t(lang, "rate_already", rate=rate_words(lang, rate)))
        await self._mark_message(press, issue_id, rate, lang)

    async def _mark_message(self, press: Press, issue_id: int, rate: str | None, lang: str) -> None:
        """The notification keeps its words, says the rating given, and offers a remark instead."""
        try:
            message = await press.get_message()
        except Exception as exc:  # noqa: BLE001 - cosmetic: the rating itself is recorded
            log.info("rating_message_not_edited", issue_id=issue_id, error=type(exc).__name__)
            return
        text = (message.message or "") if message is not None else ""
        # The question is answered: it goes, the rating given takes its place.
        text = text.removesuffix(t(lang, "rate_ask")).rstrip()
        given = t(lang, "rate_given", rate=rate_words(lang, rate))
        if given not in text:
            text = f"{text}\n\n{given}" if text else given
        entities = (message.entities or None) if message is not None else None
        # After 👎 the follow-up question carries the remark (and the reopen) buttons.
        buttons = remark_buttons(lang, issue_id) if rate != "bad" else None
        await press.edit(text, formatting_entities=entities, parse_mode=None, buttons=buttons, link_preview=False)

    async def _ask_remark(self, issue: Issue, link: Link, lang: str) -> None:
        await await_remark(self.store, self.settings, link.tg_user_id, issue.id)
        await self.replies.send(peer_of(link), t(lang, "ask_remark", issue_id=issue.id),
                                buttons=[cancel_prompt_row(lang)])

    # ------------------------------------------------------------ ratings sent without an answer

    async def resume(self) -> None:
        """Resolve every ``unsure`` row: at start (a crash between the request and its record),
        then every ``sync.recheck_interval`` seconds (a timeout nobody pressed again after)."""
        for row in await off_loop(self.store.ratings_unsure):
            async with self.locks.hold(row.tg_user_id), self.issue_locks.hold(row.okdesk_issue_id):
                try:
                    await self._resolve(row.okdesk_issue_id)
                except Exception:  # one rating must not stop the others
                    log.exception("rating_resume_failed", tg_user_id=row.tg_user_id, issue_id=row.okdesk_issue_id)

    async def _resolve(self, issue_id: int) -> None:
        row = await off_loop(self.store.get_rating, issue_id)
        if row is None or row.state != UNSURE:
            return  # a press resolved it while we waited for the lock
        bound = log.bind(tg_user_id=row.tg_user_id, issue_id=issue_id)
        try:
            issue = await asyncio.to_thread(self.okdesk.get_issue, issue_id, background=True)
        except OkdeskNotFound:
            await off_loop(self.store.drop_rating, issue_id)
            bound.warning("rating_dropped_issue_gone")
            return
        except OkdeskError as exc:
            bound.info("rating_resume_later", error=str(exc))
            return
        if issue.rate is not None:
            if await off_loop(self.store.finish_rating, issue_id, issue.rate):
                bound.info("rating_confirmed", rate=issue.rate)
                await self._tell(row, "rate_thanks_later", issue.rate, issue)
            return
        if not owns(issue, row.okdesk_contact_id) or not self.settings.okdesk.statuses.is_finished(
                issue.status_code):
            # Handed to someone else or reopened meanwhile: this rating is no longer the client's to give.
            await off_loop(self.store.drop_rating, issue_id)
            bound.info("rating_dropped_issue_changed", status=issue.status_code)
            await self._tell(row, "rate_refused_later", None)
            return
        outcome, shown = await self._post(issue_id, row.rate)
        bound.info("rating_resent", outcome=outcome)
        if outcome in (DONE, ALREADY):
            await self._tell(row, "rate_thanks_later", shown, issue)
        elif outcome == REFUSED:
            await self._tell(row, "rate_refused_later", None)

    async def _tell(self, row: IssueRating, key: str, rate: str | None, issue: Issue | None = None) -> None:
        """A message about a rating the client was told would be checked (only while still linked as its contact).
        A 👎 found applied (``issue`` as just read) is followed by "what went wrong?", as at a press."""
        link = await off_loop(self.store.get_link, row.tg_user_id)
        if link is None or link.okdesk_contact_id != row.okdesk_contact_id:
            return
        lang = link.language
        if key == "rate_thanks_later" and rate == "bad" and issue is not None:
            await self.replies.send(peer_of(link), t(lang, key, issue_id=row.okdesk_issue_id, rate=rate_words(lang, rate)))
            await self.after.ask_what_went_wrong(issue, link, lang, reply_to=None)
            return
        buttons = remark_buttons(lang, row.okdesk_issue_id) if key == "rate_thanks_later" else None
        # The rating is recorded; the message is a courtesy (a failure is logged by Replies).
        await self.replies.send(peer_of(link), t(lang, key, issue_id=row.okdesk_issue_id, rate=rate_words(lang, rate)),
                                buttons=buttons)
