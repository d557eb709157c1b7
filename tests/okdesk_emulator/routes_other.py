"""Handlers for contacts, employees, dictionaries and the file-storage links."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from . import contact_filters, shapes
from .context import Context, Request, Response, error_response, json_response
from .model import CONTACT_FIELDS
from .params import (
    MSG_BLANK,
    MSG_INTEGER,
    MSG_NOT_FOUND,
    ApiError,
    Errors,
    bounded_int,
    int_list,
    is_blank,
    one_of,
    str_list,
    sub_dict,
    text,
    to_int,
)
from .storage import EXPIRED_XML, UNKNOWN_XML

CONTACT_NOT_FOUND = "Контакт не найден"


# -- contacts (which contact a query finds: contact_filters.py) --------------------------
def find_contacts(ctx: Context, req: Request) -> Response:
    query, store = req.query, ctx.store
    with store.lock:
        contacts = [store.contacts[i] for i in sorted(store.contacts)]
        if "search_string" in query:  # overrides the exact parameters; answers an array
            needle = str(query["search_string"]).strip().lower()
            found = [c for c in contacts if needle and contact_filters.matches_search(store, c, needle)]
            return json_response([shapes.contact_json(store, c) for c in found])
        keys = contact_filters.search_keys(ctx.options, query)
        if not keys:
            raise ApiError(422, "Не указан ни один параметр поиска")
        for contact in contacts:  # the lowest id wins
            if all(contact_filters.matches_exact(ctx.options, contact, key, str(query[key])) for key in keys):
                return json_response(shapes.contact_json(store, contact))  # one object
    return not_found_answer(ctx.options.contact_not_found)


def not_found_answer(variant: str, message: str = CONTACT_NOT_FOUND) -> Response:
    if variant == "404":
        return error_response(404, message)
    bodies = {"empty_body": b"", "empty_array": b"[]", "null": b"null", "empty_object": b"{}"}
    return Response(200, bodies[variant])


def _contact_fields(
    ctx: Context, params: dict[str, Any], errors: Errors, creating: bool
) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in CONTACT_FIELDS:
        if name not in params:
            if creating and name in ("first_name", "last_name"):
                errors.add(name, MSG_BLANK)
            continue
        value = params[name]
        if name in ("first_name", "last_name") and is_blank(value):
            errors.add(name, MSG_BLANK)
        elif name == "company_id" and value not in (None, ""):
            company_id = to_int(value)
            if company_id is None:
                errors.add(name, MSG_INTEGER)
            elif company_id not in ctx.store.companies:
                errors.add(name, MSG_NOT_FOUND)
            fields[name] = company_id
        elif name == "company_id":
            fields[name] = None
        else:
            fields[name] = text(value)
    if "custom_parameters" in params:
        fields["parameters"] = dict(sub_dict(params, "custom_parameters", errors))
    levels = str_list(params, "access_level", errors)
    if levels is not None:
        fields["access_level"] = levels
    entities = int_list(params, "maintenance_entity_ids", errors)
    if entities is not None:
        fields["maintenance_entity_ids"] = entities
    return fields


def _check_entities(
    ctx: Context, fields: dict[str, Any], company_id: int | None, errors: Errors
) -> None:
    """Each service object of the contact must belong to the contact's company."""
    for index, _, problem in ctx.store.entity_errors(fields.get("maintenance_entity_ids", []), company_id):
        errors.add(("maintenance_entity_ids", str(index)), problem)


def create_contact(ctx: Context, req: Request) -> Response:
    errors = Errors()
    with ctx.store.lock:
        fields = _contact_fields(ctx, req.params("contact"), errors, creating=True)
        _check_entities(ctx, fields, fields.get("company_id"), errors)
        errors.raise_if_any()
        contact = ctx.store.add_contact(**fields)
        return json_response(shapes.contact_json(ctx.store, contact))


def update_contact(ctx: Context, req: Request, contact_id: int) -> Response:
    errors = Errors()
    with ctx.store.lock:
        contact = ctx.store.contacts.get(contact_id)
        if contact is None:
            raise ApiError(404, CONTACT_NOT_FOUND)
        fields = _contact_fields(ctx, req.params("contact"), errors, creating=False)
        _check_entities(ctx, fields, fields.get("company_id", contact.company_id), errors)
        errors.raise_if_any()
        ctx.store.update_contact(contact, fields)
        return json_response(shapes.contact_json(ctx.store, contact))


# -- keyset lists (§5.5) ----------------------------------------------------------------
def keyset_ids(ctx: Context, query: dict[str, Any], ids: list[int]) -> list[int]:
    errors = Errors()
    page = sub_dict(query, "page", errors)
    size = bounded_int(
        page,
        "size",
        ctx.options.default_keyset_page_size,
        errors,
        minimum=1,
        maximum=ctx.options.max_keyset_page_size,
        error_path=("page", "size"),
    )
    from_id = None
    if "from_id" in page:
        from_id = to_int(page["from_id"])
        if from_id is None:
            errors.add(("page", "from_id"), MSG_INTEGER)
    direction = one_of(
        page, "direction", ("reverse", "forward"), "reverse", errors, ("page", "direction")
    )
    errors.raise_if_any()
    if direction == "forward":  # ids > from_id, smallest first
        chosen = [i for i in sorted(ids) if from_id is None or i > from_id]
    else:  # ids < from_id, largest first (the default)
        chosen = [i for i in sorted(ids, reverse=True) if from_id is None or i < from_id]
    return chosen[:size]


def list_contacts(ctx: Context, req: Request) -> Response:
    with ctx.store.lock:
        ids = keyset_ids(ctx, req.query, list(ctx.store.contacts))
        return json_response([contact_filters.list_item(ctx.store, ctx.store.contacts[i]) for i in ids])


def list_employees(ctx: Context, req: Request) -> Response:
    with ctx.store.lock:
        ids = keyset_ids(ctx, req.query, list(ctx.store.employees))
        return json_response([shapes.employee_json(ctx.store.employees[i]) for i in ids])


# -- dictionaries (§6) ------------------------------------------------------------------
def list_statuses(ctx: Context, req: Request) -> Response:
    with ctx.store.lock:
        return json_response([dict(item) for item in ctx.store.statuses])


def list_priorities(ctx: Context, req: Request) -> Response:
    with ctx.store.lock:
        return json_response([dict(item) for item in ctx.store.priorities])


def list_types(ctx: Context, req: Request) -> Response:
    # A tree per C#-2: entries may have children (none here).
    with ctx.store.lock:
        return json_response([{**item, "children": []} for item in ctx.store.issue_types])


# -- storage links (§4) -----------------------------------------------------------------
def download(ctx: Context, req: Request, token: str, name: str) -> Response:
    """The temporary attachment_url: no api_token, S3-like refusals once expired."""
    state, attachment_id = ctx.files.resolve_link(token, unquote(name))
    request_id = token[:16].upper()
    if state != "ok":
        template = EXPIRED_XML if state == "expired" else UNKNOWN_XML
        status = ctx.options.expired_link_status if state == "expired" else 404
        body = template.format(request_id=request_id).encode()
        return Response(status, body, content_type="application/xml")
    with ctx.store.lock:
        attachment = ctx.store.attachments[attachment_id]
        return Response(
            200,
            content_type=attachment.content_type,
            file=attachment.disk_path,
            file_size=attachment.size,
        )
