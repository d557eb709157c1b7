"""Okdesk emulator fidelity over real HTTP: the api_token's role and issue `author`
(§2.1), and the sanitizer's rewrite of HTML written through the API."""

from __future__ import annotations

import pytest

from tests.okdesk_emulator import OkdeskEmulator, Options
from tests.okdesk_emulator_tests._helpers import Api, setup_issue

FORBIDDEN = {"errors": "Доступ запрещен"}  # the default refusal names no field


def _as_contact(contact: int, **extra: object) -> dict:
    """An issue body written on behalf of the contact (the INSI pattern of §2.1)."""
    author = {"id": contact, "type": "contact"}
    return {"issue": {"title": "От клиента", "contact_id": contact, "author": author, **extra}}


def test_author_refused_for_employee_key_by_default(emu: OkdeskEmulator, api: Api) -> None:
    _, contact, issue = setup_issue(emu)
    assert (emu.options.api_key_role, emu.options.issue_author_refusal) == ("employee", "403")
    refused = api("POST", "/issues", json=_as_contact(contact))
    assert (refused.status_code, refused.json()) == (403, FORBIDDEN)
    # The permission check wins over the other fields' validation.
    assert api("POST", "/issues", json=_as_contact(contact, title="")).status_code == 403
    multipart = api(
        "POST",
        "/issues",
        data={
            "issue[title]": "С файлом",
            "issue[author][id]": str(contact),
            "issue[author][type]": "contact",
        },
        files={"issue[attachments][0][attachment]": ("a.txt", b"data")},
    )
    assert (multipart.status_code, multipart.json()) == (403, FORBIDDEN)
    assert emu.issue_ids() == [issue]  # nothing created (and no stray upload: fixture)
    # Malformed authors are still judged as before: 422 with the field's errors.
    ghost = api("POST", "/issues", json={"issue": {"title": "t", "author": {"id": 999}}})
    assert ghost.status_code == 422
    assert ghost.json() == {"errors": {"author": {"id": ["не найден"]}}}
    odd = api("POST", "/issues", json={"issue": {"title": "t", "author": "me"}})
    assert odd.json() == {"errors": {"author": ["должно иметь тип hash"]}}
    plain = api("POST", "/issues", json={"issue": {"title": "Без автора", "contact_id": contact}})
    assert plain.status_code == 200
    assert plain.json()["author"]["id"] == emu.api_employee_id
    assert plain.json()["source"] == "from_employee"


def test_author_refusal_variants(emu: OkdeskEmulator, api: Api) -> None:
    _, contact, issue = setup_issue(emu)
    emu.options.issue_author_refusal = "422"
    rejected = api("POST", "/issues", json=_as_contact(contact))
    assert rejected.status_code == 422
    assert rejected.json() == {"errors": {"author": ["недоступен для вашей роли"]}}
    both = api("POST", "/issues", json=_as_contact(contact, title=""))
    assert both.json() == {
        "errors": {"title": ["не может быть пустым"], "author": ["недоступен для вашей роли"]}
    }
    assert emu.issue_ids() == [issue]

    emu.options.issue_author_refusal = "422_unnamed"
    unnamed = api("POST", "/issues", json=_as_contact(contact, title=""))  # judged before the title
    assert unnamed.status_code == 422
    assert unnamed.json() == {"errors": {"base": ["Недостаточно прав для выполнения действия"]}}
    emu.options.issue_author_refusal = "403_author"
    named = api("POST", "/issues", json=_as_contact(contact, title=""))
    assert (named.status_code, named.json()) == (
        403, {"errors": "Недостаточно прав для указания автора заявки"})
    assert emu.issue_ids() == [issue]

    emu.options.issue_author_refusal = "ignore"
    ignored = api("POST", "/issues", json=_as_contact(contact))
    assert ignored.status_code == 200
    view = emu.get_issue(ignored.json()["id"])
    assert view["author"] == {"id": emu.api_employee_id, "name": "Интеграция API"}
    assert view["source"] == "from_employee" and view["contact"]["id"] == contact

    emu.options.issue_author_refusal = "accept"
    accepted = api("POST", "/issues", json=_as_contact(contact)).json()
    assert accepted["author"]["id"] == contact and accepted["source"] == "from_contact"

    emu.options.issue_author_refusal = "403"
    emu.options.api_key_role = "administrator"
    honoured = api("POST", "/issues", json=_as_contact(contact)).json()
    assert honoured["author"]["id"] == contact and honoured["source"] == "from_contact"
    assert len(emu.issue_ids()) == 4


def test_option_values_are_checked() -> None:
    options = Options()
    with pytest.raises(ValueError):
        options.api_key_role = "admin"
    with pytest.raises(ValueError):
        options.issue_author_refusal = "401"
    with pytest.raises(ValueError):
        Options(issue_author_refusal="reject")
    with pytest.raises(ValueError):
        options.forbidden_attachment_extensions = "exe"  # a bare string is a typo
    options.forbidden_attachment_extensions = (".EXE", "Bat")
    assert options.forbidden_attachment_extensions == ("exe", "bat")


SENT = 'Строка 1<br>Строка  2   "цитата" it&#39;s don\'t'
STORED = "<p>Строка 1<br />Строка 2 &quot;цитата&quot; it&#39;s don't</p>"


def test_html_echoed_verbatim_by_default(emu: OkdeskEmulator, api: Api) -> None:
    employee, _, issue = setup_issue(emu)
    made = api("POST", f"/issues/{issue}/comments", json={"content": SENT, "author_id": employee})
    assert made.json()["content"] == SENT
    assert [c["content"] for c in emu.get_comments(issue)] == [SENT]


def test_rewrite_comment_html(emu: OkdeskEmulator, api: Api) -> None:
    employee, contact, issue = setup_issue(emu)
    emu.options.rewrite_comment_html = True
    made = api("POST", f"/issues/{issue}/comments", json={"content": SENT, "author_id": employee})
    assert made.json()["content"] == STORED
    listed = api("GET", f"/issues/{issue}/comments").json()
    assert [c["content"] for c in listed] == [STORED]
    # Already a block: not wrapped again; attribute quotes are not text; idempotent.
    block = '<p class="x">a<BR/>b  c</p>'
    again = api("POST", f"/issues/{issue}/comments", json={"content": block, "author_id": employee})
    assert again.json()["content"] == '<p class="x">a<br />b c</p>'
    created = api(
        "POST",
        "/issues",
        json={"issue": {"title": "t", "description": SENT, "contact_id": contact}},
    ).json()
    assert emu.get_issue(created["id"])["description"] == STORED
    changed = api("POST", f"/issues/{issue}/statuses", json={"code": "completed", "comment": "ok"})
    assert changed.status_code == 200
    assert emu.get_comments(issue)[-1]["content"] == "<p>ok</p>"
    # Staff writing in the web UI (the control API) is stored as given.
    emu.add_comment(issue, "raw  text")
    assert emu.get_comments(issue)[-1]["content"] == "raw  text"
