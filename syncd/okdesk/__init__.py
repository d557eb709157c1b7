"""Okdesk REST client: typed errors, lenient models, a shared request budget, streaming uploads."""

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
    Employee,
    Issue,
    IssueSummary,
    Priority,
    Status,
    UploadFile,
)

__all__ = [
    "Attachment",
    "AttachmentLink",
    "Comment",
    "Contact",
    "Employee",
    "Issue",
    "IssueSummary",
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
    "UploadFile",
]


if TYPE_CHECKING:
    from .client import OkdeskClient


def __getattr__(name: str) -> Any:
    # The client (and with it requests) loads only when asked for: the pure decisions in syncd.sync
    # use the models and the budget's constants, and must not drag an HTTP library in with them.
    if name == "OkdeskClient":
        from .client import OkdeskClient

        return OkdeskClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
