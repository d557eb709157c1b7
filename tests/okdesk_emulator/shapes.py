"""JSON shapes of Okdesk objects (okdesk-api.md §2.3, §2.4, §3.1, §4, §5.2).

Callers hold the store lock; these functions only read records.
"""

from __future__ import annotations

from typing import Any

from .model import Attachment, Comment, Contact, Employee, Issue, Store
from .orgs import Company, MaintenanceEntity
from .timefmt import duration_ru, iso


def full_name(last: str | None, first: str | None, patronymic: str | None) -> str:
    return " ".join(part for part in (last, first, patronymic) if part)


def employee_name(employee: Employee) -> str:
    # Doc examples: "Иванов Сергей Петрович" = last, first, patronymic.
    return full_name(employee.last_name, employee.first_name, employee.patronymic)


def contact_name(store: Store, contact: Contact) -> str:
    if store.options.contact_name_order == "first_last":
        return " ".join(p for p in (contact.first_name, contact.patronymic, contact.last_name) if p)
    return full_name(contact.last_name, contact.first_name, contact.patronymic)


def person_name(store: Store, kind: str, person_id: int) -> str | None:
    person = store.person((kind, person_id))
    if isinstance(person, Employee):
        return employee_name(person)
    if isinstance(person, Contact):
        return contact_name(store, person)
    return None


def _id_name(store: Store, kind: str, person_id: int | None) -> dict[str, Any] | None:
    if person_id is None:
        return None
    return {"id": person_id, "name": person_name(store, kind, person_id)}


def _company_ref(store: Store, company_id: int | None) -> dict[str, Any] | None:
    if company_id is None:
        return None
    company = store.companies.get(company_id)
    return {"id": company_id, "name": company.name if company else None}


def rate_json(issue: Issue) -> dict[str, Any] | None:
    return None if issue.rate is None else {"id": issue.rate[0], "value": issue.rate[1]}


def _code_name(definition: dict[str, Any] | None, code: str) -> dict[str, Any]:
    return {"code": code, "name": definition.get("name") if definition else code}


def attachment_json(attachment: Attachment, with_size: bool = True) -> dict[str, Any]:
    shape = {
        "id": attachment.id,
        "attachment_file_name": attachment.file_name,
        "description": attachment.description,
        "attachment_file_size": attachment.size,
        "is_public": attachment.is_public,
        "created_at": iso(attachment.created_at),
    }
    if not with_size:
        del shape["attachment_file_size"]
    return shape


def _comment_attachment(store: Store, attachment: Attachment) -> dict[str, Any]:
    """A comment's file: its shape is undocumented (open question 7), so it follows the options."""
    if store.options.comment_attachment_shape == "minimal":
        return {"id": attachment.id}
    return attachment_json(attachment, store.options.comment_attachment_sizes)


def comment_json(store: Store, comment: Comment) -> dict[str, Any]:
    kind, author_id = comment.author
    shape: dict[str, Any] = {
        "id": comment.id,
        "content": comment.content,
        "public": comment.public,
        "published_at": iso(comment.published_at),
        "author": {"id": author_id, "name": person_name(store, kind, author_id), "type": kind},
        "attachments": [_comment_attachment(store, store.attachments[i]) for i in comment.attachment_ids],
    }
    if comment.public is None:
        del shape["public"]
    return shape


def comments_summary(store: Store, issue: Issue) -> dict[str, Any]:
    times = [store.comments[i].published_at for i in issue.comment_ids]
    return {"count": len(times), "last_at": iso(max(times)) if times else None}


def _parameters(issue: Issue) -> list[dict[str, Any]]:
    # Custom attributes have no schema in the emulator: code doubles as name.
    return [
        {"code": code, "name": code, "field_type": "ftstring", "value": value}
        for code, value in issue.parameters.items()
    ]


def _status_times(store: Store, issue: Issue) -> dict[str, Any]:
    totals: dict[str, float] = {}
    history = issue.status_history
    ends = [moment for _, moment in history[1:]] + [store.now()]
    for (code, started), ended in zip(history, ends, strict=True):
        totals[code] = totals.get(code, 0.0) + (ended - started).total_seconds()
    return {
        code: {"total": duration_ru(seconds), "on_schedule_total": duration_ru(seconds)}
        for code, seconds in totals.items()
    }


def _type_json(store: Store, code: str) -> dict[str, Any]:
    definition = store.type_def(code) or {"id": None, "name": code, "available_for_client": True}
    return {
        "id": definition.get("id"),
        "code": code,
        "name": definition.get("name"),
        "available_for_client": definition.get("available_for_client", True),
    }


def _status_json(store: Store, code: str | None) -> dict[str, Any] | None:
    return None if code is None else _code_name(store.status_def(code), code)


