"""The Okdesk side of a job: the request to send, and the search for what a lost answer created.

A POST whose answer never came (timeout, dropped connection, crash) may have created the comment
or issue. It is never sent again blindly: first Okdesk is searched for what it may have created,
recognised by the contact who wrote it, a date after the first try, the same file names and the
same leading words (compared as plain text: Okdesk may rewrite the HTML). Where Okdesk lists the
files without their names (a comment's files have an undocumented shape), their number must fit
and the words decide.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from syncd.formatting.titles import make_title
from syncd.okdesk.models import Attachment, Comment, Issue, IssueSummary
from syncd.relay.content import Combined
from syncd.texts import t

LEADING_CHARS = 60  # words compared of what we sent and what Okdesk shows
CLOCK_SLACK = timedelta(seconds=5)  # Okdesk's dates against our estimate of its clock
_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"<\s*(br|/p|p|/div|div)\b[^>]*>", re.IGNORECASE)


@dataclass(frozen=True)
class Dropped:
    file_name: str
    reason: str  # texts key: reason_over_limit | reason_okdesk_too_large | reason_okdesk_refused | ...
    detail: str = ""
    index: int = -1  # the file's position among the job's files


def plain(html_text: str) -> str:
    """HTML to comparable words: tags out, entities decoded, whitespace collapsed."""
    text = _BREAK.sub(" ", html_text or "")
    return " ".join(html.unescape(_TAG.sub("", text)).split())


def leading(text: str) -> str:
    return " ".join(text.split())[:LEADING_CHARS]


def title_for(combined: Combined, lang: str) -> str:
    """The issue title: from the words typed, else the first file's name, else the kind of message."""
    title = make_title(combined.typed)
    if title:
        return title
    if combined.files:
        return make_title(combined.files[0].file_name)
    extra = make_title(combined.text) if not combined.kind_key else ""
    return extra or t(lang, combined.kind_key or "kind_other")


def dropped_lines(dropped: Sequence[Dropped], lang: str, limit_text: str) -> list[str]:
    return [t(lang, "file_line", name=d.file_name, reason=reason_text(d, lang, limit_text)) for d in dropped]


def reason_text(d: Dropped, lang: str, limit_text: str) -> str:
    if d.reason == "reason_over_limit":
        return t(lang, d.reason, limit=limit_text)
    # reason_okdesk_refused and the others name no detail: Okdesk's own words (an older row's detail)
    # are for the log, never for a client or staff.
    if d.reason == "reason_okdesk_down":
        return t(lang, d.reason, minutes=d.detail or "?")
    return t(lang, d.reason)


def body_html(combined: Combined, dropped: Sequence[Dropped], limit_text: str) -> str:
    """What the client wrote, then one line per file that did not make it (for staff, in Russian).

    With no words the body starts with the kind of message whatever was dropped: the search after a
    lost answer recognises a body by its start, and the files dropped may differ between tries."""
    parts = [combined.html or html.escape(_files_line(combined), quote=False)]
    for d in dropped:
        reason = reason_text(d, "ru", limit_text)
        parts.append(html.escape(t("ru", "okdesk_file_dropped", name=d.file_name, reason=reason), quote=False))
    return "<br>".join(parts)


def _files_line(combined: Combined) -> str:
    """Words for a message of files only (Okdesk wants a comment's text): the names of all its files,
    whichever of them were dropped, so every try's body starts the same."""
    names = [f.file_name for f in combined.files]
    return t("ru", "files_from_telegram", names=", ".join(names)) if names else t("ru", "kind_other")


def _names_match(found: Iterable[Attachment], sent: Sequence[str], all_names: Sequence[str]) -> bool:
    """The files Okdesk shows are those of one of our tries: all of them, or those of the last try.

    A file listed without its name counts only by number: the named ones must be among the try's,
    and the words (compared by the caller) tell the comment apart."""
    files = list(found)
    named = Counter(a.file_name for a in files if a.name_known)
    for names in (Counter(sent), Counter(all_names)):
        if len(files) == sum(names.values()) and not named - names:
            return True
    return False


def _words_match(found_html: str, expected_html: str) -> bool:
    ours, theirs = leading(plain(expected_html)), plain(found_html)
    return theirs.startswith(ours) if ours else True


def find_comment(comments: Sequence[Comment], *, contact_id: int, since: datetime, expected_html: str,
                 sent_names: Sequence[str], all_names: Sequence[str], claimed: set[int]) -> Comment | None:
    """The comment an unanswered POST created, if Okdesk shows one."""
    for comment in sorted(comments, key=lambda c: c.id):
        if comment.id in claimed or comment.author_type != "contact" or comment.author_id != contact_id:
            continue
        if comment.published_at is not None and comment.published_at < since - CLOCK_SLACK:
            continue
        if not _names_match(comment.attachments, sent_names, all_names):
            continue
        if _words_match(comment.content_html, expected_html):
            return comment
    return None


def issue_candidates(issues: Sequence[IssueSummary], *, contact_id: int, since: datetime, title: str,
                     claimed: set[int]) -> list[IssueSummary]:
    want = " ".join(title.split())
    return [i for i in issues
            if i.id not in claimed and i.contact_id == contact_id and " ".join(i.title.split()) == want
            and (i.created_at is None or i.created_at >= since - CLOCK_SLACK)]


def issue_matches(issue: Issue, *, expected_html: str, sent_names: Sequence[str], all_names: Sequence[str]) -> bool:
    # An issue answer may list no attachments at all (the shape is undocumented): words decide then.
    names_ok = not issue.attachments or _names_match(issue.attachments, sent_names, all_names)
    return names_ok and _words_match(issue.description, expected_html)
