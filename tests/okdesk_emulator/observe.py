"""The read-only half of the control API: internal views, faults and the request log.

`OkdeskEmulator` inherits these; they bypass HTTP, faults and the request log.  The
internal views are the API shapes plus what the API does not tell: every attachment
also carries "sha256" (hex digest of the stored content) so a test can verify what
arrived without downloading it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import shapes
from .context import Context, RequestRecord
from .faults import Fault
from .model import Attachment, Issue, Store
from .routes_rates import RateAttempt


class Observation:
    _ctx: Context

    @property
    def _store(self) -> Store:
        return self._ctx.store

    # -- internal views ---------------------------------------------------------------
    def _with_digests(self, attachments: list[dict[str, Any]]) -> list[dict[str, Any]]:
        table = self._store.attachments
        return [{**item, "sha256": table[item["id"]].sha256} for item in attachments]

    def _issue_view(self, issue: Issue) -> dict[str, Any]:
        view = shapes.issue_json(self._store, issue)
        view["attachments"] = self._with_digests(view["attachments"])
        return view

    def _comment_views(self, issue: Issue) -> list[dict[str, Any]]:
        views = []
        for comment_id in issue.comment_ids:
            comment = self._store.comments[comment_id]
            view = shapes.comment_json(self._store, comment)
            # The test's view names every file, whatever shape the API gives a comment's files.
            view["attachments"] = self._with_digests(
                [shapes.attachment_json(self._store.attachments[i]) for i in comment.attachment_ids])
            views.append(view)
        return views

    def get_issue(self, issue_id: int) -> dict[str, Any]:
        """The GET /issues/{id} object; each attachment also has "sha256"."""
        with self._store.lock:
            return self._issue_view(self._store.require_issue(issue_id))

    def get_comments(self, issue_id: int) -> list[dict[str, Any]]:
        """API-shaped comments in creation order (never shuffled); attachments have "sha256" and are in the
        full shape whatever Options.comment_attachment_shape makes the API answer."""
        with self._store.lock:
            return self._comment_views(self._store.require_issue(issue_id))

    def comments_by(self, issue_id: int, author: tuple[str, int]) -> list[dict[str, Any]]:
        """get_comments() of one author, e.g. ("contact", 5) or ("employee", emu.api_employee_id)."""
        kind, person_id = author
        return [
            comment
            for comment in self.get_comments(issue_id)
            if (comment["author"]["type"], comment["author"]["id"]) == (kind, person_id)
        ]

    def issues_of_contact(self, contact_id: int) -> list[dict[str, Any]]:
        """get_issue() of every issue whose client contact is `contact_id`, oldest first."""
        with self._store.lock:
            issues = sorted(self._store.issues.values(), key=lambda issue: issue.id)
            return [self._issue_view(i) for i in issues if i.contact_id == contact_id]

    def get_contacts(self) -> list[dict[str, Any]]:
        with self._store.lock:
            contacts = self._store.contacts
            return [shapes.contact_json(self._store, contacts[i]) for i in sorted(contacts)]

    def get_employees(self) -> list[dict[str, Any]]:
        with self._store.lock:
            employees = self._store.employees
            return [shapes.employee_json(employees[i]) for i in sorted(employees)]

    def issue_ids(self) -> list[int]:
        with self._store.lock:
            return sorted(self._store.issues)

    def _attachment(self, attachment_id: int) -> Attachment:
        with self._store.lock:
            return self._store.attachments[attachment_id]

    def get_attachment(self, attachment_id: int) -> dict[str, Any]:
        """API shape plus "issue_id", "comment_id", "sha256" and the on-disk "path"."""
        attachment = self._attachment(attachment_id)
        return {
            **shapes.attachment_json(attachment),
            "issue_id": attachment.issue_id,
            "comment_id": attachment.comment_id,
            "sha256": attachment.sha256,
            "path": attachment.disk_path,
        }

    def attachment_path(self, attachment_id: int) -> Path:
        """Where the stored content lies (stream it for big files)."""
        return self._attachment(attachment_id).disk_path

    def attachment_bytes(self, attachment_id: int) -> bytes:
        """The stored content, as a download would give it."""
        return self.attachment_path(attachment_id).read_bytes()

    # -- ratings, companies, service objects ---------------------------------------------
    def rate_attempts(self, issue_id: int | None = None) -> list[RateAttempt]:
        """Every POST .../rates (of one issue), oldest first: issue_id, value, shape, status."""
        with self._store.lock:
            return [a for a in self._store.rate_attempts if issue_id in (None, a.issue_id)]

    def rates_of(self, issue_id: int) -> list[Any]:
        """The values POSTed to the issue's /rates, accepted or not, oldest first."""
        return [attempt.value for attempt in self.rate_attempts(issue_id)]

    def issue_rate(self, issue_id: int) -> str | None:
        """The rating the issue holds: "bad" | "normal" | "good" | None."""
        with self._store.lock:
            rate = self._store.require_issue(issue_id).rate
            return None if rate is None else rate[1]

    def get_company(self, company_id: int) -> dict[str, Any]:
        with self._store.lock:
            return shapes.company_json(self._store, self._store.companies[company_id])

    def get_maintenance_entities(self, company_id: int | None = None) -> list[dict[str, Any]]:
        with self._store.lock:
            table = self._store.maintenance_entities
            return [
                shapes.maintenance_entity_json(table[i])
                for i in sorted(table)
                if company_id in (None, table[i].company_id)
            ]

    @property
    def final_status_codes(self) -> set[str]:
        """Live set of status codes counted as completed (add a custom one in place)."""
        return self._store.final_status_codes

    @property
    def statuses(self) -> list[dict[str, Any]]:
        """Live list: append {"code", "name"} to add a custom status."""
        return self._store.statuses

    @property
    def priorities(self) -> list[dict[str, Any]]:
        return self._store.priorities

    @property
    def issue_types(self) -> list[dict[str, Any]]:
        return self._store.issue_types

    # -- faults and the request log ---------------------------------------------------
    def add_fault(self, fault: Fault) -> Fault:
        return self._ctx.faults.add(fault)

    def clear_faults(self) -> None:
        self._ctx.faults.clear()

    @property
    def faults(self) -> list[Fault]:
        return self._ctx.faults.active()

    @property
    def requests(self) -> list[RequestRecord]:
        return self._ctx.log.snapshot()

    def count_requests(
        self, path_regex: str | None = None, method: str | None = None, status: int | None = None
    ) -> int:
        """Logged requests matching all of what is given; ``status``: the answer's (None: any)."""
        return self._ctx.log.count(path_regex, method, status)

    def reset_requests(self) -> None:
        self._ctx.log.reset()

    def wait_for_requests(
        self,
        count: int,
        path_regex: str | None = None,
        method: str | None = None,
        timeout: float = 10.0,
    ) -> bool:
        """Block until at least `count` matching requests are logged (no blind sleeps)."""
        return self._ctx.log.wait_for(count, path_regex, method, timeout)
