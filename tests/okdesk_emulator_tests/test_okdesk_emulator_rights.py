"""Okdesk emulator fidelity over real HTTP: rights the api_token's user lacks (§1.1: 403).

`syncd check` proves write rights by invalid creates: the answer must be 422 with the right
and 403 without it, and in neither case may anything be created.
"""

from __future__ import annotations

import pytest

from tests.okdesk_emulator import OkdeskEmulator
from tests.okdesk_emulator_tests._helpers import Api, setup_issue

FORBIDDEN = {"errors": "Недостаточно прав для выполнения действия"}


def test_a_denied_right_is_403_before_validation_and_nothing_is_created(
    emu: OkdeskEmulator, api: Api
) -> None:
    employee, contact, issue = setup_issue(emu)
    invalid = {
        "issues.create": ("POST", "/issues", {"issue": {"title": ""}}),
        "comments.create": ("POST", f"/issues/{issue}/comments", {"comment": {"content": ""}}),
        "contacts.create": ("POST", "/contacts", {"contact": {"first_name": ""}}),
    }
    # With every right: the invalid creates are validation errors.
    for method, path, body in invalid.values():
        assert api(method, path, json=body).status_code == 422
    emu.options.denied_rights = frozenset(invalid)
    for method, path, body in invalid.values():
        refused = api(method, path, json=body)
        assert (refused.status_code, refused.json()) == (403, FORBIDDEN)
    # Valid bodies are refused the same way: the right is judged before the data.
    valid = api("POST", f"/issues/{issue}/comments",
                json={"comment": {"content": "x", "author_id": employee}})
    assert valid.status_code == 403
    assert api("POST", "/issues", json={"issue": {"title": "t"}}).status_code == 403
    assert emu.issue_ids() == [issue]
    assert emu.get_comments(issue) == []
    assert [c["id"] for c in emu.get_contacts()] == [contact]
    # Reads stay allowed; a wrong token is still 401 first.
    assert api("GET", "/issues/list").status_code == 200
    assert api("POST", "/issues", params={"api_token": "wrong"}, json={}).status_code == 401


def test_read_rights_and_the_switch_itself(emu: OkdeskEmulator, api: Api) -> None:
    _, _, issue = setup_issue(emu)
    emu.options.denied_rights = frozenset({"issues.read", "employees.read"})
    assert api("GET", "/issues/list").status_code == 403
    assert api("GET", f"/issues/{issue}").status_code == 403
    assert api("GET", "/employees/list").status_code == 403
    assert api("GET", f"/issues/{issue}/comments").status_code == 200  # comments.read kept
    assert api("GET", "/issues/statuses").status_code == 200
    emu.options.denied_rights = frozenset()
    assert api("GET", "/issues/list").status_code == 200
    with pytest.raises(ValueError, match="unknown rights"):
        emu.options.denied_rights = frozenset({"issues.delete"})
