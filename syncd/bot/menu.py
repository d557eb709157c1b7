"""The menu, "My issues", issue cards and every inline button the bot shows a linked client.

Each button names what it acts on (issue or job) and each press is checked again: the job must be
the client's own and still waiting, the issue's contact must be the client's linked contact in
Okdesk at that moment. A press is answered at once (syncd.telegram.presses): a refusal the database
alone decides is its alert; one found only by asking Okdesk afterwards is a short message. Neither
shows anything of the other issue.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telethon import Button

from syncd.bot.cancel import Cancelling
from syncd.bot.intake import Intake
from syncd.bot.portal import send_portal_link
from syncd.bot.profile import VERBS as PROFILE_VERBS
from syncd.bot.profile import Profile
from syncd.bot.rating import VERBS as RATING_VERBS
from syncd.bot.rating import Rating
from syncd.bot.ways_out import await_message, cancel_prompt_row, clients_job
from syncd.config import Settings
from syncd.formatting import html_to_telegram
from syncd.logs import get_logger
from syncd.okdesk.errors import OkdeskError
from syncd.okdesk.models import Issue
from syncd.okdesk.port import Okdesk
from syncd.relay.ownership import owned_issue, visible_issues
from syncd.store import Store
from syncd.store.inbound_repo import ASKING, EXPIRED
from syncd.store.offloop import off_loop
from syncd.store.rows import Link
from syncd.sync.issue_list import issue_page
from syncd.sync.routing import AWAITING_COMMENT, AWAITING_NEW_ISSUE, Callback, encode
from syncd.telegram.peers import peer_of
from syncd.telegram.port import TelegramPort
from syncd.telegram.presses import Press
from syncd.telegram.replies import EDITED, UNCHANGED, Replies
from syncd.texts import TEXTS, t

log = get_logger(__name__)
PAGE_SIZE = 5
CARD_COMMENTS = 3
CARD_COMMENT_CHARS = 300
LIST_PAGES = 4  # issues listed at most: LIST_PAGES pages of Okdesk's 50


def _labels(key: str) -> set[str]:
    return {texts[key] for texts in TEXTS.values() if key in texts}


COMMANDS = {"/menu": "menu", "/help": "help", "/new": "new", "/issues": "issues", "/profile": "profile",
            "/cancel": "cancel"}
MENU_LABELS = {**{label: "new" for label in _labels("menu_new")},
               **{label: "issues" for label in _labels("menu_issues")},
               **{label: "help" for label in _labels("menu_help")},
               **{label: "profile" for label in _labels("menu_profile")}}


def menu_action(text: str) -> str | None:
    """What a command or a menu button asks for, or None for an ordinary message."""
    text = text.strip()
    command = text.split()[0].split("@")[0].lower() if text.startswith("/") else None
    return COMMANDS.get(command or "") or MENU_LABELS.get(text)


def menu_keyboard(lang: str) -> list[list[Any]]:
    return [[Button.text(t(lang, "menu_new"), resize=True), Button.text(t(lang, "menu_issues"), resize=True)],
            [Button.text(t(lang, "menu_profile"), resize=True), Button.text(t(lang, "menu_help"), resize=True)]]


class Menu:
    def __init__(self, *, tg: TelegramPort, store: Store, okdesk: Okdesk, settings: Settings,
                 intake: Intake, status_names: Any, replies: Replies) -> None:
        self.tg, self.store, self.okdesk, self.settings, self.intake = tg, store, okdesk, settings, intake
        self.status_names, self.replies, self.locks = status_names, replies, intake.locks
        self.profile = Profile(store=store, okdesk=okdesk, replies=replies)
        self.rating = Rating(store=store, okdesk=okdesk, settings=settings, locks=intake.locks, replies=replies)
        self.cancelling = Cancelling(store=store, replies=replies, intake=intake)

    # ------------------------------------------------------------ commands and menu buttons

    async def on_action(self, action: str, link: Link, lang: str) -> None:
        peer = peer_of(link)
        if action == "menu":
            await self.replies.send(peer, t(lang, "menu_shown"), buttons=menu_keyboard(lang))
        elif action == "help":
            portal = t(lang, "help_portal") if self.settings.okdesk.portal_links else ""
            contact = self.settings.telegram.support_contact
            support = t(lang, "help_support", contact=contact) if contact else ""
            await self.replies.send(peer, t(lang, "help", portal=portal, support=support), buttons=menu_keyboard(lang))
        elif action == "cancel":
            await self.cancelling.command(link, lang)
        elif action == "new":
            await await_message(self.store, self.settings, link.tg_user_id, AWAITING_NEW_ISSUE)
            await self.replies.send(peer, t(lang, "ask_new_issue"), buttons=[cancel_prompt_row(lang)])
        elif action == "issues":
            await self._list(link, lang, 0, edit=None)
        elif action == "profile":
            await self.profile.show(link, lang)

    # ------------------------------------------------------------ inline buttons

    async def on_callback(self, press: Press, cb: Callback | None, link: Link, lang: str) -> None:
        """``cb``: the press's data as decoded by the bot (None: not something the bot made).

        Called without the client's lock: each branch answers the press first (syncd.telegram.presses)
        and takes the lock itself, only where it changes the client's state."""
        bound = log.bind(tg_user_id=link.tg_user_id)
        if cb is None:
            bound.warning("callback_refused_unknown")
            await press.tell(t(lang, "not_yours"))
        elif cb.verb in RATING_VERBS:
            # Strictly the requester's: checked there, never with the company-wide ownership.
            await self.rating.on_callback(press, cb, link, lang)
        elif cb.verb in PROFILE_VERBS:
            await press.answer()
            async with self.locks.hold(link.tg_user_id):
                await self.profile.on_callback(press, cb, link, lang)
        elif cb.verb == "list":
            await press.answer()
            await self._list(link, lang, cb.page or 0, edit=press)
        elif cb.verb == "cancel":
            await self.cancelling.on_prompt(press, link, lang)
        elif cb.verb == "drop":
            await self.cancelling.on_drop(press, cb, link, lang)
        elif cb.verb in ("add", "new", "reopen", "as_comment"):
            await self._choice(press, cb, link, lang)
        elif cb.verb == "portal" and not self.settings.okdesk.portal_links:
            # No such button is shown: a press is forged or from before the switch; nothing is minted.
            bound.warning("callback_refused_portal_off", issue_id=cb.issue_id)
            await press.tell(t(lang, "not_yours"))
        else:
            await self._on_issue(press, cb, link, lang)

    async def _on_issue(self, press: Press, cb: Callback, link: Link, lang: str) -> None:
        """A card's buttons (view, refresh, comment, portal): the issue is checked with Okdesk after the
        answer; a refusal found then is a short message that names nothing of the issue."""
        issue_id = int(cb.issue_id or 0)
        # Answered the same way whether the database already shows the issue is another's or Okdesk must
        # be asked: a forged press must not learn which issue numbers the bot follows for others. A
        # refresh is answered at its end, with what it found; its refusals are answered empty first, so
        # they too come as a message, like every refusal of a press about an issue.
        if cb.verb != "refresh":
            await press.answer(t(lang, "portal_wait") if cb.verb == "portal" else None)
        if await off_loop(self._foreign_by_record, issue_id, link):
            log.warning("callback_refused_not_owner", tg_user_id=link.tg_user_id, issue_id=issue_id, by="record")
            await press.answer()
            await press.tell(t(lang, "not_yours"))
            return
        if cb.verb == "comment":
            # Locked before Okdesk is asked: a message the client sends after the press waits for the dialog.
            async with self.locks.hold(link.tg_user_id):
                issue = await self._owned(press, issue_id, link, lang)
                if issue is not None:
                    await self._ask_comment(link, lang, issue)
            return
        # Only reading: no lock, so a card or a link never waits behind the client's own slow work.
        issue = await self._owned(press, issue_id, link, lang)
        if issue is None:
            return
        if cb.verb == "portal":
            await send_portal_link(replies=self.replies, okdesk=self.okdesk, press=press, link=link, lang=lang,
                                   issue_id=issue.id)
        elif cb.verb == "refresh":
            outcome = await self._card(link, lang, issue, edit=press)
            # Said either way, so a press is never met by nothing (the toast is lost only when the
            # press's answer could not wait for Okdesk: the card itself then shows what changed).
            if outcome == UNCHANGED:
                await press.answer(t(lang, "refresh_unchanged"))
            else:
                await press.answer(t(lang, "refresh_done") if outcome == EDITED else None)
        else:
            await self._card(link, lang, issue, edit=None)

    def _foreign_by_record(self, issue_id: int, link: Link) -> bool:
        """The database alone shows the issue is not the client's: it is followed for another contact,
        and the client, linked as a private person, is never shown a colleague's issue (My issues lists
        only their own). Everything else is asked of Okdesk."""
        if getattr(link, "okdesk_company_id", None) is not None:
            return False
        row = self.store.followed([issue_id]).get(issue_id)
        return row is not None and row.okdesk_contact_id is not None and row.okdesk_contact_id != link.okdesk_contact_id

    async def _ask_comment(self, link: Link, lang: str, issue: Issue) -> None:
        await await_message(self.store, self.settings, link.tg_user_id, AWAITING_COMMENT, issue_id=issue.id)
        minutes = max(1, round(self.settings.sync.message_wait / 60))
        sent = await self.replies.send(peer_of(link), t(lang, "ask_comment", issue_id=issue.id, minutes=minutes),
                                       buttons=[cancel_prompt_row(lang)])
        if sent is not None and sent.id is not None:
            await off_loop(self.store.map_message, link.tg_chat_id, sent.id, issue.id)
        return None

    async def _owned(self, press: Press, issue_id: int | None, link: Link, lang: str) -> Issue | None:
        try:
            issue = await owned_issue(self.okdesk, int(issue_id or 0), link.okdesk_contact_id)
        except OkdeskError as exc:
            log.warning("ownership_check_failed", tg_user_id=link.tg_user_id, error=str(exc))
            await press.answer()  # (a no-op where the press was answered already: all but a refresh)
            await press.tell(t(lang, "okdesk_unavailable"))
            return None
        if issue is None:
            log.warning("callback_refused_not_owner", tg_user_id=link.tg_user_id, issue_id=issue_id)
            await press.answer()
            await press.tell(t(lang, "not_yours"))
        return issue

    async def _choice(self, press: Press, cb: Callback, link: Link, lang: str) -> None:
        """An answer to "where should this message go?" (or "the issue is finished: what now?")."""
        job = await clients_job(self.store, press, cb, link, lang)
        if job is None:
            return
        # "Reopen" and "as it is" answer a question about a finished issue, nothing else (else forged).
        finished_question = job.action == "comment" and job.okdesk_issue_id is not None
        if job.state == EXPIRED:
            await press.tell(t(lang, "question_expired"))
            return
        if job.state != ASKING or (cb.verb in ("reopen", "as_comment") and not finished_question):
            await press.tell(t(lang, "choice_taken"), alert=False)
            return
        # Recorded under the lock right after: only a double tap finds the job taken there.
        await press.answer(None if cb.verb == "add" else "✓")
        if cb.verb == "add" and await off_loop(self._foreign_by_record, int(cb.issue_id or 0), link):
            # (after the answer, as for a card: which issues are followed for others is not shown)
            log.warning("callback_refused_not_owner", tg_user_id=link.tg_user_id, issue_id=cb.issue_id, by="record")
            await press.tell(t(lang, "not_yours"))
            return
        async with self.locks.hold(link.tg_user_id):
            job = await off_loop(self.store.get_job, job.id)
            if job is None or job.state != ASKING:
                log.info("choice_taken_meanwhile", tg_user_id=link.tg_user_id, job_id=cb.job_id)
                return
            if cb.verb == "add":
                issue = await self._owned(press, cb.issue_id, link, lang)
                if issue is None:
                    return
                done = await self.intake.choose_comment(job.id, issue.id)
            elif cb.verb in ("reopen", "as_comment"):
                # The issue was checked when the question was asked, and is checked again before posting.
                done = await self.intake.choose_on_finished(job.id, reopen=cb.verb == "reopen")
            else:
                done = await self.intake.choose_create(job.id, link, lang)
        if done:
            # The question is answered: its buttons go, so nobody presses them again by mistake.
            await press.edit(buttons=None)
        else:
            log.info("choice_taken_meanwhile", tg_user_id=link.tg_user_id, job_id=cb.job_id)

    # ------------------------------------------------------------ My issues and cards

    def _status(self, issue: Any) -> str:
        code = issue.status_code or ""
        return self.status_names().get(code) or issue.status_name or code or "?"

    async def _list(self, link: Link, lang: str, page: int, edit: Press | None) -> None:
        contact = link.okdesk_contact_id
        try:
            # A company-wide contact sees the company's issues too (syncd.relay.ownership).
            issues = await asyncio.to_thread(visible_issues, self.okdesk, contact, link.okdesk_company_id, LIST_PAGES)
        except OkdeskError as exc:
            log.warning("issue_list_failed", tg_user_id=link.tg_user_id, error=str(exc))
            await self.replies.send(peer_of(link), t(lang, "okdesk_unavailable"))
            return
        if not issues:
            await self.replies.send(peer_of(link), t(lang, "issues_empty"), buttons=menu_keyboard(lang))
            return
        shown = issue_page(issues, contact_id=contact, statuses=self.settings.okdesk.statuses, lang=lang, page=page,
                           page_size=PAGE_SIZE)
        rows = [[Button.inline(label, encode(Callback("view", issue_id=issue_id)))] for label, issue_id in shown.buttons]
        nav = []
        if shown.has_previous:
            nav.append(Button.inline("◀", encode(Callback("list", page=shown.page - 1))))
        if shown.has_next:
            nav.append(Button.inline("▶", encode(Callback("list", page=shown.page + 1))))
        if nav:
            rows.append(nav)
        if edit is not None:
            await edit.edit(shown.text, buttons=rows)
        else:
            await self.replies.send(peer_of(link), shown.text, buttons=rows)

    async def _card(self, link: Link, lang: str, issue: Issue, edit: Press | None) -> str | None:
        """Send the card, or with ``edit`` put it in place of the pressed one: then what the edit came to
        (Replies.edit_outcome; a refresh with no news is UNCHANGED)."""
        try:
            comments = await asyncio.to_thread(self.okdesk.list_comments, issue.id)
        except OkdeskError as exc:
            log.warning("card_comments_failed", tg_user_id=link.tg_user_id, issue_id=issue.id, error=str(exc))
            comments = []
        created = issue.created_at.astimezone(self.okdesk.account_tz).strftime("%d.%m.%Y %H:%M") \
            if issue.created_at else "?"
        text = t(lang, "card", issue_id=issue.id, title=issue.title, status=self._status(issue), created=created)
        public = [c for c in comments if c.public][-CARD_COMMENTS:]
        lines = []
        for c in public:
            words = html_to_telegram(c.content_html).text.strip()
            if len(words) > CARD_COMMENT_CHARS:
                words = words[:CARD_COMMENT_CHARS - 1] + "…"
            lines.append(f"— {c.author_name or '?'}: {words}" if words else f"— {c.author_name or '?'}: 📎")
        text += "\n\n" + (t(lang, "card_comments") + "\n" + "\n".join(lines) if lines else t(lang, "card_no_comments"))
        buttons = [[Button.inline(t(lang, "comment_button"), encode(Callback("comment", issue_id=issue.id))),
                    Button.inline(t(lang, "refresh_button"), encode(Callback("refresh", issue_id=issue.id)))],
                   [Button.inline(t(lang, "back_button"), encode(Callback("list", page=0)))]]
        if self.settings.okdesk.portal_links:
            # Only a callback here: the link is minted when pressed, never baked into a lasting card.
            buttons.insert(1, [Button.inline(t(lang, "portal_button"), encode(Callback("portal", issue_id=issue.id)))])
        if edit is not None:
            return await edit.edit_outcome(text, buttons=buttons)
        sent = await self.replies.send(peer_of(link), text, buttons=buttons)
        if sent is not None and sent.id is not None:
            # A reply to the card is a comment on its issue.
            await off_loop(self.store.map_message, link.tg_chat_id, sent.id, issue.id)
        return None

