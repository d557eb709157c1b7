"""Is this issue the client's? Asked of Okdesk at the moment of every action, never remembered.

Staff hand issues to other contacts and clients relink to other contacts: a button or a reply
from yesterday proves nothing about today.
"""

from __future__ import annotations

import asyncio

from syncd.okdesk.client import OkdeskClient
from syncd.okdesk.errors import OkdeskNotFound
from syncd.okdesk.models import Issue


def owns(issue: Issue, okdesk_contact_id: int) -> bool:
    return issue.contact_id is not None and issue.contact_id == okdesk_contact_id


async def owned_issue(okdesk: OkdeskClient, issue_id: int, okdesk_contact_id: int) -> Issue | None:
    """The issue if it exists and its contact is the client's linked contact now, else None.

    Other Okdesk errors propagate: "Okdesk is down" is not "not yours".
    """
    try:
        issue = await asyncio.to_thread(okdesk.get_issue, issue_id)
    except OkdeskNotFound:
        return None
    # A merged issue comes back under another id: that one is judged, and named, instead.
    return issue if owns(issue, okdesk_contact_id) else None
