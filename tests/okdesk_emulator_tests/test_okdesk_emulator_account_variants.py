"""Okdesk emulator fidelity over real HTTP: a status change that needs a comment (an account setting,
§6) and the shape of a comment's files (undocumented, open question 7)."""

from __future__ import annotations

from tests.okdesk_emulator import OkdeskEmulator
from tests.okdesk_emulator_tests._helpers import Api, setup_issue


def test_every_status_change_needs_a_comment_by_default(emu: OkdeskEmulator, api: Api) -> None:
    _, _, issue = setup_issue(emu)
    assert emu.options.status_comment_required is True
    bare = api("POST", f"/issues/{issue}/statuses", json={"code": "in_progress"})
    assert (bare.status_code, bare.json()) == (422, {"errors": {"comment": ["не может быть пустым"]}})
    blank = api("POST", f"/issues/{issue}/statuses", json={"code": "in_progress", "comment": "  "})
    assert blank.status_code == 422
    # The code is judged first: a wrong code is its own error only.
    assert api("POST", f"/issues/{issue}/statuses", json={"code": "nope"}).json() == {
        "errors": {"code": ["не найден"]}}
    assert emu.get_issue(issue)["status"]["code"] == "opened" and emu.get_comments(issue) == []
    done = api("POST", f"/issues/{issue}/statuses",
               json={"code": "in_progress", "comment": "Клиент возобновил заявку", "comment_public": False})
    assert done.status_code == 200 and done.json()["status"]["code"] == "in_progress"
    (note,) = emu.get_comments(issue)
    assert note["content"] == "Клиент возобновил заявку" and note["public"] is False
    assert note["author"]["id"] == emu.api_employee_id
    # Switched off, only "delayed" needs one (as by default in Okdesk's settings).
    emu.options.status_comment_required = False
    assert api("POST", f"/issues/{issue}/statuses", json={"code": "completed"}).status_code == 200
    delayed = api("POST", f"/issues/{issue}/statuses", json={"code": "delayed", "delay_to": "01-01-2030"})
    assert delayed.json() == {"errors": {"comment": ["не может быть пустым"]}}
    # The web UI (the control API) is not held to it.
    emu.options.status_comment_required = True
    emu.set_status(issue, "opened")
    assert emu.get_issue(issue)["status"]["code"] == "opened"


def test_minimal_comment_attachments_are_bare_ids(emu: OkdeskEmulator, api: Api) -> None:
    employee, _, issue = setup_issue(emu)
    emu.options.comment_attachment_shape = "minimal"
    made = api("POST", f"/issues/{issue}/comments",
               data={"comment[content]": "<p>Файлы</p>", "comment[author_id]": str(employee)},
               files=[("comment[attachments][0][attachment]", ("акт.pdf", b"%PDF")),
                      ("comment[attachments][1][attachment]", ("фото.jpg", b"\xff\xd8"))])
    assert made.status_code == 200, made.text
    ids = [a["id"] for a in made.json()["attachments"]]
    assert made.json()["attachments"] == [{"id": i} for i in ids] and len(ids) == 2
    (listed,) = api("GET", f"/issues/{issue}/comments").json()
    assert listed["attachments"] == [{"id": i} for i in ids]
    # The issue's own list and the single-attachment endpoint keep the documented shape.
    assert [a["attachment_file_name"] for a in api("GET", f"/issues/{issue}").json()["attachments"]] == [
        "акт.pdf", "фото.jpg"]
    one = api("GET", f"/issues/{issue}/attachments/{ids[0]}").json()
    assert (one["attachment_file_name"], one["attachment_file_size"]) == ("акт.pdf", 4)
    emu.options.comment_attachment_shape = "full"
    (listed,) = api("GET", f"/issues/{issue}/comments").json()
    assert [a["attachment_file_name"] for a in listed["attachments"]] == ["акт.pdf", "фото.jpg"]
