"""Okdesk REST client: typed errors, lenient models, a shared request budget, streaming uploads."""

from __future__ import annotations

from .budget import RequestBudget
from .client import OkdeskClient
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
