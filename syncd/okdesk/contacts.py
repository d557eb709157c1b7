"""Contacts: lookups by phone, the substring search, the walk over every contact, creation.

Which field ``GET /contacts/?phone=`` compares is unknown (okdesk-api.md §5.1: every production
client writes and searches ``phone``; nothing shows that ``mobile_phone`` is matched too),
``mobile_phone=`` is a search parameter in no source, and what ``search_string`` looks at is not
said. The one lookup that sees every contact's numbers whatever the account does is the keyset
list (``/contacts/list``, §5.5), whose items are whole contact objects (SPIRIT reads their
parameters): :meth:`ContactEndpoints.scan_contacts` walks it. Every answer is a candidate only;
callers keep exact matches of the normalised number (syncd.phones), never a substring.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from . import bodies
from .errors import OkdeskForbidden, OkdeskNotFound, OkdeskOutcomeUnknown, OkdeskValidationError
from .models import Contact, ContactScan, parse_contact
from .transport import Transport

CONTACT_PAGE = 100  # the documented maximum of keyset pages
# A walk stops after this many pages (10,000 contacts, under a minute of the default budget):
# beyond it the daemon says it could not look everywhere rather than keep a client waiting longer.
SCAN_PAGES = 100


class ContactEndpoints:
    """Mixed into OkdeskClient: needs its ``_get``, ``_get_list`` and ``_t`` (the transport)."""

    _get: Any
    _get_list: Any
    _t: Transport

    def _find_by(self, param: str, variants: Sequence[str], background: bool, stop_on_422: bool) -> list[Contact]:
        found: dict[int, Contact] = {}
        for value in dict.fromkeys(v.strip() for v in variants if v and v.strip()):
            try:
                data = self._get("/contacts/", "contacts.find", background, [(param, value)])
            except OkdeskNotFound:
                continue
            except OkdeskValidationError:
                if stop_on_422:
                    break
                continue
            for item in bodies.items(data, "contacts"):
                contact = parse_contact(item)
                if contact is not None:
                    found.setdefault(contact.id, contact)
        return list(found.values())

    def find_contacts_by_phone(self, variants: Sequence[str], *, background: bool = False) -> list[Contact]:
        """Exact phone match for each spelling (``79…``, ``+79…``, ``89…``), deduplicated.

        A literal ``+`` travels as %2B (requests encodes it). Every shape of "nothing" means
        nothing: 404, empty body, null, [], {}, an error body, and a 422 for a spelling
        Okdesk refuses (one odd variant must not sink the others).
        """
        return self._find_by("phone", variants, background, stop_on_422=False)

    def find_contacts_by_mobile_phone(self, variants: Sequence[str], *, background: bool = False) -> list[Contact]:
        """As :meth:`find_contacts_by_phone` with ``mobile_phone=``, a parameter in no source. An
        account that does not know it ignores it, and a request naming no search is a 422: the
        first 422 ends the tries (every other spelling would get the same)."""
        return self._find_by("mobile_phone", variants, background, stop_on_422=True)

    def search_contacts(self, search_string: str, *, background: bool = False) -> list[Contact]:
        """Substring search (``search_string=``); nothing found in any form -> []."""
        params = [("search_string", search_string)]
        try:
            data = self._get("/contacts/", "contacts.search", background, params)
        except OkdeskNotFound:
            return []
        return [c for c in (parse_contact(i) for i in bodies.items(data, "contacts")) if c]

    def scan_contacts(
        self,
        keep: Callable[[Contact], bool],
        *,
        after_id: int | None = None,
        max_pages: int = SCAN_PAGES,
        background: bool = False,
    ) -> ContactScan:
        """Walk ``/contacts/list`` forward by id (after ``after_id``), keeping the contacts ``keep``
        accepts, page by page (a big account is never held in memory).

        Complete only when the walk reached the end and the items carried ``mobile_phone`` (an
        empty list does too). A list Okdesk refuses (403, 404, 422) is not complete, nor is one
        whose paging is ignored; an outage raises as always.
        """
        kept: dict[int, Contact] = {}
        from_id, saw_mobile, saw_items = after_id, False, False

        def done(complete: bool, reason: str | None) -> ContactScan:
            if complete and saw_items and not saw_mobile:
                complete, reason = False, "no_mobile_phone"  # no item had the field: numbers unseen
            return ContactScan(list(kept.values()), complete, reason, from_id)

        for _ in range(max_pages):
            params: list[tuple[str, Any]] = [("page[size]", CONTACT_PAGE), ("page[direction]", "forward")]
            if from_id is not None:
                params.append(("page[from_id]", from_id))
            try:
                raw = self._get_list("/contacts/list", "contacts.list", background, params)
            except (OkdeskForbidden, OkdeskNotFound, OkdeskValidationError):
                return done(False, "refused")
            page = [c for c in (parse_contact(i) for i in raw) if c is not None]
            saw_items = saw_items or bool(page)
            saw_mobile = saw_mobile or any(isinstance(i, dict) and "mobile_phone" in i for i in raw)
            kept.update((c.id, c) for c in page if keep(c))
            top = max((c.id for c in page), default=None)
            if len(raw) < CONTACT_PAGE:
                if top is not None:
                    from_id = max(top, from_id or top)
                return done(True, None)
            if top is None or (from_id is not None and top <= from_id):
                return done(False, "paging_ignored")  # the same page again: the walk would loop
            from_id = top
        return done(False, "page_limit")

    def create_contact(
        self,
        *,
        first_name: str,
        last_name: str,
        patronymic: str | None = None,
        phone: str | None = None,
        mobile_phone: str | None = None,
        company_id: int | None = None,
        maintenance_entity_ids: Sequence[int] = (),
        extra: dict[str, Any] | None = None,
    ) -> Contact:
        """``extra``: further contact fields (email, comment, custom_parameters, …).
        ``maintenance_entity_ids``: the company's service objects the contact belongs to."""
        fields: dict[str, Any] = {
            "first_name": first_name,
            "last_name": last_name,
            "patronymic": patronymic,
            "phone": phone,
            "mobile_phone": mobile_phone,
            "company_id": company_id,
        }
        body = {k: v for k, v in fields.items() if v is not None}
        if maintenance_entity_ids:
            body["maintenance_entity_ids"] = [int(i) for i in maintenance_entity_ids]
        body.update(extra or {})
        data = self._t.request("POST", "/contacts/", json_body={"contact": body}, kind="contacts.create")
        contact = parse_contact(bodies.unwrap(data, "contact"))
        if contact is None:
            raise OkdeskOutcomeUnknown("POST /contacts/: answer without an id", status=200, kind="no_id")
        return contact
