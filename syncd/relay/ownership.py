"""Is this issue the client's? Asked of Okdesk at the moment of every action, never remembered.

Staff hand issues to other contacts, change a contact's company and access level, and clients
relink to other contacts: a button or a reply from yesterday proves nothing about today.

An issue is the client's when its contact is the client's linked contact, or when it belongs to
the company of that contact and Okdesk gives the contact company-wide access (``access_level``);
nothing else. Rating stays the contact's own (checked with ``owns``).
"""

from __future__ import annotations

import asyncio

from syncd.logs import get_logger
from syncd.okdesk.errors import OkdeskError, OkdeskNotFound
from syncd.okdesk.models import Contact, Issue, IssueSummary
from syncd.okdesk.port import Okdesk

log = get_logger(__name__)
# Okdesk's access levels that open a company's issues to its contact; closing them implies seeing them.
COMPANY_WIDE = frozenset({"company_issues", "allow_close_company_issues"})


def owns(issue: Issue, okdesk_contact_id: int) -> bool:
    return issue.contact_id is not None and issue.contact_id == okdesk_contact_id


def company_wide(contact: Contact) -> bool:
    """The contact sees every issue of its company in Okdesk's client portal."""
    return contact.company_id is not None and bool(COMPANY_WIDE.intersection(contact.access_level))


def colleague_of(issue: IssueSummary, contact: Contact) -> bool:
    return issue.company_id is not None and issue.company_id == contact.company_id and company_wide(contact)


async def owned_issue(okdesk: Okdesk, issue_id: int, okdesk_contact_id: int) -> Issue | None:
    """The issue if it exists and is the client's now (their own, or their company's with company-wide
    access), else None.

    Other Okdesk errors propagate: "Okdesk is down" is not "not yours".
    """
    try:
        issue = await asyncio.to_thread(okdesk.get_issue, issue_id)
    except OkdeskNotFound:
        return None
    # A merged issue comes back under another id: that one is judged, and named, instead.
    if owns(issue, okdesk_contact_id):
        return issue
    if issue.company_id is None:
        return None
    # Someone else's issue of a company: the contact's company and access level as Okdesk has them now.
    try:
        contact = await asyncio.to_thread(okdesk.get_contact, okdesk_contact_id)
    except OkdeskNotFound:
        return None
    return issue if colleague_of(issue, contact) else None


def visible_issues(okdesk: Okdesk, okdesk_contact_id: int, company_id: int | None,
                   max_pages: int | None) -> list[IssueSummary]:
    """My issues: the contact's own, and for a company's client with company-wide access its company's
    too (Okdesk is asked for the contact's access level each time); the caller orders them."""
    issues = [i for i in okdesk.list_issues(contact_ids=[okdesk_contact_id], max_pages=max_pages)
              if i.contact_id == okdesk_contact_id]
    if company_id is None:  # linked as a private person: one request, as before companies
        return issues
    try:
        contact = okdesk.get_contact(okdesk_contact_id)
        if not company_wide(contact) or contact.company_id is None:
            return issues
        company = okdesk.list_issues(company_ids=[contact.company_id], max_pages=max_pages)
    except OkdeskError as exc:  # the client's own issues are there: shown rather than nothing
        log.warning("company_issues_unavailable", contact_id=okdesk_contact_id, error=str(exc))
        return issues
    seen = {i.id for i in issues}
    return issues + [i for i in company if i.company_id == contact.company_id and i.id not in seen]
