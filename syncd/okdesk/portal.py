"""Login links to Okdesk's client portal (``POST /api/v1/login_link``, okdesk-api.md §8)."""

from __future__ import annotations

from . import bodies
from .errors import OkdeskUnavailable
from .transport import Transport


class PortalLinks:
    """Mixed into OkdeskClient."""

    _t: Transport

    def create_login_link(self, contact_id: int, expire_after: int, one_time: bool = True) -> str:
        """A login link to the client portal for the contact (``POST /login_link``).

        The URL is a password while it lives: the caller keeps it out of logs and storage.
        ``expire_after`` is sent as given, in seconds: the unit is undocumented (okdesk-api.md §8),
        and seconds fail safe (read as minutes, the link lives longer but still once; minutes read
        as seconds would die before the client could tap). The answer's key is ``url`` as reported;
        ``link`` and a ``{"login_link": {...}}`` wrapper are taken too.
        """
        body = {"user_type": "contact", "user_id": int(contact_id), "expire_after": int(expire_after),
                "one_time": bool(one_time)}
        data = bodies.unwrap(self._t.request("POST", "/login_link", json_body=body, kind="login_link.create"),
                             "login_link")
        url = next((data[k] for k in ("url", "link") if isinstance(data, dict) and isinstance(data.get(k), str)),
                   None)
        if not url or not url.startswith(("https://", "http://")):
            raise OkdeskUnavailable("POST /login_link: answer without a link", status=200, kind="no_link")
        return url
