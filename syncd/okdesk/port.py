"""``Okdesk``: the one interface the rest of syncd needs of an Okdesk account.

It names exactly the members of :class:`~syncd.okdesk.client.OkdeskClient` that code outside
``syncd/okdesk/`` calls (bot, inbound, relay, poller, issue_sync, metrics, parts, daemon), with the
same signatures. Two implementations satisfy it: ``OkdeskClient`` (HTTP, requests) and
:class:`~syncd.okdesk.memory.MemoryOkdesk` (plain dicts, for tests); ``syncd/okdesk/conformance.py``
has mypy check both, and ``tests/contract/`` runs one set of tests against each.

Errors (``syncd.okdesk.errors``) are part of the contract; callers decide by class:

* every call: ``OkdeskUnavailable`` (an outage; ``OkdeskRateLimited`` with ``retry_after``),
  ``OkdeskTokenRefused`` (401), ``OkdeskForbidden`` (403: the key's user lacks the right);
* reads of one object: ``OkdeskNotFound``;
* writes: ``OkdeskValidationError`` (422, Okdesk's Russian words in ``errors``), ``OkdeskTooLarge``
  (413), ``OkdeskOutcomeUnknown`` (the answer was lost: look before writing again).

Import-light on purpose: nothing here loads requests, so ``syncd.sync`` and type-only users
pay nothing for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # only names for annotations: models and companies load no HTTP library anyway
    from .budget import RequestBudget
    from .companies import Company, MaintenanceEntity
    from .models import (
        AttachmentLink,
        Comment,
        Contact,
        ContactScan,
        Issue,
        IssueSummary,
        Status,
        UpdatedIssues,
        UploadFile,
    )


class Okdesk(Protocol):
    """One Okdesk account as syncd uses it. ``background=True`` marks a request the shared budget
    may defer (reconcile sweeps); a fake ignores it."""

    # ---------------------------------------------------------------- the account
    # None when nothing limits the requests (a fake); the poller and metrics read it.
    budget: RequestBudget | None

    def okdesk_now(self) -> datetime:
        """Now on Okdesk's clock, for comparisons with its timestamps (aware)."""
        ...

    @property
    def account_tz(self) -> tzinfo: ...

    def request_outcomes(self) -> dict[str, int]:
        """Requests so far by what each came to (``ok``, ``server_error``, ...), for metrics."""
        ...

    def close(self) -> None: ...

    # ---------------------------------------------------------------- issues
    def issues_updated_since(
        self, since: datetime | None, *, trust_filter: bool = True, page_size: int = 50,
        background: bool = False,
    ) -> UpdatedIssues:
        """Issues updated at or after ``since`` (floored to the minute), oldest update first; ``older``
        is an issue updated before it that came back (then Okdesk ignored ``updated_since``)."""
        ...

    def recently_updated_issues(self, count: int, *, background: bool = False) -> list[IssueSummary]:
        """The ``count`` (at most 50) most recently updated issues, newest first."""
        ...

    def list_issues(
        self, *, contact_ids: Iterable[int] | None = None, company_ids: Iterable[int] | None = None,
        status_codes: Iterable[str] | None = None, page_size: int = 50, max_pages: int | None = None,
        background: bool = False,
    ) -> list[IssueSummary]:
        """Issues of the given contacts/companies/statuses, newest created first."""
        ...

    def get_issue(self, issue_id: int, *, background: bool = False) -> Issue:
        """One issue; ``OkdeskNotFound`` when there is none."""
        ...

    def list_comments(self, issue_id: int, *, background: bool = False) -> list[Comment]:
        """Every comment, by (published_at, id); ``OkdeskNotFound`` for an unknown issue."""
        ...

    def download_attachment(
        self, issue_id: int, attachment_id: int, dest: Path, *, max_bytes: int | None = None,
        background: bool = False, public_only: bool = False,
        on_link: Callable[[AttachmentLink], None] | None = None,
    ) -> int:
        """Write the file to ``dest``, return its size. ``OkdeskTooLarge`` past ``max_bytes``,
        ``OkdeskPrivateFile`` for a private one under ``public_only``, ``OkdeskNotFound``."""
        ...

    def create_comment(
        self, issue_id: int, *, content_html: str, author_id: int, author_type: str = "employee",
        public: bool, files: Sequence[UploadFile] = (),
    ) -> Comment: ...

    def create_issue(
        self, *, title: str, description_html: str = "", contact_id: int | None = None,
        company_id: int | None = None, author: tuple[int, str] | None = None, type_code: str | None = None,
        priority_code: str | None = None, maintenance_entity_id: int | None = None,
        files: Sequence[UploadFile] = (),
    ) -> Issue:
        """``author``: (id, "employee"|"contact"), refused to keys of a non-administrator role."""
        ...

    def change_status(
        self, issue_id: int, code: str, *, comment_html: str | None = None,
        comment_public: bool | None = None,
    ) -> None:
        """``OkdeskValidationError`` for an unknown code, a forbidden transition or a missing
        comment the account requires."""
        ...

    def rate_issue(self, issue_id: int, rate: str) -> None:
        """``bad`` | ``normal`` | ``good``; ``OkdeskValidationError`` when refused (already rated,
        not completed)."""
        ...

    def list_statuses(self, *, background: bool = False) -> list[Status]: ...

    # ---------------------------------------------------------------- contacts and companies
    def get_contact(self, contact_id: int, *, background: bool = False) -> Contact: ...

    def find_contacts_by_phone(self, variants: Sequence[str], *, background: bool = False) -> list[Contact]:
        """Exact ``?phone=`` match per spelling, deduplicated; nothing found is []."""
        ...

    def find_contacts_by_mobile_phone(
        self, variants: Sequence[str], *, background: bool = False
    ) -> list[Contact]: ...

    def search_contacts(self, search_string: str, *, background: bool = False) -> list[Contact]: ...

    def scan_contacts(
        self, keep: Callable[[Contact], bool], *, after_id: int | None = None, max_pages: int = 100,
        background: bool = False,
    ) -> ContactScan:
        """Walk every contact after ``after_id`` (``max_pages`` pages of 100: contacts.SCAN_PAGES)."""
        ...

    def create_contact(
        self, *, first_name: str, last_name: str, patronymic: str | None = None, phone: str | None = None,
        mobile_phone: str | None = None, company_id: int | None = None,
        maintenance_entity_ids: Sequence[int] = (), extra: dict[str, Any] | None = None,
    ) -> Contact: ...

    def get_company(self, company_id: int, *, background: bool = False) -> Company: ...

    def find_companies_by_parameter(
        self, code: str, value: str, *, background: bool = False
    ) -> list[Company]: ...

    def list_maintenance_entities(
        self, company_id: int, *, background: bool = False
    ) -> list[MaintenanceEntity]: ...

    def create_login_link(self, contact_id: int, expire_after_minutes: int, one_time: bool = True) -> str:
        """A client-portal login link (a secret while it lives)."""
        ...


__all__ = ["Okdesk"]
