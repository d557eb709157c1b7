"""What "My requests" shows: the order, the page, and each issue's button, status first.

A phone shows about thirty characters of an inline button, so the status comes first, as one mark per
group of statuses (the exact status word is on the issue's card):

- 🟢 open or in work: the account's open codes (``okdesk.statuses``), and any code in no group;
- ⏸ waiting: Okdesk's own ``delayed`` ("Отложена"), which the account counts as open;
- 🏁 finished: its completed and closed codes (the mark of the completion message; ✅ is a request just created).

An issue of the client's company that another contact created (seen with company-wide access) carries
🏢 after the mark. The heading explains the marks (🏢 only on a page that shows it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from syncd.formatting.titles import make_title
from syncd.statuscodes import StatusCodes
from syncd.texts import t

OPEN_MARK, WAITING_MARK, FINISHED_MARK, COMPANY_MARK = "🟢", "⏸", "🏁", "🏢"
WAITING_CODES = frozenset({"delayed"})  # Okdesk's standard "Отложена"
TITLE_CHARS = 40


class Listed(Protocol):
    """What the list needs of an issue (syncd.okdesk.models.IssueSummary has it)."""

    @property
    def id(self) -> int: ...

    @property
    def title(self) -> str: ...

    @property
    def status_code(self) -> str | None: ...

    @property
    def contact_id(self) -> int | None: ...

    @property
    def created_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class IssuePage:
    text: str  # the heading, with the marks explained
    buttons: list[tuple[str, int]]  # (label, issue id), in order
    page: int  # 0-based, within range
    pages: int

    @property
    def has_previous(self) -> bool:
        return self.page > 0

    @property
    def has_next(self) -> bool:
        return self.page < self.pages - 1


def status_mark(code: str | None, statuses: StatusCodes) -> str:
    if statuses.is_finished(code):
        return FINISHED_MARK
    return WAITING_MARK if code in WAITING_CODES else OPEN_MARK


def ordered(issues: Sequence[Listed], statuses: StatusCodes) -> list[Listed]:
    """Unfinished first, then finished; newest first within each."""
    return sorted(issues, key=lambda i: (statuses.is_finished(i.status_code),
                                         -(i.created_at.timestamp() if i.created_at else 0), -i.id))


def issue_page(issues: Sequence[Listed], *, contact_id: int, statuses: StatusCodes, lang: str, page: int,
               page_size: int) -> IssuePage:
    """One page of the client's issues (``issues`` not empty); ``page`` is brought within range."""
    mine = ordered(issues, statuses)
    pages = max(1, math.ceil(len(mine) / page_size))
    page = min(max(page, 0), pages - 1)
    shown = mine[page * page_size:(page + 1) * page_size]
    buttons, company = [], False
    for issue in shown:
        theirs = issue.contact_id != contact_id
        company = company or theirs
        marks = status_mark(issue.status_code, statuses) + (f" {COMPANY_MARK}" if theirs else "")
        buttons.append((f"{marks} #{issue.id} {make_title(issue.title, TITLE_CHARS)}", issue.id))
    heading = (t(lang, "issues_header", total=len(mine)) if pages == 1
               else t(lang, "issues_header_pages", total=len(mine), page=page + 1, pages=pages))
    lines = [heading, t(lang, "issues_legend")] + ([t(lang, "issues_company_mark")] if company else [])
    return IssuePage(text="\n".join(lines), buttons=buttons, page=page, pages=pages)
