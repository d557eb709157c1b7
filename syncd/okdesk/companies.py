"""Companies, their service objects and one contact by id (okdesk-api.md §5.1-5.5).

A company's client is found by the INN held in a company custom parameter: one filtered list
request, never a walk over every company. Where Okdesk's filter is unsure (an older account may
ignore ``custom_parameters[...]`` or the company filter of service objects), the answer is
checked here too: only exact matches are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import bodies
from .errors import OkdeskNotFound
from .models import Contact, _first, _obj, _ref_id, as_bool, as_int, as_str, parse_contact

LIST_PAGE = 100  # the documented maximum of keyset pages
MAX_ENTITIES = 100


@dataclass(frozen=True)
class Company:
    id: int
    name: str
    additional_name: str | None = None
    active: bool = True
    # Custom parameters as (code, value): the value as Okdesk sent it, rendered as text.
    parameters: tuple[tuple[str, str | None], ...] = ()

    def parameter(self, code: str) -> str | None:
        return next((value for c, value in self.parameters if c == code), None)


@dataclass(frozen=True)
class MaintenanceEntity:
    """A service object ("объект обслуживания") of a company."""

    id: int
    name: str
    company_id: int | None
    address: str | None = None
    active: bool = True


def _parameters(value: Any) -> tuple[tuple[str, str | None], ...]:
    """``[{code, value}, ...]`` as documented; ``{code: value}`` (the write shape) is taken too."""
    if isinstance(value, Mapping):
        value = [{"code": k, "value": v} for k, v in value.items()]
    if not isinstance(value, list):
        return ()
    result = []
    for item in value:
        item = _obj(item)
        code = as_str(item.get("code"))
        if code:
            result.append((code, as_str(item.get("value"))))
    return tuple(result)


def parse_company(data: Any) -> Company | None:
    data = _obj(data)
    cid = as_int(data.get("id"))
    if cid is None:
        return None
    active = as_bool(data.get("active"))
    return Company(
        id=cid,
        name=as_str(data.get("name")) or as_str(data.get("additional_name")) or f"#{cid}",
        additional_name=as_str(data.get("additional_name")),
        active=True if active is None else active,
        parameters=_parameters(_first(data, "parameters", "custom_parameters")),
    )


def parse_maintenance_entity(data: Any) -> MaintenanceEntity | None:
    data = _obj(data)
    eid = as_int(data.get("id"))
    if eid is None:
        return None
    active = as_bool(data.get("active"))
    address = data.get("address")
    # The address comes as text or as {"value": ...} depending on the account's version.
    address_text = as_str(_obj(address).get("value")) if isinstance(address, Mapping) else as_str(address)
    return MaintenanceEntity(
        id=eid,
        name=as_str(data.get("name")) or f"#{eid}",
        company_id=_ref_id(data, "company", "company_id"),
        address=address_text or None,
        active=True if active is None else active,
    )


def same_value(stored: str | None, wanted: str) -> bool:
    """Staff type an INN with spaces now and then; digits are compared, nothing else. A number field
    holds it without its leading zero (regions 01-09), or as a float."""
    if stored is None:
        return False
    have, want = "".join(stored.split()), "".join(wanted.split())
    if have.endswith(".0") and have[:-2].isdigit():
        have = have[:-2]
    if have.isdigit() and want.isdigit():
        have = have.zfill(len(want))
    return have == want


class CompanyEndpoints:
    """Mixed into OkdeskClient: needs its ``_get`` and ``_t`` (the transport)."""

    _get: Any
    _get_list: Any

    def find_companies_by_parameter(self, code: str, value: str, *, background: bool = False) -> list[Company]:
        """Companies whose custom parameter ``code`` is exactly ``value``: one request.

        The filter is Okdesk's (``custom_parameters[code]=value``); an answer holding other
        companies (a filter the account ignores) is narrowed to the exact matches.
        """
        params = [(f"custom_parameters[{code}]", value), ("page[size]", LIST_PAGE)]
        # A list answer in another shape is an outage, not "no such company" (expect_list).
        found = (parse_company(i) for i in self._get_list("/companies/list", "companies.list", background, params))
        return [c for c in found if c is not None and same_value(c.parameter(code), value)]

    def get_company(self, company_id: int, *, background: bool = False) -> Company:
        """One company by id (``GET /companies/?id=``); NotFound when there is none."""
        return self._get_one("/companies/", "companies", parse_company, company_id, background)

    def _get_one(self, path: str, name: str, parse: Callable[[Any], Any], object_id: int, background: bool) -> Any:
        """The object ``?id=`` finds: one object or a list as the endpoint answers, the id checked (an
        exact-match search may ignore an unknown parameter and answer something else)."""
        data = self._get(path, f"{name}.get", background, [("id", int(object_id))])
        for item in bodies.items(data, name):
            found = parse(item)
            if found is not None and found.id == int(object_id):
                return found
        raise OkdeskNotFound(f"GET {path}: no {name} {int(object_id)}", status=200, kind="no_id")

    def list_maintenance_entities(self, company_id: int, *, background: bool = False) -> list[MaintenanceEntity]:
        """The company's active service objects, by id (one page of at most 100).

        Both spellings of the company filter are sent; each entity's own company is checked
        as well, so an ignored filter never offers another company's object.
        """
        params: list[tuple[str, Any]] = [("company_ids[]", int(company_id)), ("company_id", int(company_id)),
                                         ("page[size]", LIST_PAGE)]
        try:
            raw = self._get_list("/maintenance_entities/list", "maintenance_entities.list", background, params)
        except OkdeskNotFound:  # an account without service objects: the step is skipped
            return []
        parsed = (parse_maintenance_entity(i) for i in raw)
        mine = [e for e in parsed if e is not None and e.company_id == int(company_id) and e.active]
        return sorted(mine, key=lambda e: e.id)[:MAX_ENTITIES]

    def get_contact(self, contact_id: int, *, background: bool = False) -> Contact:
        """One contact by id (``GET /contacts/?id=``); NotFound when there is none."""
        return self._get_one("/contacts/", "contacts", parse_contact, contact_id, background)
