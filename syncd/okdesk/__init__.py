"""Okdesk REST client: typed errors, lenient models, a shared request budget, streaming uploads; the
``Okdesk`` Protocol the rest of syncd needs (port.py) and ``MemoryOkdesk``, its in-memory fake."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .budget import RequestBudget
from .errors import (
    OkdeskAuthError,
    OkdeskError,
    OkdeskForbidden,
    OkdeskNotFound,
    OkdeskOutcomeUnknown,
    OkdeskRateLimited,
    OkdeskTokenRefused,
    OkdeskTooLarge,
    OkdeskUnavailable,
    OkdeskValidationError,
)
from .models import (
    Attachment,
    AttachmentLink,
    Comment,
    Contact,
    ContactScan,
    Employee,
    Issue,
    IssueSummary,
    Priority,
    Status,
    UpdatedIssues,
    UploadFile,
)
from .port import Okdesk

__all__ = [
    "Attachment",
    "AttachmentLink",
    "Comment",
    "Contact",
    "ContactScan",
    "Employee",
    "Issue",
    "IssueSummary",
    "MemoryOkdesk",
    "Okdesk",
    "OkdeskAuthError",
    "OkdeskClient",
    "OkdeskError",
    "OkdeskForbidden",
    "OkdeskNotFound",
    "OkdeskOutcomeUnknown",
    "OkdeskRateLimited",
    "OkdeskTokenRefused",
    "OkdeskTooLarge",
    "OkdeskUnavailable",
    "OkdeskValidationError",
    "Priority",
    "RequestBudget",
    "Status",
    "UpdatedIssues",
    "UploadFile",
]


if TYPE_CHECKING:
    from .client import OkdeskClient
    from .memory import MemoryOkdesk


def __getattr__(name: str) -> Any:
    # The client (and with it requests) loads only when asked for: the pure decisions in syncd.sync
    # use the models and the budget's constants, and must not drag an HTTP library in with them.
    if name == "OkdeskClient":
        from .client import OkdeskClient

        return OkdeskClient
    if name == "MemoryOkdesk":  # loaded by tests only: no need to pay for it on every import
        from .memory import MemoryOkdesk

        return MemoryOkdesk
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
