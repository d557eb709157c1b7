"""Handlers for companies and their service objects (okdesk-api.md §5.4, §5.5).

Neither is available to a contact-bound key: routing gives them the rights
"companies.read" / "maintenance_entities.read" for Options.denied_rights.
"""

from __future__ import annotations

from typing import Any

from . import shapes
from .context import Context, Request, Response, json_response
from .orgs import Company, MaintenanceEntity
from .params import MSG_INTEGER, ApiError, Errors, int_list, sub_dict, to_int
from .routes_other import keyset_ids, not_found_answer

COMPANY_NOT_FOUND = "Компания не найдена"
ENTITY_NOT_FOUND = "Объект обслуживания не найден"
COMPANY_SEARCH_KEYS = ("id", "name", "phone", "crm_1c_id")


# -- companies --------------------------------------------------------------------------
def _company_matches(company: Company, key: str, value: str) -> bool:
    if key == "id":
        return to_int(value) == company.id
    if key == "name":  # exact, on the name or the additional name
        return value in (company.name, company.additional_name)
    if key == "phone":
        return value == company.phone
    return bool(value) and value in (company.crm_1c_id or "")  # crm_1c_id: substring


def _company_search(company: Company, needle: str) -> bool:
    haystacks = (company.name, company.additional_name, company.phone, company.crm_1c_id)
    return any(needle in hay.lower() for hay in haystacks if hay)


def find_company(ctx: Context, req: Request) -> Response:
    """GET /companies/?...: one object (the lowest id that matches), like contacts."""
    query, store = req.query, ctx.store
    with store.lock:
        companies = [store.companies[i] for i in sorted(store.companies)]
        if "search_string" in query:  # substring; overrides the exact parameters
            needle = str(query["search_string"]).strip().lower()
            found = [c for c in companies if needle and _company_search(c, needle)]
        else:
            keys = [key for key in COMPANY_SEARCH_KEYS if key in query]
            if not keys:
                raise ApiError(422, "Не указан ни один параметр поиска")
            found = [
                c for c in companies if all(_company_matches(c, k, str(query[k])) for k in keys)
            ]
        if found:
            return json_response(shapes.company_json(store, found[0]))
    return not_found_answer(ctx.options.company_not_found, COMPANY_NOT_FOUND)


def _parameter_filter(query: dict[str, Any], errors: Errors) -> dict[str, list[str]]:
    """custom_parameters[code]=v (exact), [code][]=v1&..=v2 (any of), "#null" = empty."""
    wanted: dict[str, list[str]] = {}
    for code, value in sub_dict(query, "custom_parameters", errors).items():
        wanted[code] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return wanted


def list_companies(ctx: Context, req: Request) -> Response:
    errors = Errors()
    wanted = _parameter_filter(req.query, errors)
    errors.raise_if_any()
    if ctx.options.companies_ignore_parameter_filter:
        wanted = {}
    store = ctx.store
    with store.lock:

        def keep(company: Company) -> bool:
            for code, values in wanted.items():
                value = company.parameter(code)
                if ("#null" if value in (None, "") else str(value)) not in values:
                    return False
            return True

        ids = [i for i, company in store.companies.items() if keep(company)]
        chosen = keyset_ids(ctx, req.query, ids)
        return json_response([shapes.company_json(store, store.companies[i]) for i in chosen])


# -- maintenance entities (service objects) ----------------------------------------------
def _company_ids(query: dict[str, Any], errors: Errors) -> set[int] | None:
    """The company filter: `company_ids[]=` and `company_id=` (both seen; either works)."""
    wanted: set[int] | None = None
    listed = int_list(query, "company_ids", errors)
    if listed is not None:
        wanted = set(listed)
    if "company_id" in query:
        single = to_int(query["company_id"])
        if single is None:
            errors.add("company_id", MSG_INTEGER)
        else:
            wanted = (wanted or set()) | {single}
    return wanted


def list_maintenance_entities(ctx: Context, req: Request) -> Response:
    errors = Errors()
    companies = _company_ids(req.query, errors)
    errors.raise_if_any()
    store = ctx.store
    with store.lock:

        def keep(entity: MaintenanceEntity) -> bool:
            return companies is None or entity.company_id in companies

        ids = [i for i, entity in store.maintenance_entities.items() if keep(entity)]
        chosen = keyset_ids(ctx, req.query, ids)
        return json_response(
            [shapes.maintenance_entity_json(store.maintenance_entities[i]) for i in chosen]
        )


def get_maintenance_entity(ctx: Context, req: Request, entity_id: int) -> Response:
    with ctx.store.lock:
        entity = ctx.store.maintenance_entities.get(entity_id)
        if entity is None:
            raise ApiError(404, ENTITY_NOT_FOUND)
        return json_response(shapes.maintenance_entity_json(entity))
