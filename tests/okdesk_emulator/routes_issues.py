"""Handlers for /api/v1/issues/... (okdesk-api.md §2, §3, §4, §6)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import shapes
from .context import Context, Request, Response, json_response
from .filters import COUNT_VOCABULARY, LIST_VOCABULARY, count_only_filters, issue_filters
from .model import DEFAULT_PRIORITY_CODE, DEFAULT_TYPE_CODE, Issue, Store
from .params import (
    MSG_BLANK,
    MSG_BOOLEAN,
    MSG_DATE,
    MSG_INTEGER,
    MSG_MISSING,
    MSG_NOT_FOUND,
    ApiError,
    Errors,
    bounded_int,
    is_blank,
    one_of,
    sub_dict,
    text,
    to_bool,
    to_int,
)
from .sanitize import rewrite_html
from .timefmt import parse_any_datetime
from .uploads import adopt_uploads, parse_uploads

ISSUE_NOT_FOUND = "Заявка не найдена"
FILE_NOT_FOUND = "Файл не найден"
# A refusal of "author" as Okdesk may word it: naming no field (the default), or naming the author.
ACCESS_DENIED = "Доступ запрещен"
AUTHOR_FORBIDDEN = "Недостаточно прав для указания автора заявки"
AUTHOR_NOT_FOR_ROLE = "недоступен для вашей роли"
ROLE_NOT_ALLOWED = "Недостаточно прав для выполнения действия"


def find_issue(store: Store, issue_id: int) -> Issue:
    issue = store.issues.get(issue_id)
    if issue is None:
        raise ApiError(404, ISSUE_NOT_FOUND)
    return issue


def list_issues(ctx: Context, req: Request) -> Response:
    store, options, query = ctx.store, ctx.options, req.query
    errors = Errors()
    predicates = issue_filters(store, query, errors, LIST_VOCABULARY, options.updated_since_filter)
    page = sub_dict(query, "page", errors)
    size = bounded_int(
        page,
        "size",
        options.default_page_size,
        errors,
        minimum=1,
        maximum=options.max_page_size,
        error_path=("page", "size"),
    )
    number = bounded_int(page, "number", 1, errors, minimum=1, error_path=("page", "number"))
    sorting = sub_dict(query, "sorting", errors)
    # Default order (undocumented): newest created first, the order of the web UI.
    # It is the least convenient for a careless pager: new issues shift the pages.
    field = one_of(
        sorting, "field", ("created_at", "updated_at"), "created_at", errors, ("sorting", "field")
    )
    direction = one_of(
        sorting, "direction", ("reverse", "forward"), "reverse", errors, ("sorting", "direction")
    )
    errors.raise_if_any()
    with store.lock:
        found = [issue for issue in store.issues.values() if all(p(issue) for p in predicates)]
        found.sort(
            key=lambda issue: (getattr(issue, field), issue.id), reverse=direction == "reverse"
        )
        chosen = found[(number - 1) * size : number * size]
        return json_response([shapes.issue_list_item(store, issue) for issue in chosen])


def count_issues(ctx: Context, req: Request) -> Response:
    """GET /issues/count: all matching ids, unpaged (§2.5)."""
    store, query = ctx.store, req.query
    errors = Errors()
    predicates = issue_filters(store, query, errors, COUNT_VOCABULARY)
    predicates += count_only_filters(store, query, errors)
    errors.raise_if_any()
    with store.lock:
        ids = sorted(i.id for i in store.issues.values() if all(p(i) for p in predicates))
    return json_response(ids)


def get_issue(ctx: Context, req: Request, issue_id: int) -> Response:
    with ctx.store.lock:
        return json_response(shapes.issue_json(ctx.store, find_issue(ctx.store, issue_id)))


# -- creation helpers -------------------------------------------------------------------
def _ref(params: dict[str, Any], name: str, table: dict[int, Any], errors: Errors) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    number = to_int(raw)
    if number is None:
        errors.add(name, MSG_INTEGER)
    elif number not in table:
        errors.add(name, MSG_NOT_FOUND)
    else:
        return number
    return None


def _html(ctx: Context, content: str) -> str:
    """HTML written through the API, as Okdesk stores it (Options.rewrite_comment_html)."""
    return rewrite_html(content) if ctx.options.rewrite_comment_html else content


def _code(
    params: dict[str, Any],
    name: str,
    default: str,
    lookup: Callable[[str], dict[str, Any] | None],
    errors: Errors,
) -> str:
    value = params.get(name)
    if is_blank(value):
        return default  # empty -> account default (§2.1)
    if lookup(str(value)) is None:
        errors.add(name, MSG_NOT_FOUND)
    return str(value)


def _author(ctx: Context, params: dict[str, Any], errors: Errors) -> tuple[str, int]:
    own = ("employee", ctx.api_employee_id)  # the key's own user
    raw = params.get("author")
    if raw is None:
        return own
    if not isinstance(raw, dict):
        errors.add("author", "должно иметь тип hash")
        return own
    kind = raw.get("type", "employee")
    author_id = to_int(raw.get("id"))
    if kind not in ("employee", "contact"):
        errors.add(("author", "type"), "должен быть одним из: employee, contact")
    elif author_id is None:
        errors.add(("author", "id"), MSG_INTEGER if "id" in raw else MSG_MISSING)
    elif ctx.store.person((kind, author_id)) is None:
        errors.add(("author", "id"), MSG_NOT_FOUND)
    elif ctx.options.api_key_role != "administrator":
        # §2.1: "author" is only for keys of an Administrator role.
        refusal = ctx.options.issue_author_refusal
        # The judged-first refusals come before the other fields are looked at.
        if refusal == "403":
            raise ApiError(403, ACCESS_DENIED)
        if refusal == "403_author":
            raise ApiError(403, AUTHOR_FORBIDDEN)
        if refusal == "422_unnamed":
            raise ApiError(422, {"base": [ROLE_NOT_ALLOWED]})
        if refusal == "422":
            errors.add("author", AUTHOR_NOT_FOR_ROLE)
        if refusal in ("422", "ignore"):
            return own
    return (kind, author_id or 0)


def _entity(
    store: Store,
    params: dict[str, Any],
    company_id: int | None,
    contact_id: int | None,
    errors: Errors,
) -> int | None:
    """maintenance_entity_id must be a service object of the issue's company.

    The company is the one sent, else the contact's; with neither, the entity's own.
    """
    entity_id = _ref(params, "maintenance_entity_id", store.maintenance_entities, errors)
    if entity_id is None:
        return None
    if company_id is None and contact_id is not None:
        company_id = store.contacts[contact_id].company_id
    if company_id is None and is_blank(params.get("company_id")):
        return entity_id  # Okdesk fills the company from the service object
    problem = store.entity_error(entity_id, company_id)
    if problem:
        errors.add("maintenance_entity_id", problem)
    return entity_id


def create_issue(ctx: Context, req: Request) -> Response:
    store = ctx.store
    params = req.params("issue")
    errors = Errors()
    with store.lock:  # references must not vanish between validation and insert
        title = params.get("title")
        if is_blank(title):
            errors.add("title", MSG_BLANK)
        type_code = _code(params, "type", DEFAULT_TYPE_CODE, store.type_def, errors)
        priority = _code(params, "priority", DEFAULT_PRIORITY_CODE, store.priority_def, errors)
        contact_id = _ref(params, "contact_id", store.contacts, errors)
        company_id = _ref(params, "company_id", store.companies, errors)
        assignee_id = _ref(params, "assignee_id", store.employees, errors)
        entity_id = _entity(store, params, company_id, contact_id, errors)
        author = _author(ctx, params, errors)
        deadline_at = None
        if not is_blank(params.get("deadline_at")):
            deadline_at = parse_any_datetime(str(params["deadline_at"]), store.tz)
            if deadline_at is None:
                errors.add("deadline_at", MSG_DATE)
        custom = sub_dict(params, "custom_parameters", errors)
        uploads = parse_uploads(params, errors, ctx.options)
        errors.raise_if_any()
        issue = store.add_issue(
            title=str(title),
            author=author,
            description=_html(ctx, text(params.get("description")) or ""),
            type_code=type_code,
            priority_code=priority,
            contact_id=contact_id,
            company_id=company_id,
            assignee_id=assignee_id,
            maintenance_entity_id=entity_id,
            deadline_at=deadline_at,
            parameters=custom,
            files=adopt_uploads(ctx, uploads),
        )
        return json_response(shapes.issue_json(store, issue))


def list_comments(ctx: Context, req: Request, issue_id: int) -> Response:
    store = ctx.store
    with store.lock:
        issue = find_issue(store, issue_id)
        items = [shapes.comment_json(store, store.comments[i]) for i in issue.comment_ids]
    if ctx.options.shuffle_comments:
        ctx.rng.shuffle(items)
    return json_response(items)


def create_comment(ctx: Context, req: Request, issue_id: int) -> Response:
    store = ctx.store
    params = req.params("comment")
    errors = Errors()
    with store.lock:
        issue = find_issue(store, issue_id)
        content = params.get("content")
        if is_blank(content):
            errors.add("content", MSG_BLANK)
        author_type = params.get("author_type") or "employee"
        if author_type not in ("employee", "contact"):
            errors.add("author_type", "должен быть одним из: employee, contact")
        author_id = to_int(params.get("author_id"))
        if is_blank(params.get("author_id")):
            errors.add("author_id", MSG_MISSING)
        elif author_id is None:
            errors.add("author_id", MSG_INTEGER)
        elif (
            author_type in ("employee", "contact")
            and store.person((author_type, author_id)) is None
        ):
            errors.add("author_id", MSG_NOT_FOUND)
        public = to_bool(params.get("public", False))  # omitted -> internal note
        if public is None:
            errors.add("public", MSG_BOOLEAN)
        uploads = parse_uploads(params, errors, ctx.options)
        errors.raise_if_any()
        comment = store.add_comment(
            issue,
            _html(ctx, str(content)),
            bool(public),
            (author_type, author_id or 0),
            adopt_uploads(ctx, uploads),
        )
        return json_response(shapes.comment_json(store, comment))


def get_attachment(ctx: Context, req: Request, issue_id: int, attachment_id: int) -> Response:
    store = ctx.store
    with store.lock:
        attachment = store.issue_file(find_issue(store, issue_id), attachment_id)
        if attachment is None:
            raise ApiError(404, FILE_NOT_FOUND)
        payload = shapes.attachment_json(attachment)
    payload["attachment_url"] = ctx.files.issue_link(
        ctx.base_url, attachment.id, attachment.file_name, ctx.options.attachment_url_ttl
    )
    return json_response(payload)


def _transition_refused(store: Store, old: str, new: str) -> str:
    def name(code: str) -> str:
        return str((store.status_def(code) or {}).get("name", code))

    return f"Переход из статуса «{name(old)}» в статус «{name(new)}» запрещён"


def change_status(ctx: Context, req: Request, issue_id: int) -> Response:
    store = ctx.store
    params = req.params("status")
    errors = Errors()
    with store.lock:
        issue = find_issue(store, issue_id)
        code = params.get("code")
        if is_blank(code):
            errors.add("code", MSG_MISSING)
        elif store.status_def(str(code)) is None:
            errors.add("code", MSG_NOT_FOUND)
        elif code == issue.status:
            errors.add("code", "Заявка уже находится в этом статусе")
        elif (issue.status, code) in ctx.options.forbidden_transitions:
            errors.add("code", _transition_refused(store, issue.status, str(code)))
        comment = text(params.get("comment"))
        # An account may make a comment mandatory for a status (§6); judged once the code is valid.
        required = ctx.options.status_comment_required and code != "delayed"  # delayed: below
        if required and not errors.tree and is_blank(comment):
            errors.add("comment", MSG_BLANK)
        public = to_bool(params.get("comment_public", False))
        if public is None:
            errors.add("comment_public", MSG_BOOLEAN)
        delayed_to = None
        if code == "delayed":
            # "delayed" needs the date and, by default account settings, a comment.
            raw = params.get("delay_to")
            if is_blank(raw):
                errors.add("delay_to", MSG_MISSING)
            else:
                delayed_to = parse_any_datetime(str(raw), store.tz)
                if delayed_to is None:
                    errors.add("delay_to", MSG_DATE)
            if is_blank(comment):
                errors.add("comment", MSG_BLANK)
        errors.raise_if_any()
        store.change_status(
            issue,
            str(code),
            ("employee", ctx.api_employee_id),
            comment=None if is_blank(comment) else _html(ctx, str(comment)),
            comment_public=bool(public),
            delayed_to=delayed_to,
        )
        return json_response(shapes.issue_json(store, issue))
