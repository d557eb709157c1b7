"""Whose issue is it: the contact's own, or their company's with company-wide access, nothing else."""

from __future__ import annotations

import pytest

from syncd.okdesk.models import Contact, Issue
from syncd.relay.ownership import colleague_of, company_wide, owns


def issue(contact_id: int | None, company_id: int | None) -> Issue:
    return Issue(id=1, title="t", status_code="opened", status_name=None, contact_id=contact_id,
                 company_id=company_id, created_at=None, updated_at=None, comments_count=None,
                 comments_last_at=None)


def contact(company_id: int | None, *levels: str) -> Contact:
    return Contact(id=7, name="n", first_name=None, last_name=None, patronymic=None, phone=None,
                   mobile_phone=None, company_id=company_id, email=None, access_level=levels)


@pytest.mark.parametrize(("levels", "wide"), [
    ((), False), (("company_issues",), True), (("allow_close_company_issues",), True),
    (("maintenance_entity_issues",), False), (("COMPANY_ISSUES",), False)])
def test_company_wide_access_levels(levels: tuple[str, ...], wide: bool) -> None:
    assert company_wide(contact(5, *levels)) is wide
    assert not company_wide(contact(None, *levels))  # no company: nothing company-wide


def test_colleague_issue_needs_the_same_company_and_the_access() -> None:
    chief = contact(5, "company_issues")
    assert colleague_of(issue(8, 5), chief)
    assert not colleague_of(issue(8, 6), chief)
    assert not colleague_of(issue(8, None), chief)
    assert not colleague_of(issue(8, 5), contact(5))
    # Owning stays strict: what rating checks.
    assert owns(issue(7, None), 7) and not owns(issue(8, 5), 7) and not owns(issue(None, 5), 7)
