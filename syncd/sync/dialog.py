"""The conversation's own decisions, pure: a short thanks, a question's expiry, what /cancel cancels,
and which message joins a burst.

A short thanks ("Спасибо!", "ок", 👍, a sticker alone) written with no reply context and no question
waiting for a message is not sent to Okdesk and not asked about: staff do not need it as a comment,
and "where should this go?" after "thanks" is the wrong answer. The client is told briefly that it
was not passed on, and how to pass something on (a reply to the request's message). A thanks written
as a reply, or as the answer to "Comment", is a comment like any other message.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from syncd.sync.routing import AWAITING_COMMENT, AWAITING_NEW_ISSUE, dialog_live

# Words a short thanks or acknowledgement is made of, lower case, "ё" read as "е". A message all of
# whose words are in this list (at most SMALL_TALK_WORDS of them) is a thanks; one more word of any
# other kind ("спасибо, но принтер опять не печатает") makes it a message.
THANKS_WORDS_RU = frozenset({
    "спасибо", "спасибки", "спасибочки", "спс", "пасиб", "благодарю", "благодарим", "большое", "огромное",
    "вам", "тебе", "всем", "еще", "раз", "ок", "окей", "оке", "хорошо", "понял", "поняла", "поняли",
    "понятно", "ясно", "принято", "отлично", "супер", "класс", "ага", "угу", "все", "работает", "заработало",
    "помогло", "и", "за", "помощь", "ну", "да", "вот", "теперь",
})
THANKS_WORDS_EN = frozenset({
    "thanks", "thank", "you", "thx", "ty", "tnx", "many", "much", "so", "a", "lot", "very", "ok", "okay",
    "k", "got", "it", "great", "cool", "fine", "good", "perfect", "super", "all", "works", "now", "for",
    "the", "help", "yes", "understood", "cheers", "and",
})
# Words that must be there for a thanks to be one: "да" or "все" alone may answer a staff question.
_THANKS_CORE = frozenset({
    "спасибо", "спасибки", "спасибочки", "спс", "пасиб", "благодарю", "благодарим", "ок", "окей", "оке",
    "хорошо", "понял", "поняла", "поняли", "понятно", "ясно", "принято", "отлично", "супер", "класс",
    "thanks", "thank", "thx", "ty", "tnx", "ok", "okay", "k", "great", "cool", "perfect", "cheers",
    "understood",
})
SMALL_TALK_WORDS = 6
# Emoji that nod or thank: a message of these alone (a few of them, skin tones allowed), or a sticker
# standing for one, is a thanks. Any other emoji alone (😡, ❓, 😢) may be a complaint: it is asked about.
NOD_EMOJI = frozenset("👍👌🙏❤♥💙💚🧡💛💜🤍🖤🙂😊☺😀😃😄😁😆🤗🥰😍😘😉🤝👏✅✔☑💪🔥⭐🌟✨🌹💐🎉💯👋🆗😎🫶🙌")
SMALL_TALK_EMOJI = 8
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def is_small_talk(typed: str, file_kinds: Sequence[str], *, other_lines: Sequence[str] = ()) -> bool:
    """A short thanks: words of the lists above only (with at least one word of thanks or assent),
    or nodding emoji alone, or a sticker alone standing for one. ``typed``: what the client typed;
    ``file_kinds``: the kinds of its files; ``other_lines``: the words of what has none of its own
    (a sticker's emoji, a location, a contact)."""
    sticker_alone = list(file_kinds) == ["sticker"] and not typed.strip()
    if sticker_alone:
        # A sticker says what its emoji says (one without an emoji is taken as a nod).
        return all(_only_emoji(line) for line in other_lines)
    if file_kinds or other_lines:
        return False
    text = typed.strip()
    if not text or len(text) > 80:
        return False
    words = [w.replace("ё", "е") for w in _WORD.findall(text.lower())]
    if not words:
        return _only_emoji(text)
    rest = _WORD.sub("", text.lower())
    if any(ch.isdigit() for ch in rest):
        return False
    vocabulary = THANKS_WORDS_RU | THANKS_WORDS_EN
    return (len(words) <= SMALL_TALK_WORDS and all(w in vocabulary for w in words)
            and any(w in _THANKS_CORE for w in words) and _only_decoration(rest))


def _only_emoji(text: str) -> bool:
    """Nodding emoji alone: at least one, at most SMALL_TALK_EMOJI, with their modifiers."""
    symbols = [ch for ch in text if not ch.isspace()]
    nods = [ch for ch in symbols if ch in NOD_EMOJI]
    return 0 < len(nods) <= SMALL_TALK_EMOJI and all(ch in NOD_EMOJI or _modifier(ch) for ch in symbols)


def _modifier(ch: str) -> bool:
    # Sk: skin tones; Mn/Me: variation selectors; Cf: the zero width joiner; "!" after a nod.
    return unicodedata.category(ch) in ("Sk", "Mn", "Me", "Cf") or ch == "!"


def _only_decoration(rest: str) -> bool:
    """What is left of a thanks once its words are taken out: spaces, punctuation, emoji."""
    return all(ch.isspace() or _decoration(ch) for ch in rest)


def _decoration(ch: str) -> bool:
    # So: emoji and other symbols; Sk: skin tone modifiers; Mn/Me/Cf: variation selectors, ZWJ; P*: punctuation.
    category = unicodedata.category(ch)
    return category in ("So", "Sk", "Mn", "Me", "Cf", "Sm") or category.startswith("P")


# ---------------------------------------------------------------- questions waiting for the client


def question_expired(expires_at: datetime | None, now: datetime) -> bool:
    """A question with buttons waits until ``expires_at`` (None: not asked yet, it cannot expire)."""
    return expires_at is not None and expires_at < now


@dataclass(frozen=True)
class Cancel:
    """What /cancel cancels: the question waiting for a message (its kind and issue), and the
    messages held by questions with buttons (their jobs)."""

    waiting: str | None = None  # AWAITING_COMMENT | AWAITING_NEW_ISSUE | "remark" | None
    issue_id: int | None = None
    jobs: tuple[int, ...] = ()

    @property
    def nothing(self) -> bool:
        return self.waiting is None and not self.jobs

    @property
    def text_keys(self) -> tuple[str, ...]:
        """The texts keys of the answer to /cancel, in order (one line each)."""
        if self.nothing:
            return ("cancel_nothing",)
        keys: tuple[str, ...] = (f"cancel_{self.waiting}",) if self.waiting is not None else ()
        if self.jobs:
            keys += ("cancel_held" if len(self.jobs) == 1 else "cancel_held_many",)
        return keys


def what_cancel_cancels(dialog: tuple[str, dict[str, object]] | None, asking_jobs: Sequence[int],
                        now: datetime) -> Cancel:
    """A question waiting for a message counts only while it lasts; an expired one is not cancelled
    (it is over already), it is only forgotten."""
    jobs = tuple(sorted(asking_jobs))
    if dialog is None or not dialog_live(dialog, now) or dialog[0] not in (AWAITING_COMMENT, AWAITING_NEW_ISSUE):
        return Cancel(jobs=jobs)
    state, data = dialog
    issue = data.get("issue_id")
    issue_id = int(str(issue)) if issue is not None else None
    if state == AWAITING_COMMENT:
        return Cancel("remark" if data.get("remark") else "comment", issue_id, jobs)
    return Cancel("new_issue", None, jobs)


# ---------------------------------------------------------------- a burst after "Comment" or "New request"


def joins_burst(*, last_at: float, now: float, window: float, replied: bool) -> bool:
    """A message sent within ``window`` seconds of the burst's last one, and not a reply to another
    message (a reply has its own issue), is part of the burst: one comment or one issue with them all."""
    return not replied and window > 0 and now - last_at <= window
