"""Login links to Okdesk's client portal (``POST /api/v1/login_link``, okdesk-api.md §8)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import OkdeskUnavailable
from .transport import Transport

# Where the link may be in the answer, most likely first. The only answer shown from a real account
# (YOFO's PORTAL_TECHNICAL_DOCS.md) is {"login_link": "https://…", "user_id": 78, "user_type": "contact",
# …}; its code also takes "url"; "link" and a wrapper object around any of them cost nothing to take.
LINK_KEYS = ("login_link", "url", "link")


def find_link(data: Any, depth: int = 0) -> str | None:
    """The http(s) URL in an answer of any of those shapes (a bare string too); None without one."""
    if isinstance(data, str):
        return data if data.startswith(("https://", "http://")) else None
    if not isinstance(data, Mapping) or depth > 2:
        return None
    for key in LINK_KEYS:
        found = find_link(data.get(key), depth + 1)
        if found:
            return found
    return None


class PortalLinks:
    """Mixed into OkdeskClient."""

    _t: Transport

    def create_login_link(self, contact_id: int, expire_after_minutes: int, one_time: bool = True) -> str:
        """A login link to the client portal for the contact (``POST /login_link``).

        The URL is a password while it lives: the caller keeps it out of logs and storage.
        ``expire_after`` is in minutes, as the only source reads it (43200 = 30 days).
        """
        body = {"user_type": "contact", "user_id": int(contact_id), "expire_after": int(expire_after_minutes),
                "one_time": bool(one_time)}
        url = find_link(self._t.request("POST", "/login_link", json_body=body, kind="login_link.create"))
        if url is None:
            raise OkdeskUnavailable("POST /login_link: answer without a link", status=200, kind="no_link")
        return url
