"""OkdeskClient: the Okdesk REST endpoints syncd uses, as typed methods.

HTTP details (auth, retries, error classes, the request budget) live in :mod:`.transport`;
this module knows paths, parameters and which answer means what. Where the API's behaviour
is unsure (see shared/okdesk-api.md) every variant seen in the wild is accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

from . import bodies
from .budget import RequestBudget
from .companies import CompanyEndpoints
from .contacts import ContactEndpoints
from .download import download
from .errors import OkdeskNotFound, OkdeskOutcomeUnknown
from .models import (
    AttachmentLink,
    Comment,
    Employee,
    Issue,
    IssueSummary,
    Priority,
    Status,
    UpdatedIssues,
    UploadFile,
    parse_attachment_link,
    parse_comment,
    parse_employee,
    parse_issue,
    parse_issue_summary,
    parse_priority,
    parse_status,
)
from .paging import union_newest, walk_keyset, walk_numbered, when
from .portal import PortalLinks
from .ratings import IssueRatings
from .timeutil import TimestampParser, format_filter
from .transport import Transport, default_user_agent, log

EMPLOYEE_PAGE = 100  # the documented maximum of keyset pages
GET_RETRIES = 2  # a GET is tried this many times more after a failure (liveness counts on it)


class OkdeskClient(IssueRatings, CompanyEndpoints, ContactEndpoints, PortalLinks):
    """Thread-safe client of one Okdesk account (the token is a query parameter on every call)."""

    def __init__(
        self,
        base_url: str,
        api_token: str,
        *,
        timeout: float = 30,
        connect_timeout: float = 5,
        budget: RequestBudget | None = None,
        get_retries: int = GET_RETRIES,
        retry_cap: float = 60,
        proxy: str | None = None,
        account_tz: tzinfo | None = None,
        user_agent: str | None = None,
        backoff_base: float = 1.0,
        verify: bool | str = True,
    ) -> None:
        self._ts = TimestampParser(account_tz)
        self._t = Transport(
            base_url,
            api_token,
            timeout=timeout,
            connect_timeout=connect_timeout,
            budget=budget,
            get_retries=get_retries,
            retry_cap=retry_cap,
            backoff_base=backoff_base,
            proxy=proxy,
            verify=verify,
            user_agent=user_agent or default_user_agent(),
        )
        self.budget = budget

    def __repr__(self) -> str:  # the token never, the URL is harmless
        return f"OkdeskClient({self._t.api_root!r})"

    # ---------------------------------------------------------------- state

    def okdesk_now(self) -> datetime:
        """Now on Okdesk's clock (ours until Okdesk answered once), for comparisons with its timestamps."""
        offset = self._t.clock_offset or 0.0
        # The Date header is whole seconds and a little late: within that noise, clocks agree.
        return datetime.now(timezone.utc) + timedelta(seconds=offset if abs(offset) > 2.0 else 0.0)

    @property
    def account_tz(self) -> tzinfo:
        """Offset of the last timestamp Okdesk sent, else the configured zone, else UTC+3."""
        return self._ts.account_tz

    @property
    def requests_made(self) -> int:
        return self._t.requests_made

    def request_outcomes(self) -> dict[str, int]:
        """Requests sent since start by what each came to (``ok``, ``server_error``, …: http_errors.OUTCOMES)."""
        return self._t.outcomes.snapshot()

    @property
    def last_success_at(self) -> float | None:
        """time.monotonic() of the last request Okdesk answered sensibly (404/422 included)."""
        return self._t.last_success_at

    @property
    def last_error(self) -> str | None:
        """Last failure of Okdesk as a whole (unavailable, auth, outcome unknown), sanitized."""
        return self._t.last_error

    @property
    def api_root(self) -> str:
        return self._t.api_root

    def close(self) -> None:
        self._t.close()

    def __enter__(self) -> OkdeskClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get(self, path: str, kind: str, background: bool, params: Any = None) -> Any:
        return self._t.request("GET", path, params=params, kind=kind, background=background)

    def _get_list(self, path: str, kind: str, background: bool, params: Any = None) -> list[Any]:
        """A list endpoint: anything but a JSON array is OkdeskUnavailable (classify_response)."""
        return self._t.request(
            "GET", path, params=params, kind=kind, background=background, expect_list=True
        )

    # ---------------------------------------------------------------- issues

    def _walk_issues(
        self, params: list[tuple[str, Any]], page_size: int, background: bool, max_pages: int | None,
        until: Any = None, pages: list[int] | None = None,
    ) -> tuple[list[IssueSummary], bool]:
        def fetch(number: int) -> tuple[int, list[IssueSummary]]:
            if pages is not None:
                pages.append(number)
            page = params + [("page[size]", page_size), ("page[number]", number)]
            raw = self._get_list("/issues/list", "issues.list", background, page)
            return len(raw), [s for s in (parse_issue_summary(i, self._ts) for i in raw) if s]

        return walk_numbered(fetch, page_size, max_pages, until)

    def issues_updated_since(
        self, since: datetime | None, *, trust_filter: bool = True, page_size: int = 50, background: bool = False
    ) -> UpdatedIssues:
        """Issues updated at or after ``since`` (floored to the minute; None: all), oldest update first,
        and an issue updated before it if one came back: then Okdesk did not honour ``updated_since``.

        Production clients show the filter, the API docs do not: it may be ignored, read as a date, or
        read in another zone. Trusted, it is sent and the list walked oldest first, the walk stopping at
        the first page holding such an issue. Not trusted (or then), the list is walked newest first
        without it and stops at the first page reaching back past ``since``: a poll costs a page or two
        whatever the account's size, and whatever Okdesk makes of the filter.
        """
        floor = since.replace(second=0, microsecond=0) if since is not None else None
        pages: list[int] = []

        def reaches_back(page: list[IssueSummary]) -> bool:
            return floor is not None and any(i.updated_at is not None and i.updated_at < floor for i in page)

        def newest_last(issues: list[IssueSummary]) -> list[IssueSummary]:
            return sorted(issues, key=lambda i: (when(i.updated_at), i.id))

        older = None
        if trust_filter or floor is None:
            params: list[tuple[str, Any]] = []
            if since is not None:
                params.append(("updated_since", format_filter(since, self.account_tz)))
            params += [("sorting[field]", "updated_at"), ("sorting[direction]", "forward")]
            issues, shifted = self._walk_issues(params, page_size, background, None, reaches_back, pages)
            older = min((i for i in issues if floor is not None and i.updated_at is not None and i.updated_at < floor),
                        key=lambda i: (i.updated_at, i.id), default=None)
            if older is None:
                if shifted:
                    # The list moved while we walked it, so an item may have slipped back onto a page
                    # already read. A second walk finds it; the union keeps each issue's latest version.
                    log.debug("okdesk_issue_list_shifted")
                    again = self._walk_issues(params, page_size, background, None, None, pages)[0]
                    issues = union_newest(issues, again)
                return UpdatedIssues(newest_last(issues), None, len(pages))
        newest_first: list[tuple[str, Any]] = [("sorting[field]", "updated_at"), ("sorting[direction]", "reverse")]
        # An issue updated while this walk runs jumps to the front, onto a page already read: the next
        # poll lists it (it is newer than anything this one saw).
        issues, _ = self._walk_issues(newest_first, page_size, background, None, reaches_back, pages)
        fresh = [i for i in issues if i.updated_at is None or floor is None or i.updated_at >= floor]
        return UpdatedIssues(newest_last(fresh), older, len(pages))

    def recently_updated_issues(self, count: int, *, background: bool = False) -> list[IssueSummary]:
        """The account's ``count`` most recently updated issues (one request), newest first."""
        params: list[tuple[str, Any]] = [("sorting[field]", "updated_at"), ("sorting[direction]", "reverse")]
        issues, _ = self._walk_issues(params, max(1, min(count, 50)), background, 1)
        return sorted(issues, key=lambda i: (when(i.updated_at), i.id), reverse=True)

    def list_issues(
        self,
        *,
        contact_ids: Iterable[int] | None = None,
        company_ids: Iterable[int] | None = None,
        status_codes: Iterable[str] | None = None,
        page_size: int = 50,
        max_pages: int | None = None,
        background: bool = False,
    ) -> list[IssueSummary]:
        """Issues of the given contacts/companies/statuses, newest first (``max_pages`` keeps the recent)."""
        params: list[tuple[str, Any]] = []
        params += [("contact_ids[]", int(c)) for c in contact_ids or ()]
        params += [("company_ids[]", int(c)) for c in company_ids or ()]
        params += [("status_codes[]", str(s)) for s in status_codes or ()]
        params += [("sorting[field]", "created_at"), ("sorting[direction]", "reverse")]
        issues, _ = self._walk_issues(params, page_size, background, max_pages)
        return sorted(issues, key=lambda i: (when(i.created_at), i.id), reverse=True)

    def get_issue(self, issue_id: int, *, background: bool = False) -> Issue:
        """One issue. NotFound also for 200 + errors / no id (deleted or hidden issues).
        A merged issue may come back under another id: compare ``.id``."""
        path = f"/issues/{int(issue_id)}"
        issue = parse_issue(self._get(path, "issues.get", background), self._ts)
        if issue is None:
            raise OkdeskNotFound(
                f"GET {path}: answer without an issue id", status=200, kind="no_id"
            )
        return issue

    def list_comments(self, issue_id: int, *, background: bool = False) -> list[Comment]:
        """All comments, sorted by (published_at, id): Okdesk's own order is undocumented."""
        data = self._get_list(f"/issues/{int(issue_id)}/comments", "comments.list", background)
        parsed = (parse_comment(i, self._ts) for i in data)
        return sorted((c for c in parsed if c), key=lambda c: (when(c.published_at), c.id))

    # ---------------------------------------------------------------- attachments

    def get_attachment_link(
        self, issue_id: int, attachment_id: int, *, background: bool = False
    ) -> AttachmentLink:
        """A storage link valid for ~30 s: use it at once."""
        path = f"/issues/{int(issue_id)}/attachments/{int(attachment_id)}"
        link = parse_attachment_link(self._get(path, "attachments.get", background))
        if link is None:
            raise OkdeskNotFound(
                f"GET {path}: answer without attachment_url", status=200, kind="no_url"
            )
        return link

    def download_attachment(
        self,
        issue_id: int,
        attachment_id: int,
        dest: Path,
        *,
        max_bytes: int | None = None,
        background: bool = False,
        public_only: bool = False,
        on_link: Callable[[AttachmentLink], None] | None = None,
    ) -> int:
        """Stream the file to ``dest``; returns its size. See :mod:`.download`. ``on_link`` sees the
        attachment's own answer (its name and flag, which a comment's list of files may lack)."""
        def link() -> AttachmentLink:
            found = self.get_attachment_link(issue_id, attachment_id, background=background)
            if on_link is not None:
                on_link(found)
            return found

        return download(
            self._t,
            link,
            Path(dest),
            label=f"attachment {int(attachment_id)} of issue {int(issue_id)}",
            max_bytes=max_bytes,
            background=background,
            public_only=public_only,
        )

    # ---------------------------------------------------------------- employees (contacts: .contacts)

    def list_employees(self, *, background: bool = False) -> list[Employee]:
        """All employees via keyset paging (page[from_id], forward). ``/employees/list`` is
        the documented path; ``/employees/`` is tried when that one is missing."""
        paths = ["/employees/list", "/employees/"]

        def fetch(from_id: int | None) -> tuple[int, list[Employee]]:
            params: list[tuple[str, Any]] = [
                ("page[size]", EMPLOYEE_PAGE),
                ("page[direction]", "forward"),
            ]
            if from_id is not None:
                params.append(("page[from_id]", from_id))
            while True:
                try:
                    raw = self._get_list(paths[0], "employees.list", background, params)
                    break
                except OkdeskNotFound:
                    if len(paths) == 1 or from_id is not None:
                        raise
                    paths.pop(0)
            return len(raw), [e for e in (parse_employee(i) for i in raw) if e]

        return walk_keyset(fetch, EMPLOYEE_PAGE)

    # ---------------------------------------------------------------- writes (never retried)

    def create_comment(
        self,
        issue_id: int,
        *,
        content_html: str,
        author_id: int,
        author_type: str = "employee",
        public: bool,
        files: Sequence[UploadFile] = (),
    ) -> Comment:
        """JSON without files; a streamed multipart body with them."""
        path = f"/issues/{int(issue_id)}/comments"
        request = bodies.comment_request(content_html, author_id, author_type, public, files)
        data = self._t.request("POST", path, kind="comments.create", **request)
        raw = bodies.unwrap(data, "comment")
        if isinstance(raw, dict) and "public" not in raw and "is_public" not in raw:
            raw = {**raw, "public": public}  # an echo without the flag: we know what we sent
        created = parse_comment(raw, self._ts)
        if created is None:
            raise OkdeskOutcomeUnknown(
                f"POST {path}: answer without a comment id", status=200, kind="no_id"
            )
        return created

    def create_issue(
        self,
        *,
        title: str,
        description_html: str = "",
        contact_id: int | None = None,
        company_id: int | None = None,
        author: tuple[int, str] | None = None,
        type_code: str | None = None,
        priority_code: str | None = None,
        maintenance_entity_id: int | None = None,
        files: Sequence[UploadFile] = (),
    ) -> Issue:
        """``author``: (id, "employee"|"contact"). Empty type/priority are left out so the
        account's defaults apply."""
        issue: dict[str, Any] = {
            "title": title,
            "description": description_html,
            "contact_id": contact_id,
            "company_id": company_id,
            "type": type_code or None,
            "priority": priority_code or None,
            "maintenance_entity_id": maintenance_entity_id,
        }
        issue = {k: v for k, v in issue.items() if v is not None}
        request = bodies.issue_request(issue, author, files)
        data = self._t.request("POST", "/issues/", kind="issues.create", **request)
        created = parse_issue(bodies.unwrap(data, "issue"), self._ts)
        if created is None:
            raise OkdeskOutcomeUnknown(
                "POST /issues/: answer without an issue id", status=200, kind="no_id"
            )
        return created

    def change_status(
        self,
        issue_id: int,
        code: str,
        *,
        comment_html: str | None = None,
        comment_public: bool | None = None,
    ) -> None:
        body: dict[str, Any] = {"code": code}
        if comment_html is not None:
            body["comment"] = comment_html
        if comment_public is not None:
            body["comment_public"] = comment_public
        self._t.request(
            "POST", f"/issues/{int(issue_id)}/statuses", json_body=body, kind="issues.status"
        )

    # ---------------------------------------------------------------- dictionaries

    def list_statuses(self, *, background: bool = False) -> list[Status]:
        data = self._get_list("/issues/statuses", "statuses.list", background)
        return [s for s in (parse_status(i) for i in data) if s]

    def list_priorities(self, *, background: bool = False) -> list[Priority]:
        data = self._get_list("/issues/priorities", "priorities.list", background)
        return [p for p in (parse_priority(i) for i in data) if p]
