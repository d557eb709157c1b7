"""Both sides as they change: what the bot sends the client, and what appears in Okdesk.

One background thread looks at the two stand-ins' own records (not at the daemon's log) every
200 ms and prints what is new. Every button the bot shows gets a number of its own for `press N`;
numbers are never reused, so one printed long ago still means the same button.
"""

from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass
from typing import Any

from telethon.tl import types

from tests.sandbox.stack import Stack
from tests.sandbox.term import Terminal


@dataclass
class Button:
    kind: str  # "callback" (inline), "url", "text" (reply keyboard), "phone" (share-phone), "other"
    label: str
    msg_id: int
    data: bytes = b""
    url: str = ""


def size_text(size: int | None) -> str:
    if size is None:
        return "size unknown"
    for unit, scale in (("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def html_text(content: str) -> str:
    """Okdesk's HTML as plain lines (the terminal shows words, not markup)."""
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>", "\n", content or "")
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return "\n".join(line.rstrip() for line in text.strip().splitlines() if line.strip())


def indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


class Watcher:
    def __init__(self, stack: Stack, term: Terminal) -> None:
        assert stack.emu is not None and stack.tg is not None and stack.user is not None
        self.emu, self.tg, self.user = stack.emu, stack.tg, stack.user
        self.term = term
        self.buttons: dict[int, Button] = {}
        # Held while looking at Okdesk, and by staff commands while they act: what staff type here is
        # marked seen in the same breath, so it is not printed again as news.
        self.okdesk_lock = threading.Lock()
        self.seen_comments: set[int] = set()
        self.issue_state: dict[int, tuple[str, Any]] = {}  # id -> (status code, rate)
        self._contact_names: dict[int, str] = {}
        self._sent = self._edits = self._answers = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sandbox-watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        failed = False
        while not self._stop.wait(0.2):
            try:
                self.telegram_news()
                with self.okdesk_lock:
                    self.okdesk_news()
                failed = False
            except Exception as exc:  # one bad look must not end the thread; said once, not 5 times a second
                if not failed:
                    self.term.say(f"(watcher: {type(exc).__name__}: {exc})")
                failed = True

    # ------------------------------------------------------------ Telegram

    def telegram_news(self) -> None:
        # New messages, edits and press answers, in the order the bot made them (a press is often
        # answered, its message edited and a new message sent within one look).
        news: list[tuple[float, str, str, Any, int, Any]] = []
        sent = self.tg.sent_to(self.user)
        news += [(item.at, f"Bot [msg {item.id}]", item.text, item.reply_markup, item.id, item)
                 for item in sent[self._sent:]]
        self._sent = len(sent)
        edits = [e for e in self.tg.edits if e.peer_user_id == self.user.id]
        news += [(edit.at, f"Bot edited [msg {edit.msg_id}]", edit.text, edit.reply_markup, edit.msg_id,
                  None) for edit in edits[self._edits:]]
        self._edits = len(edits)
        answers = [a for a in self.tg.callback_answers if a.user_id == self.user.id]
        news += [(a.at, f"Bot ({'alert' if a.alert else 'note'} on your press): {a.message}", "", None,
                  0, None) for a in answers[self._answers:] if a.message]
        self._answers = len(answers)
        for _at, head, text, markup, msg_id, media in sorted(news, key=lambda item: item[0]):
            self.term.say(self._render(head, text, markup, msg_id, media) if msg_id else head)

    def _render(self, head: str, text: str, markup: Any, msg_id: int, media: Any = None) -> str:
        lines = [head + ":"]
        if media is not None and media.media_kind:
            name = media.file_name or media.media_kind
            lines.append(f"    📎 {media.media_kind} {name} ({size_text(media.size)})")
        if media is not None and media.reply_to_msg_id:
            lines[0] = f"{head} (reply to msg {media.reply_to_msg_id}):"
        if text:
            lines.append(indent(text))
        lines += self._buttons(markup, msg_id)
        return "\n".join(lines)

    def _buttons(self, markup: Any, msg_id: int) -> list[str]:
        if isinstance(markup, types.ReplyKeyboardHide):
            return ["    (the keyboard is removed)"]
        rows = getattr(markup, "rows", None)
        if not rows:
            return []
        title = "buttons: " if isinstance(markup, types.ReplyInlineMarkup) else "keyboard: "
        lines = []
        for row in rows:
            labels = []
            for raw in row.buttons:
                number = len(self.buttons) + 1
                button = self.buttons[number] = _button(raw, msg_id)
                suffix = f" → {button.url}" if button.url else ""
                labels.append(f"[{number}] {button.label}{suffix}")
            lines.append(f"    {title}" + "   ".join(labels))
            title = " " * len(title)
        return lines

    # ------------------------------------------------------------ Okdesk

    def contact_name(self, contact_id: int | None) -> str:
        if contact_id is None:
            return "no contact"
        if contact_id not in self._contact_names:
            for contact in self.emu.get_contacts():
                name = " ".join(p for p in (contact.get("first_name"), contact.get("last_name")) if p)
                self._contact_names[contact["id"]] = name or f"contact {contact['id']}"
        return self._contact_names.get(contact_id, f"contact {contact_id}")

    def okdesk_news(self) -> None:
        """Call with okdesk_lock held."""
        for issue_id in self.emu.issue_ids():
            issue = self.emu.get_issue(issue_id)
            status, rate = issue["status"]["code"], (issue.get("rate") or {}).get("value")
            contact_id = (issue.get("contact") or {}).get("id")
            known = self.issue_state.get(issue_id)
            if known is None:
                self.term.say(self._new_issue(issue, contact_id))
            else:
                if known[0] != status:
                    self.term.say(f"Okdesk: #{issue_id} status is now {issue['status']['name']} ({status})")
                if known[1] != rate and rate:
                    self.term.say(f"Okdesk: #{issue_id} rated by the client: {rate}")
            self.issue_state[issue_id] = (status, rate)
            for comment in self.emu.get_comments(issue_id):
                if comment["id"] not in self.seen_comments:
                    self.seen_comments.add(comment["id"])
                    self.term.say(self.comment_line(issue_id, comment, contact_id))

    def _new_issue(self, issue: dict[str, Any], contact_id: int | None) -> str:
        lines = [f"Okdesk: new issue #{issue['id']} by {self.contact_name(contact_id)}: {issue['title']}"]
        description = html_text(issue.get("description") or "")
        if description and description != issue["title"]:
            lines.append(indent(description))
        return "\n".join(lines + self.issue_files(issue))

    def issue_files(self, issue: dict[str, Any]) -> list[str]:
        """The issue's own files (a comment's files are listed with the comment)."""
        return [f"    📎 {item['attachment_file_name']} ({size_text(item.get('attachment_file_size'))})"
                for item in issue.get("attachments") or []
                if self.emu.get_attachment(item["id"]).get("comment_id") is None]

    def comment_line(self, issue_id: int, comment: dict[str, Any], contact_id: int | None) -> str:
        author = comment.get("author") or {}
        if author.get("type") == "contact":
            who = "the client" if author.get("id") == contact_id else f"contact {author.get('name')}"
        else:
            who = f"staff {author.get('name')}"
        kind = "comment" if comment.get("public") else "private comment"
        lines = [f"Okdesk: {kind} on #{issue_id} from {who}:"]
        text = html_text(comment.get("content") or "")
        if text:
            lines.append(indent(text))
        for attachment in comment.get("attachments") or []:
            lines.append(f"    📎 {attachment['attachment_file_name']} "
                         f"({size_text(attachment.get('attachment_file_size'))})")
        return "\n".join(lines)


def _button(raw: Any, msg_id: int) -> Button:
    """Telethon's layer names a button's kind by its class (KeyboardButtonCallback) or, in newer
    layers, by the class of its `type` (KeyboardInlineButton + InlineButtonTypeCallback): both read."""
    label = getattr(raw, "text", "") or "?"
    kind = getattr(raw, "type", None)
    names = type(raw).__name__ + " " + type(kind).__name__
    data = getattr(raw, "data", None) or getattr(kind, "data", None)
    url = getattr(raw, "url", None) or getattr(kind, "url", None)
    if isinstance(data, bytes):
        return Button("callback", label, msg_id, data=data)
    if isinstance(url, str):
        return Button("url", label, msg_id, url=url)
    if "RequestPhone" in names:
        return Button("phone", label, msg_id)
    if type(raw).__name__ == "KeyboardButton" and (kind is None or "Default" in names):
        return Button("text", label, msg_id)
    return Button("other", label, msg_id)
