"""POST /api/v1/login_link (client-portal sign-in links) and the portal page the links open.

What is known (okdesk-api.md §8, `[reported]`: YOFO's PORTAL_TECHNICAL_DOCS.md and update_urls.py,
from calls to real accounts): the body names ``user_type``, ``user_id``, ``expire_after`` in minutes
(43200 = 30 days) and ``one_time``; the answer is ``{"login_link": url, "user_id", "user_type",
"user_first_name", "user_last_name"}``. Options.login_link_expire_unit ("minutes" by default) and
Options.login_link_response_key (``login_link`` by default; ``url``, ``link``) switch the readings.
The links point at this emulator, so a test can see whether anything (a link preview, say) opened one.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from .context import Context, Request, Response, json_response
from .params import (
    MSG_BLANK,
    MSG_BOOLEAN,
    MSG_INTEGER,
    MSG_NOT_FOUND,
    ApiError,
    Errors,
    is_blank,
    to_bool,
    to_int,
)

USER_TYPES = ("contact", "employee")
DEFAULT_EXPIRE_AFTER = 60  # in the configured unit, when the body names none (undocumented)
PORTAL_PAGE = "<html><body>Клиентский портал</body></html>".encode()


@dataclass
class LoginLink:
    """One minted link, as tests see it (emu.login_links)."""

    token: str
    url: str
    user_type: str
    user_id: int
    expire_after: int  # as sent
    expires_at: float  # time.time() after which the link no longer opens
    one_time: bool
    created_at: float
    used: bool = False  # opened successfully once
    opened: int = 0  # every GET of the link, refused ones included

    @property
    def user(self) -> tuple[str, int]:
        return (self.user_type, self.user_id)


class LoginLinks:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: list[LoginLink] = []


def create_login_link(ctx: Context, req: Request) -> Response:
    params = req.params("login_link")
    errors = Errors()
    user_type = params.get("user_type")
    if is_blank(user_type):
        errors.add("user_type", MSG_BLANK)
    elif user_type not in USER_TYPES:
        errors.add("user_type", "имеет непредусмотренное значение")
    user_id = to_int(params.get("user_id"))
    if is_blank(params.get("user_id")):
        errors.add("user_id", MSG_BLANK)
    elif user_id is None:
        errors.add("user_id", MSG_INTEGER)
    expire_after = DEFAULT_EXPIRE_AFTER
    if "expire_after" in params:
        expire_after = to_int(params["expire_after"])  # type: ignore[assignment]
        if expire_after is None or expire_after <= 0:
            errors.add("expire_after", "должно быть больше 0")
    one_time = False  # the least convenient reading: without the flag a link can be reused
    if "one_time" in params:
        one_time = to_bool(params["one_time"])  # type: ignore[assignment]
        if one_time is None:
            errors.add("one_time", MSG_BOOLEAN)
    errors.raise_if_any()
    with ctx.store.lock:
        people: dict[int, Any] = ctx.store.contacts if user_type == "contact" else ctx.store.employees
        if user_id not in people:
            raise ApiError(422, {"user_id": [MSG_NOT_FOUND]})
        person = people[user_id]
    unit = 60 if ctx.options.login_link_expire_unit == "minutes" else 1
    token = secrets.token_urlsafe(24)
    now = time.time()
    link = LoginLink(token, f"{ctx.base_url}/login_link/{token}", str(user_type), int(user_id or 0),
                     int(expire_after), now + expire_after * unit, bool(one_time), now)
    with ctx.login_links.lock:
        ctx.login_links.items.append(link)
    key = ctx.options.login_link_response_key
    if key != "login_link":
        return json_response({key: link.url})
    # The reported answer names the user beside the link.
    return json_response({"login_link": link.url, "user_id": link.user_id, "user_type": link.user_type,
                          "user_first_name": person.first_name, "user_last_name": person.last_name})


def open_login_link(ctx: Context, req: Request, token: str) -> Response:
    """The browser's visit: signs in once (one-time) until the expiry; otherwise a refusal page."""
    with ctx.login_links.lock:
        link = next((item for item in ctx.login_links.items if item.token == token), None)
        if link is None:
            return Response(404, "Ссылка недействительна".encode(), content_type="text/plain; charset=utf-8")
        link.opened += 1
        if time.time() > link.expires_at or (link.one_time and link.used):
            return Response(410, "Срок действия ссылки истёк".encode(), content_type="text/plain; charset=utf-8")
        link.used = True
    return Response(200, PORTAL_PAGE, content_type="text/html; charset=utf-8")