def issue_json(store: Store, issue: Issue) -> dict[str, Any]:
    """GET /issues/{id}: the full §2.3 object."""
    attachment_ids = list(issue.attachment_ids)
    if store.options.comment_files_in_issue_attachments:
        for comment_id in issue.comment_ids:
            attachment_ids.extend(store.comments[comment_id].attachment_ids)
    author_kind, author_id = issue.author
    return {
        "id": issue.id,
        "title": issue.title,
        "description": issue.description,
        "created_at": iso(issue.created_at),
        "completed_at": iso(issue.completed_at),
        "deadline_at": iso(issue.deadline_at),
        "source": issue.source,
        "spent_time_total": 0,
        "start_execution_until": None,
        "planned_execution_in_hours": None,
        "planned_reaction_at": None,
        "reacted_at": None,
        "updated_at": iso(issue.updated_at),
        "delayed_to": iso(issue.delayed_to),
        # Only the ids, as okdesk-api.md §2.3 documents one issue (the {id, name} refs are list items').
        "company_id": issue.company_id,
        "group_id": None,
        "coexecutors": [],
        # The service object under its documented name (create takes maintenance_entity_id).
        "service_object_id": issue.maintenance_entity_id,
        "equipment_ids": [],
        "attachments": [attachment_json(store.attachments[i]) for i in sorted(attachment_ids)],
        "status_times": _status_times(store, issue),
        "parameters": _parameters(issue),
        "comments": comments_summary(store, issue),
        "parent_id": None,
        "child_ids": [],
        "type": _type_json(store, issue.type_code),
        "priority": _code_name(store.priority_def(issue.priority_code), issue.priority_code),
        "status": _status_json(store, issue.status),
        "old_status": _status_json(store, issue.old_status),
        "rate": rate_json(issue),
        "address": None,
        "observers": [],
        "observer_groups": [],
        "contact": _id_name(store, "contact", issue.contact_id),
        "agreement": None,
        "assignee": _id_name(store, "employee", issue.assignee_id),
        "author": {"id": author_id, "name": person_name(store, author_kind, author_id)},
    }


def issue_list_item(store: Store, issue: Issue) -> dict[str, Any]:
    """GET /issues/list element: the §2.4 shape, no description and no attachments."""
    item = {
        "id": issue.id,
        "title": issue.title,
        "created_at": iso(issue.created_at),
        "updated_at": iso(issue.updated_at),
        "deadline_at": iso(issue.deadline_at),
        "completed_at": iso(issue.completed_at),
        "company": _company_ref(store, issue.company_id),
        "contact": _id_name(store, "contact", issue.contact_id),
        "assignee": _id_name(store, "employee", issue.assignee_id),
        "status": _status_json(store, issue.status),
        "type": _type_json(store, issue.type_code),
        "priority": _code_name(store.priority_def(issue.priority_code), issue.priority_code),
        "parameters": _parameters(issue),
    }
    if store.options.list_items_include_comments:
        item["comments"] = comments_summary(store, issue)
    return item


def contact_json(store: Store, contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.id,
        "name": contact_name(store, contact),
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "patronymic": contact.patronymic,
        "position": contact.position,
        "email": contact.email,
        "phone": contact.phone,
        "mobile_phone": contact.mobile_phone,
        "comment": contact.comment,
        "cc_email": None,
        "login": contact.login,
        "crm_1c_id": contact.crm_1c_id,
        "updated_at": iso(contact.updated_at),
        "company_id": contact.company_id,
        "additional_emails": [],
        "access_level": list(contact.access_level),
        "maintenance_entity_ids": list(contact.maintenance_entity_ids),
        "authentication_code": None,
        "observers": [],
        "default_assignee": None,
        "parameters": [
            {"code": code, "name": code, "field_type": "ftstring", "value": value}
            for code, value in contact.parameters.items()
        ],
        "observable_companies": [],
    }


def employee_json(employee: Employee) -> dict[str, Any]:
    # No "name" here: /employees/list items carry the name parts only.
    return {
        "id": employee.id,
        "first_name": employee.first_name,
        "last_name": employee.last_name,
        "patronymic": employee.patronymic,
        "position": employee.position,
        "active": employee.active,
        "email": employee.email,
        "login": employee.login,
        "phone": employee.phone,
        "comment": None,
        "groups": [],
        "roles": [],
    }


def company_json(store: Store, company: Company) -> dict[str, Any]:
    """The §5.4 company object; "contacts" lists its contact persons as {id, name}."""
    contacts = [c for c in store.contacts.values() if c.company_id == company.id]
    return {
        "id": company.id,
        "name": company.name,
        "additional_name": company.additional_name,
        "site": company.site,
        "email": company.email,
        "phone": company.phone,
        "crm_1c_id": company.crm_1c_id,
        "active": company.active,
        "address": company.address,
        "coordinates": None,
        "comment": company.comment,
        "observers": [],
        "contacts": [
            {"id": c.id, "name": contact_name(store, c)}
            for c in sorted(contacts, key=lambda c: c.id)
        ],
        "default_assignee": None,
        "category": None,
        "parameters": [dict(p) for p in company.parameters],
        "attachments": [],
    }


def maintenance_entity_json(entity: MaintenanceEntity) -> dict[str, Any]:
    return {
        "id": entity.id,
        "name": entity.name,
        "address": entity.address,
        "coordinates": None,
        "company_id": entity.company_id,
        "active": entity.active,
        "comment": entity.comment,
        "timezone": None,
        "default_assignee": None,
        "parameters": [],
    }
