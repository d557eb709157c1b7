"""Contacts, companies, service objects and portal links of :class:`~syncd.okdesk.memory.MemoryOkdesk`.

How each lookup matches is the emulator's (tests/okdesk_emulator/contact_filters.py), under the same
switches, seen through the client (syncd/okdesk/contacts.py, companies.py): an exact ``?phone=``
search answers one contact per spelling (the lowest id: assumed), a 422 for a search the account
does not know ends the mobile-phone tries, ``search_string`` is a substring of name, email and phone.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from typing import Any

from .companies import Company, MaintenanceEntity, same_value
from .memory_faults import api
from .memory_records import MSG_BLANK, MSG_NOT_FOUND, FieldErrors, PersonRecord, refused
from .memory_seed import Seeding
from .models import Contact, ContactScan

PAGE = 100  # keyset pages (contacts.CONTACT_PAGE, companies.LIST_PAGE): the documented maximum
SCAN_PAGES = 100  # contacts.SCAN_PAGES
PORTAL = "https://memory.okdesk.invalid/login_link/"


def _digits(value: str | None) -> str:
    return "".join(ch for ch in value or "" if ch.isdigit())


def _phone_matches(stored: str | None, wanted: str, match: str) -> bool:
    if not stored:
        return False
    if match == "digits_suffix":  # reported: ast2okdesk sends the last N digits
        return bool(_digits(wanted)) and _digits(stored).endswith(_digits(wanted))
    return stored == wanted


class People(Seeding):
    """Mixed into MemoryOkdesk."""

    def _exact(self, field: str, variants: Sequence[str], stop_on_refusal: bool) -> list[Contact]:
        self._need("contacts.read", "GET /contacts/")
        found: dict[int, Contact] = {}
        for value in dict.fromkeys(v.strip() for v in variants if v and v.strip()):
            if field == "mobile_phone" and self.options.contact_mobile_phone_filter == "unknown":
                # An unknown parameter is ignored: a search naming none is a 422, the same for every spelling.
                if stop_on_refusal:
                    break
                continue
            person = next((p for _, p in sorted(self.contacts.items()) if self._matches(p, field, value)), None)
            if person is not None:
                found.setdefault(person.id, self.contact_model(person))
        return list(found.values())

    def _matches(self, person: PersonRecord, field: str, value: str) -> bool:
        if field == "mobile_phone":
            return _phone_matches(person.mobile_phone, value, "exact")
        numbers = [person.phone]
        if self.options.contact_phone_filter_fields == "phone_and_mobile":
            numbers.append(person.mobile_phone)
        return any(_phone_matches(n, value, self.options.contact_phone_filter_match) for n in numbers)

    @api
    def find_contacts_by_phone(self, variants: Sequence[str], *, background: bool = False) -> list[Contact]:
        with self.lock:
            return self._exact("phone", variants, stop_on_refusal=False)

    @api
    def find_contacts_by_mobile_phone(self, variants: Sequence[str], *, background: bool = False) -> list[Contact]:
        with self.lock:
            return self._exact("mobile_phone", variants, stop_on_refusal=True)

    @api
    def search_contacts(self, search_string: str, *, background: bool = False) -> list[Contact]:
        self._need("contacts.read", "GET /contacts/")
        needle = search_string.strip().lower()
        with self.lock:
            return [self.contact_model(p) for _, p in sorted(self.contacts.items())
                    if needle and any(needle in hay.lower() for hay in self._haystacks(p) if hay)]

    def _haystacks(self, person: PersonRecord) -> list[str]:
        phones = [person.phone] + ([person.mobile_phone] if self.options.contact_search_string_mobile else [])
        hays = [self._name(person), person.email or ""] + [p or "" for p in phones]
        if self.options.contact_search_string_digits:
            hays += [_digits(p) for p in phones]
        return hays

    @api
    def scan_contacts(self, keep: Callable[[Contact], bool], *, after_id: int | None = None,
                      max_pages: int = SCAN_PAGES, background: bool = False) -> ContactScan:
        """The client's walk of /contacts/list (syncd/okdesk/contacts.py), page by page of 100."""
        if "contacts.read" in self.options.denied_rights:
            return ContactScan([], False, "refused", after_id)
        with self.lock:
            ordered = [p for _, p in sorted(self.contacts.items()) if after_id is None or p.id > after_id]
        kept: dict[int, Contact] = {}
        from_id = after_id
        for number in range(max_pages):
            page = [self.contact_model(p, listed=True) for p in ordered[number * PAGE:(number + 1) * PAGE]]
            kept.update((c.id, c) for c in page if keep(c))
            if page:
                from_id = max(c.id for c in page)
            if len(page) < PAGE:
                blind = bool(ordered) and not self.options.contact_list_mobile_phone
                return ContactScan(list(kept.values()), not blind, "no_mobile_phone" if blind else None, from_id)
        return ContactScan(list(kept.values()), False, "page_limit", from_id)

    @api
    def get_contact(self, contact_id: int, *, background: bool = False) -> Contact:
        self._need("contacts.read", "GET /contacts/")
        with self.lock:
            person = self.contacts.get(int(contact_id))
            if person is None:
                raise refused("GET /contacts/", "Контакт не найден", 404)
            return self.contact_model(person)

    @api
    def create_contact(self, *, first_name: str, last_name: str, patronymic: str | None = None,
                       phone: str | None = None, mobile_phone: str | None = None, company_id: int | None = None,
                       maintenance_entity_ids: Sequence[int] = (), extra: dict[str, Any] | None = None) -> Contact:
        """first_name and last_name required; the company must exist, the service objects be its own."""
        self._need("contacts.create", "POST /contacts/")
        errors = FieldErrors("POST /contacts/")
        with self.lock:
            for name, value in (("first_name", first_name), ("last_name", last_name)):
                if not (value or "").strip():
                    errors.add(name, MSG_BLANK)
            if company_id is not None and company_id not in self.companies:
                errors.add("company_id", MSG_NOT_FOUND)
            for index, entity_id in enumerate(maintenance_entity_ids):
                entity = self.entities.get(int(entity_id))
                if entity is None or entity.company_id != company_id:
                    errors.tree.setdefault("maintenance_entity_ids", {})[str(index)] = [
                        MSG_NOT_FOUND if entity is None else "не принадлежит компании"]
            errors.raise_if_any()
            fields = dict(extra or {})
            person = PersonRecord(self.ids.take("contact"), "contact", first_name, last_name, patronymic=patronymic,
                                  phone=phone, mobile_phone=mobile_phone, email=fields.pop("email", None),
                                  company_id=company_id, access_level=tuple(fields.pop("access_level", ())),
                                  maintenance_entity_ids=tuple(int(i) for i in maintenance_entity_ids),
                                  extra=fields)
            self.contacts[person.id] = person
            return self.contact_model(person)

    @api
    def get_company(self, company_id: int, *, background: bool = False) -> Company:
        self._need("companies.read", "GET /companies/")
        with self.lock:
            company = self.companies.get(int(company_id))
        if company is None:
            raise refused("GET /companies/", "Компания не найдена", 404)
        return company

    @api
    def find_companies_by_parameter(self, code: str, value: str, *, background: bool = False) -> list[Company]:
        """Okdesk's filter compares the text exactly; the client keeps only same_value matches."""
        self._need("companies.read", "GET /companies/list")
        with self.lock:  # one keyset page in its default direction: the highest ids first
            found = [c for _, c in sorted(self.companies.items(), reverse=True) if c.parameter(code) == value][:PAGE]
        return [c for c in found if same_value(c.parameter(code), value)]

    @api
    def list_maintenance_entities(self, company_id: int, *, background: bool = False) -> list[MaintenanceEntity]:
        """The company's active service objects by id; refused or missing lists read as none."""
        if "maintenance_entities.read" in self.options.denied_rights:
            raise refused("GET /maintenance_entities/list", "Недостаточно прав для выполнения действия", 403)
        with self.lock:  # one keyset page in its default direction (the highest ids), then by id
            mine = [e for _, e in sorted(self.entities.items(), reverse=True) if e.company_id == int(company_id)]
        return sorted((e for e in mine[:PAGE] if e.active), key=lambda e: e.id)

    @api
    def create_login_link(self, contact_id: int, expire_after_minutes: int, one_time: bool = True) -> str:
        """Reported (YOFO): {"login_link": url, ...}; expire_after in minutes. Minted links are kept in
        ``login_links`` as (contact id, url, expires_at, one_time)."""
        self._need("login_links.create", "POST /login_link")
        errors = FieldErrors("POST /login_link")
        if int(expire_after_minutes) <= 0:
            errors.add("expire_after", "должно быть больше 0")
        errors.raise_if_any()
        with self.lock:
            if int(contact_id) not in self.contacts:
                raise refused("POST /login_link", {"user_id": [MSG_NOT_FOUND]})
            url = PORTAL + secrets.token_urlsafe(16)
            self.login_links.append((int(contact_id), url, self.clock.now().timestamp()
                                     + 60 * int(expire_after_minutes), bool(one_time)))
            return url
