"""What the newcomer types: the client's side (through the Telegram test server's control API, as
the e2e tests act as a user) and the staff's side (through the Okdesk emulator's, as staff in the
web UI would)."""

from __future__ import annotations

import html
import mimetypes
import shlex
from collections.abc import Callable
from pathlib import Path

from tests.okdesk_emulator.emulator import Upload
from tests.sandbox.stack import Stack
from tests.sandbox.term import Terminal
from tests.sandbox.watch import Watcher, html_text, size_text

HELP = """\
As the Telegram client (you):
  /start, or any text      sent to the bot as your message
  say TEXT                 send TEXT even if it starts like a command below
  phone                    share your phone number (Telegram's contact share: this links you)
  file PATH [caption]      send a file (images as photos, anything else as a document)
  reply N TEXT             reply to message N (the bot's [msg N]) with TEXT
  press N                  press button [N]: inline buttons, the reply keyboard, the share-phone button
As Okdesk staff:
  staff comment ISSUE TEXT        public comment (the client gets it in Telegram)
  staff private ISSUE TEXT        private comment (the client never sees it)
  staff attach ISSUE PATH [TEXT]  a file, with TEXT as its comment (without: a file alone)
  staff status ISSUE CODE         change the status; CODE: {codes}
  issues                          every issue with its comments
Other:
  log [N]    the daemon's last N log lines (default 15)
  help       this list
  quit       stop everything (so do Ctrl-C and Ctrl-D)"""


class Quit(Exception):
    """The user asked to stop."""


