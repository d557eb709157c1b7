"""MemoryOkdesk: an in-memory Okdesk account behind the ``Okdesk`` Protocol (syncd/okdesk/port.py).

In the manner of vdirsyncer's ``MemoryStorage``: plain dicts, no HTTP, no requests. It answers as
``OkdeskClient`` answers when it talks to the emulator (tests/okdesk_emulator), under the same
switches with the same least-convenient defaults (``okd.options``, a :class:`MemoryOptions`), raising
the same error classes with the same statuses and Russian ``errors``; tests/contract/ runs one suite
against both so the two cannot drift. Where a behaviour comes from (documented / reported /
assumed) is the emulator README's row of the same name; the docstrings here say which.

    okd = MemoryOkdesk()
    contact = okd.add_contact("Иван", "Петров", phone="+79123456789")   # the emulator's control API
    issue = okd.add_issue("Не печатает принтер", contact_id=contact)
    okd.add_comment(issue, "<p>Выезжаем</p>")                           # staff, public
    okd.add_comment(issue, "<p>для своих</p>", public=False)            # a private note
    okd.set_status(issue, "completed")
    okd.options.updated_since_filter = "honoured"                       # a switch
    okd.clock.set(moment); okd.clock.advance(60)                        # okdesk_now() and timestamps
    okd.fail_next("create_comment", unavailable())                      # a fault (memory_faults.py)
    with okd.outage(rate_limited(30)): ...
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone, tzinfo
from pathlib import Path

from .budget import RequestBudget
from .errors import OkdeskPrivateFile, OkdeskTooLarge
from .memory_faults import api, rate_limited, token_refused, unavailable
from .memory_people import People
from .memory_records import (
    MSG_BLANK,
    MSG_MISSING,
    MSG_NOT_FOUND,
    RATE_VALUES,
    FieldErrors,
    IssueRecord,
    MemoryOptions,
    refused,
    rewrite_html,
)
from .models import AttachmentLink, Comment, Issue, IssueSummary, Status, UpdatedIssues, UploadFile
from .paging import walk_numbered

MAX_PAGE = 50  # /issues/list page[size] maximum (reported: MCP)
TYPES = ("service", "incident")
PRIORITIES = ("low", "normal", "high", "critical")
AUTHOR_REFUSALS = {  # the emulator's issue_author_refusal variants that refuse before anything else
    "403": (403, "Доступ запрещен"),
    "403_author": (403, "Недостаточно прав для указания автора заявки"),
    "422_unnamed": (422, {"base": ["Недостаточно прав для выполнения действия"]}),
}


def human_size(limit: int) -> str:
    """A byte limit as the emulator phrases it (tests/okdesk_emulator/params.py): "20 МБ", "512 КБ"."""
    if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} МБ"
    if limit >= 1024 and limit % 1024 == 0:
        return f"{limit // 1024} КБ"
    return f"{limit} байт"


def _by_update(issue: IssueSummary) -> tuple[datetime, int]:
    return (issue.updated_at or datetime.min.replace(tzinfo=timezone.utc), issue.id)


class MemoryOkdesk(People):
    """An Okdesk account in memory; thread-safe like the client (one lock around every change)."""

    budget: RequestBudget | None = None  # nothing limits a fake's requests unless a test sets one

    # ---------------------------------------------------------------- the account
    def okdesk_now(self) -> datetime:
        return self.clock.now()

    @property
    def account_tz(self) -> tzinfo:
        return self.clock.tz

    def close(self) -> None:
        pass

    # ---------------------------------------------------------------- issues
    def _check_page_size(self, page_size: int) -> None:
        if not 1 <= page_size <= MAX_PAGE:
            words = f"должно быть меньше или равно {MAX_PAGE}" if page_size > MAX_PAGE else \
                "должно быть больше или равно 1"
            raise refused("GET /issues/list", {"page": {"size": [words]}})

    def _summaries(self, keep: Callable[[IssueRecord], bool] = lambda _: True) -> list[IssueSummary]:
        self._need("issues.read", "GET /issues/list")
        with self.lock:
            return [self.summary_model(i) for i in self.issues.values() if keep(i)]

    def _threshold(self, floor: datetime) -> datetime | None:
        """Where Okdesk's ``updated_since`` starts under the switch (assumed; reported clients only)."""
        local = floor.astimezone(self.clock.tz)
        mode = self.options.updated_since_filter
        if mode == "honoured":
            return local
        if mode == "date_only":
            return local.replace(hour=0, minute=0)
        if mode == "utc":  # the wall time read as UTC: east of it, the last hours are hidden
            return local.replace(tzinfo=timezone.utc)
        return None

    @api
    def issues_updated_since(self, since: datetime | None, *, trust_filter: bool = True, page_size: int = 50,
                             background: bool = False) -> UpdatedIssues:
        """The client's two walks (syncd/okdesk/client.py) over the answers Okdesk would give."""
        self._check_page_size(page_size)
        floor = since.replace(second=0, microsecond=0) if since is not None else None
        pages: list[int] = []
        everything = sorted(self._summaries(), key=_by_update)

        def reaches_back(page: list[IssueSummary]) -> bool:
            return floor is not None and any(i.updated_at is not None and i.updated_at < floor for i in page)

        def walk(answer: list[IssueSummary], until: Callable[[list[IssueSummary]], bool]) -> list[IssueSummary]:
            def fetch(number: int) -> tuple[int, list[IssueSummary]]:
                pages.append(number)
                page = answer[(number - 1) * page_size:number * page_size]
                return len(page), page
            return walk_numbered(fetch, page_size, None, until)[0]

        if trust_filter or floor is None:
            start = self._threshold(floor) if floor is not None else None
            answer = [i for i in everything if start is None or (i.updated_at is not None and i.updated_at >= start)]
            issues = walk(answer, reaches_back)
            older = min((i for i in issues if floor is not None and i.updated_at is not None and i.updated_at < floor),
                        key=_by_update, default=None)
            if older is None:
                return UpdatedIssues(sorted(issues, key=_by_update), None, len(pages))
        else:
            older = None
        issues = walk(everything[::-1], reaches_back)
        fresh = [i for i in issues if i.updated_at is None or floor is None or i.updated_at >= floor]
        return UpdatedIssues(sorted(fresh, key=_by_update), older, len(pages))

    @api
    def recently_updated_issues(self, count: int, *, background: bool = False) -> list[IssueSummary]:
        return sorted(self._summaries(), key=_by_update, reverse=True)[:max(1, min(count, MAX_PAGE))]

    @api
    def list_issues(self, *, contact_ids: Iterable[int] | None = None, company_ids: Iterable[int] | None = None,
                    status_codes: Iterable[str] | None = None, page_size: int = 50, max_pages: int | None = None,
                    background: bool = False) -> list[IssueSummary]:
        """Filters AND, values within one OR (documented); newest created first, id breaking ties."""
        self._check_page_size(page_size)
        contacts, companies = {int(c) for c in contact_ids or ()}, {int(c) for c in company_ids or ()}
        statuses = {str(s) for s in status_codes or ()}
        found = self._summaries(lambda i: (not contacts or i.contact_id in contacts)
                                and (not companies or i.company_id in companies)
                                and (not statuses or i.status in statuses))
        found.sort(key=lambda i: (i.created_at, i.id), reverse=True)
        return found[:page_size * max_pages] if max_pages is not None else found

    @api
    def get_issue(self, issue_id: int, *, background: bool = False) -> Issue:
        self._need("issues.read", f"GET /issues/{int(issue_id)}")
        with self.lock:
            return self.issue_model(self._issue(issue_id, f"GET /issues/{int(issue_id)}"))

    @api
    def list_comments(self, issue_id: int, *, background: bool = False) -> list[Comment]:
        what = f"GET /issues/{int(issue_id)}/comments"
        self._need("comments.read", what)
        with self.lock:
            issue = self._issue(issue_id, what)
            comments = [self.comment_model(self.comments[i]) for i in issue.comment_ids]
        return sorted(comments, key=lambda c: (c.published_at or datetime.min.replace(tzinfo=timezone.utc), c.id))

    @api
    def list_statuses(self, *, background: bool = False) -> list[Status]:
        self._need("dictionaries.read", "GET /issues/statuses")
        with self.lock:
            return [Status(s["code"], s.get("name") or s["code"]) for s in self.statuses]

    # ---------------------------------------------------------------- files
    def attachment_link(self, issue_id: int, attachment_id: int) -> AttachmentLink:
        """What GET .../attachments/{id} gives (documented): a link valid ``attachment_url_ttl`` s."""
        what = f"GET /issues/{int(issue_id)}/attachments/{int(attachment_id)}"
        self._need("issues.read", what)
        with self.lock:
            self._issue(issue_id, what)
            record = self.files.get(int(attachment_id))
            if record is None or record.issue_id != int(issue_id):
                raise refused(what, "Файл не найден", 404)
            expires = self.clock.now().timestamp() + self.options.attachment_url_ttl
            url = f"memory://storage/{record.id}/{record.name}?expires={expires:.0f}"
            return AttachmentLink(url, record.name, len(record.data), record.is_public)

    @api
    def download_attachment(self, issue_id: int, attachment_id: int, dest: Path, *, max_bytes: int | None = None,
                            background: bool = False, public_only: bool = False,
                            on_link: Callable[[AttachmentLink], None] | None = None) -> int:
        """As syncd/okdesk/download.py: a fresh link, its flag and size judged, written via ``.part``."""
        label = f"attachment {int(attachment_id)} of issue {int(issue_id)}"
        link = self.attachment_link(issue_id, attachment_id)
        if on_link is not None:
            on_link(link)
        if public_only and link.is_public is False:
            raise OkdeskPrivateFile(f"{label}: private", kind="private")
        if max_bytes is not None and link.size is not None and link.size > max_bytes:
            raise OkdeskTooLarge(f"{label}: {link.size} bytes > limit {max_bytes}", kind="max_bytes")
        dest = Path(dest)
        part = dest.with_name(dest.name + ".part")
        part.write_bytes(self.files[int(attachment_id)].data)
        os.replace(part, dest)
        return len(self.files[int(attachment_id)].data)

    def _check_body(self, what: str, file_bytes: int) -> None:
        """413 before anything is judged when the files alone pass max_request_bytes (the emulator
        counts the whole body: a limit near the files' size may differ by the multipart framing)."""
        limit = self.options.max_request_bytes
        if limit is not None and file_bytes > limit:
            raise OkdeskTooLarge(f"{what}: request too large", status=413,
                                 errors=f"Размер запроса превышает допустимый ({human_size(limit)})", kind="http_413")

    def _stored_html(self, html: str) -> str:
        return rewrite_html(html) if self.options.rewrite_comment_html else html

    def _load(self, files: Sequence[UploadFile], what: str) -> list[tuple[str, bytes, bool, str]]:
        """The files of a create, read from disk; the body size is judged first of all (413)."""
        loaded = [(f.file_name, Path(f.path).read_bytes(), f.is_public, "") for f in files]
        self._check_body(what, sum(len(data) for _, data, _, _ in loaded))
        return loaded

    def _judge_files(self, loaded: list[tuple[str, bytes, bool, str]], errors: FieldErrors) -> None:
        """Over max_attachment_bytes or of a forbidden type -> 422 (assumed, open question 8)."""
        limit, refused_types = self.options.max_attachment_bytes, self.options.forbidden_attachment_extensions
        for name, data, _, _ in loaded:
            if limit is not None and len(data) > limit:
                errors.add("attachments", f"Размер файла «{name}» превышает допустимый ({human_size(limit)})")
            if name.rpartition(".")[2].lower() in refused_types and "." in name:
                errors.add("attachments", f"Недопустимый тип файла «{name}»")

    # ---------------------------------------------------------------- writes
    @api
    def create_comment(self, issue_id: int, *, content_html: str, author_id: int, author_type: str = "employee",
                       public: bool, files: Sequence[UploadFile] = ()) -> Comment:
        """Documented fields; unknown authors "не найден" and contact-forced public are assumed."""
        what = f"POST /issues/{int(issue_id)}/comments"
        uploads = self._load(files, what)
        self._need("comments.create", what)
        errors = FieldErrors(what)
        with self.lock:
            issue = self._issue(issue_id, what)
            if not content_html.strip():
                errors.add("content", MSG_BLANK)
            if author_type not in ("employee", "contact"):
                errors.add("author_type", "должен быть одним из: employee, contact")
            elif self._person(author_type, int(author_id)) is None:
                errors.add("author_id", MSG_NOT_FOUND)
            self._judge_files(uploads, errors)
            errors.raise_if_any()
            forced = author_type == "contact" and self.options.contact_comments_always_public
            record = self._add_comment(issue, self._stored_html(content_html), public or forced,
                                       (author_type, int(author_id)), uploads)
            return self.comment_model(record)

    def _issue_author(self, author: tuple[int, str] | None, errors: FieldErrors) -> tuple[str, int]:
        own = ("employee", self.api_employee_id)
        if author is None:
            return own
        author_id, kind = int(author[0]), author[1]
        if kind not in ("employee", "contact"):
            errors.tree["author"] = {"type": ["должен быть одним из: employee, contact"]}
        elif self._person(kind, author_id) is None:
            errors.tree["author"] = {"id": [MSG_NOT_FOUND]}
        elif self.options.api_key_role != "administrator":  # documented: Administrator keys only
            refusal = self.options.issue_author_refusal
            if refusal in AUTHOR_REFUSALS:
                raise refused(errors.what, AUTHOR_REFUSALS[refusal][1], AUTHOR_REFUSALS[refusal][0])
            if refusal == "422":
                errors.add("author", "недоступен для вашей роли")
            if refusal in ("422", "ignore"):
                return own
        return (kind, author_id)

    @api
    def create_issue(self, *, title: str, description_html: str = "", contact_id: int | None = None,
                     company_id: int | None = None, author: tuple[int, str] | None = None,
                     type_code: str | None = None, priority_code: str | None = None,
                     maintenance_entity_id: int | None = None, files: Sequence[UploadFile] = ()) -> Issue:
        """Documented fields and the Administrator-only ``author``; the refusal's form, the company
        filled from the contact or service object, and the service-object check are assumed."""
        uploads = self._load(files, "POST /issues/")
        self._need("issues.create", "POST /issues/")
        errors = FieldErrors("POST /issues/")
        with self.lock:
            if not title.strip():
                errors.add("title", MSG_BLANK)
            for name, code, known in (("type", type_code, TYPES), ("priority", priority_code, PRIORITIES)):
                if code and code not in known:
                    errors.add(name, MSG_NOT_FOUND)
            for name, ref, table in (("contact_id", contact_id, self.contacts), ("company_id", company_id,
                                                                                 self.companies)):
                if ref is not None and ref not in table:
                    errors.add(name, MSG_NOT_FOUND)
            company = company_id if company_id is not None else \
                self.contacts[contact_id].company_id if contact_id in self.contacts else None
            if maintenance_entity_id is not None:
                entity = self.entities.get(maintenance_entity_id)
                if entity is None:
                    errors.add("maintenance_entity_id", MSG_NOT_FOUND)
                elif company is None and company_id is None:
                    company = entity.company_id
                elif entity.company_id != company:
                    errors.add("maintenance_entity_id", "не принадлежит компании")
            by = self._issue_author(author, errors)
            self._judge_files(uploads, errors)
            errors.raise_if_any()
            now = self.clock.now()
            issue = IssueRecord(self.ids.take("issue"), title, self._stored_html(description_html), "opened", by,
                                now, now,
                                contact_id=contact_id, company_id=company, maintenance_entity_id=maintenance_entity_id,
                                type_code=type_code or "service", priority_code=priority_code or "normal")
            issue.file_ids = [self._add_file(issue.id, *u) for u in uploads]
            self.issues[issue.id] = issue
            return self.issue_model(issue)

    @api
    def change_status(self, issue_id: int, code: str, *, comment_html: str | None = None,
                      comment_public: bool | None = None) -> None:
        """Documented: code required, the workflow's transitions, a comment the account may require,
        delayed needs delay_to (which this method never sends); the words are the emulator's."""
        what = f"POST /issues/{int(issue_id)}/statuses"
        self._need("issues.update", what)
        errors = FieldErrors(what)
        with self.lock:
            issue = self._issue(issue_id, what)
            if not code:
                errors.add("code", MSG_MISSING)
            elif not any(s["code"] == code for s in self.statuses):
                errors.add("code", MSG_NOT_FOUND)
            elif code == issue.status:
                errors.add("code", "Заявка уже находится в этом статусе")
            elif (issue.status, code) in self.options.forbidden_transitions:
                errors.add("code", f"Переход из статуса «{self._status_name(issue.status)}» в статус "
                                   f"«{self._status_name(code)}» запрещён")
            blank = not (comment_html or "").strip()
            if self.options.status_comment_required and code != "delayed" and not errors.tree and blank:
                errors.add("comment", MSG_BLANK)
            if code == "delayed":
                errors.add("delay_to", MSG_MISSING)
                if blank:
                    errors.add("comment", MSG_BLANK)
            errors.raise_if_any()
            self._set_status(issue, code, None if blank else self._stored_html(comment_html or ""), bool(comment_public),
                             ("employee", self.api_employee_id))

    @api
    def rate_issue(self, issue_id: int, rate: str) -> None:
        """Values documented; only a completed issue, once (rate_again), assumed."""
        if rate not in RATE_VALUES:
            raise ValueError(f"rate must be one of {RATE_VALUES}")
        what = f"POST /issues/{int(issue_id)}/rates"
        self._need("issues.rate", what)
        with self.lock:
            issue = self._issue(issue_id, what)
            if self.options.rate_requires_completed and issue.status not in self.final_status_codes:
                raise refused(what, {"rate": ["можно выставить только для решённой заявки"]})
            if issue.rate is not None and self.options.rate_again == "refuse":
                raise refused(what, {"rate": ["уже выставлена"]})
            issue.rate, issue.updated_at = rate, self.clock.now()


__all__ = ["MemoryOkdesk", "MemoryOptions", "rate_limited", "token_refused", "unavailable"]