class Console:
    def __init__(self, stack: Stack, watcher: Watcher, term: Terminal) -> None:
        assert stack.emu is not None and stack.tg is not None and stack.user is not None
        self.stack, self.watcher, self.term = stack, watcher, term
        self.emu, self.tg, self.user = stack.emu, stack.tg, stack.user
        self.commands: dict[str, Callable[[str], None]] = {
            "help": self.help, "?": self.help, "say": self.say, "phone": self.phone, "file": self.file,
            "reply": self.reply, "press": self.press, "staff": self.staff, "issues": self.issues,
            "log": self.log, "quit": self.quit, "exit": self.quit,
        }

    def run(self) -> None:
        """Until quit, EOF (Ctrl-D) or KeyboardInterrupt (Ctrl-C), which the caller handles."""
        while True:
            try:
                line = self.term.read().strip()
            except EOFError:
                return
            if not line:
                continue
            word, _, rest = line.partition(" ")
            handler = self.commands.get(word.lower())
            try:
                if handler is None:
                    self.say(line)
                else:
                    handler(rest.strip())
            except Quit:
                return
            except (ValueError, KeyError, OSError) as exc:
                # A typo must not end the session: say what was wrong and read the next line.
                self.term.say(f"! {exc}")

    # ------------------------------------------------------------ the client

    def help(self, _rest: str) -> None:
        codes = ", ".join(s["code"] for s in self.emu.statuses)
        self.term.say(HELP.format(codes=codes))

    def say(self, text: str) -> None:
        if not text:
            raise ValueError("say what?")
        self.tg.send_text(self.user, text)

    def phone(self, _rest: str = "") -> None:
        """Telegram's own contact share of the user's number, exactly as the e2e linking tests send it."""
        assert self.user.phone is not None
        msg_id = self.tg.send_contact(self.user, phone=self.user.phone, first_name=self.user.first_name,
                                      last_name=self.user.last_name or "", user_id=self.user.id)
        self.term.say(f"You [msg {msg_id}]: shared your phone number")

    def file(self, rest: str) -> None:
        path, caption = _path_and_text(rest, "file PATH [caption]")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        kind = "photo" if mime in ("image/jpeg", "image/png") else "document"
        msg_id = self.tg.send_media(self.user, kind, path=path, file_name=path.name, mime_type=mime,
                                    caption=caption)
        self.term.say(f"You [msg {msg_id}]: sent {path.name} ({size_text(path.stat().st_size)}) as a {kind}")

    def reply(self, rest: str) -> None:
        number, _, text = rest.partition(" ")
        if not number.isdigit() or not text.strip():
            raise ValueError("usage: reply N TEXT (N: a message number, as in [msg N])")
        self.tg.send_text(self.user, text.strip(), reply_to=int(number))

    def press(self, rest: str) -> None:
        if not rest.isdigit() or int(rest) not in self.watcher.buttons:
            raise ValueError("usage: press N (N: a button number, as in [N])")
        button = self.watcher.buttons[int(rest)]
        if button.kind == "callback":
            try:
                self.tg.press_button(self.user, button.msg_id, button.data)
            except ValueError:
                self.term.say(f"! message {button.msg_id} no longer carries that button")
        elif button.kind == "phone":
            self.phone()
        elif button.kind == "text":
            # A reply-keyboard button only types its label.
            self.tg.send_text(self.user, button.label)
        elif button.kind == "url":
            self.term.say(f"(a link button: it opens {button.url})")
        else:
            self.term.say("(this kind of button is not emulated here)")

    # ------------------------------------------------------------ staff

    def staff(self, rest: str) -> None:
        action, _, rest = rest.partition(" ")
        issue_text, _, text = rest.strip().partition(" ")
        if action not in ("comment", "private", "attach", "status") or not issue_text.isdigit():
            raise ValueError("usage: staff comment|private|attach|status ISSUE ... (see help)")
        issue_id, text = int(issue_text), text.strip()
        if issue_id not in self.emu.issue_ids():
            raise ValueError(f"there is no issue #{issue_id} (see issues)")
        with self.watcher.okdesk_lock:
            if action in ("comment", "private"):
                if not text:
                    raise ValueError(f"usage: staff {action} ISSUE TEXT")
                content = html.escape(text).replace("\n", "<br>")
                self.watcher.seen_comments.add(self.emu.add_comment(issue_id, content,
                                                                    public=action == "comment"))
                said = f"{'public' if action == 'comment' else 'private'} comment on #{issue_id} added"
            elif action == "attach":
                path, words = _path_and_text(text, "staff attach ISSUE PATH [TEXT]")
                upload = Upload(path.name, path=path)
                if words:
                    self.watcher.seen_comments.add(self.emu.add_comment(
                        issue_id, html.escape(words), attachments=[upload]))
                else:
                    self.emu.add_issue_attachment(issue_id, upload)
                said = f"{path.name} attached to #{issue_id}"
            else:
                codes = [s["code"] for s in self.emu.statuses]
                if text not in codes:
                    raise ValueError(f"status code must be one of: {', '.join(codes)}")
                self.emu.set_status(issue_id, text)
                issue = self.emu.get_issue(issue_id)
                status = self.watcher.issue_state.get(issue_id, (None, None))
                self.watcher.issue_state[issue_id] = (text, status[1])
                said = f"#{issue_id} is now {issue['status']['name']} ({text})"
        self.term.say(f"Okdesk (you, staff): {said}")

    def issues(self, _rest: str) -> None:
        ids = self.emu.issue_ids()
        if not ids:
            self.term.say("No issues yet: write something to the bot once linked.")
            return
        for issue_id in ids:
            issue = self.emu.get_issue(issue_id)
            contact_id = (issue.get("contact") or {}).get("id")
            lines = [f"#{issue_id} [{issue['status']['name']}] {issue['title']} "
                     f"(client: {self.watcher.contact_name(contact_id)})"]
            description = html_text(issue.get("description") or "")
            if description and description != issue["title"]:
                lines.append("    " + description.replace("\n", "\n    "))
            lines += self.watcher.issue_files(issue)
            for comment in self.emu.get_comments(issue_id):
                line = self.watcher.comment_line(issue_id, comment, contact_id)
                lines.append("  - " + line.removeprefix("Okdesk: ").replace("\n", "\n  "))
            self.term.say("\n".join(lines))

    # ------------------------------------------------------------ other

    def log(self, rest: str) -> None:
        count = int(rest) if rest.isdigit() else 15
        self.term.say("\n".join(self.stack.tail(count)) or "(the log is empty)")
        self.term.say(f"(the whole log: {self.stack.log_path})")

    def quit(self, _rest: str) -> None:
        raise Quit


def _path_and_text(rest: str, usage: str) -> tuple[Path, str]:
    """A path (quoted if it has spaces) and the words after it."""
    try:
        words = shlex.split(rest)
    except ValueError:
        words = rest.split()
    if not words:
        raise ValueError(f"usage: {usage}")
    path = Path(words[0]).expanduser()
    if not path.is_file():
        raise ValueError(f"no such file: {path}")
    return path, " ".join(words[1:])
