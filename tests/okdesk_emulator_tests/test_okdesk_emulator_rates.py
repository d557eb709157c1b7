"""Okdesk emulator fidelity over real HTTP: ratings (§2.2 POST /issues/{id}/rates), completed_at
and refused workflow transitions (§6)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests

from tests.okdesk_emulator import Fault, OkdeskEmulator
from tests.okdesk_emulator_tests._helpers import Api, setup_issue


def completed_issue(emu: OkdeskEmulator) -> int:
    _, _, issue = setup_issue(emu)
    emu.set_status(issue, "completed")
    return issue


def test_both_body_shapes_rate_and_the_issue_shows_it(emu: OkdeskEmulator, api: Api) -> None:
    first, second = completed_issue(emu), completed_issue(emu)
    assert api("GET", f"/issues/{first}").json()["rate"] is None
    flat = api("POST", f"/issues/{first}/rates", json={"rate": "good"})
    assert flat.status_code == 200
    assert flat.json()["rate"]["value"] == "good"
    wrapped = api("POST", f"/issues/{second}/rates", json={"issue": {"rate": "bad"}})
    assert wrapped.status_code == 200
    shown = api("GET", f"/issues/{first}").json()["rate"]
    assert set(shown) == {"id", "value"} and shown["value"] == "good"
    assert isinstance(shown["id"], int)
    assert (emu.issue_rate(first), emu.issue_rate(second)) == ("good", "bad")
    assert [a.shape for a in emu.rate_attempts()] == ["flat", "wrapped"]


def test_bad_values_unknown_issue_and_uncompleted_issue_are_refused(
    emu: OkdeskEmulator, api: Api
) -> None:
    issue = completed_issue(emu)
    for value in ("excellent", 5, "", None):
        answer = api("POST", f"/issues/{issue}/rates", json={"rate": value})
        assert answer.status_code == 422
        assert answer.json() == {"errors": {"rate": ["должен быть одним из: bad, normal, good"]}}
    assert api("POST", "/issues/999/rates", json={"rate": "good"}).status_code == 404
    _, _, opened = setup_issue(emu)
    refused = api("POST", f"/issues/{opened}/rates", json={"rate": "good"})
    assert refused.status_code == 422
    assert "решённой" in refused.json()["errors"]["rate"][0]
    emu.options.rate_requires_completed = False
    assert api("POST", f"/issues/{opened}/rates", json={"rate": "normal"}).status_code == 200
    assert emu.issue_rate(issue) is None
    assert emu.rates_of(issue) == ["excellent", 5, "", None]
    assert [a.status for a in emu.rate_attempts(opened)] == [422, 200]


def test_a_second_rate_is_refused_or_overwrites(emu: OkdeskEmulator, api: Api) -> None:
    issue = completed_issue(emu)
    assert api("POST", f"/issues/{issue}/rates", json={"rate": "good"}).status_code == 200
    again = api("POST", f"/issues/{issue}/rates", json={"rate": "bad"})
    assert (again.status_code, again.json()) == (422, {"errors": {"rate": ["уже выставлена"]}})
    assert emu.issue_rate(issue) == "good"
    emu.options.rate_again = "overwrite"
    assert api("POST", f"/issues/{issue}/rates", json={"rate": "bad"}).status_code == 200
    assert emu.issue_rate(issue) == "bad"
    assert emu.rates_of(issue) == ["good", "bad", "bad"]


@pytest.mark.parametrize("only", ["flat", "wrapped"])
def test_a_server_reading_one_body_shape_refuses_the_other(
    emu: OkdeskEmulator, api: Api, only: str
) -> None:
    issue = completed_issue(emu)
    emu.options.rate_body_shape = only
    flat, wrapped = {"rate": "good"}, {"issue": {"rate": "good"}}
    other, understood = (wrapped, flat) if only == "flat" else (flat, wrapped)
    refused = api("POST", f"/issues/{issue}/rates", json=other)
    assert refused.status_code == 422
    assert "отсутствует" in str(refused.json()["errors"])
    assert emu.issue_rate(issue) is None
    assert api("POST", f"/issues/{issue}/rates", json=understood).status_code == 200
    with pytest.raises(ValueError):
        emu.options.rate_body_shape = "json"


def test_form_encoded_rate_and_the_set_rate_helper(emu: OkdeskEmulator, api: Api) -> None:
    issue = completed_issue(emu)
    assert api("POST", f"/issues/{issue}/rates", data={"issue[rate]": "normal"}).status_code == 200
    assert emu.issue_rate(issue) == "normal"
    other = completed_issue(emu)
    emu.set_rate(other, "good")
    assert api("GET", f"/issues/{other}").json()["rate"]["value"] == "good"
    assert emu.rates_of(other) == []  # the helper is the portal, not a request
    emu.set_rate(other, None)
    assert emu.issue_rate(other) is None


def test_a_rate_applied_whose_answer_is_lost(emu: OkdeskEmulator, api: Api) -> None:
    issue = completed_issue(emu)
    emu.add_fault(Fault(kind="after_effect_timeout", path=r"/rates$", method="POST", delay=0.2))
    with pytest.raises(requests.ConnectionError):  # dropped after the work: no answer
        api("POST", f"/issues/{issue}/rates", json={"rate": "good"})
    assert emu.issue_rate(issue) == "good"  # applied all the same
    repeat = api("POST", f"/issues/{issue}/rates", json={"rate": "good"})
    assert repeat.json() == {"errors": {"rate": ["уже выставлена"]}}


def test_denied_rate_right_is_403(emu: OkdeskEmulator, api: Api) -> None:
    issue = completed_issue(emu)
    emu.options.denied_rights = frozenset({"issues.rate"})
    assert api("POST", f"/issues/{issue}/rates", json={"rate": "good"}).status_code == 403
    assert emu.rate_attempts() == []


def test_completed_at_is_set_on_completion_kept_after_and_movable(
    emu: OkdeskEmulator, api: Api
) -> None:
    _, _, issue = setup_issue(emu)
    assert api("GET", f"/issues/{issue}").json()["completed_at"] is None
    done = {"code": "completed", "comment": "Готово"}  # a comment: every transition needs one by default
    assert api("POST", f"/issues/{issue}/statuses", json=done).status_code == 200
    completed_at = api("GET", f"/issues/{issue}").json()["completed_at"]
    assert completed_at is not None
    emu.set_status(issue, "closed")
    assert api("GET", f"/issues/{issue}").json()["completed_at"] == completed_at
    eight_days_ago = datetime.now(timezone.utc) - timedelta(days=8)
    emu.set_completed_at(issue, eight_days_ago)
    shown = datetime.fromisoformat(api("GET", f"/issues/{issue}").json()["completed_at"])
    assert abs((shown - eight_days_ago).total_seconds()) < 1
    listed = api("GET", "/issues/list").json()
    assert listed[0]["completed_at"] == api("GET", f"/issues/{issue}").json()["completed_at"]
    emu.set_status(issue, "opened")  # reopened: no longer completed
    assert emu.get_issue(issue)["completed_at"] is None


def test_custom_completed_status_counts_for_completed_at_and_rating(
    emu: OkdeskEmulator, api: Api
) -> None:
    _, _, issue = setup_issue(emu)
    emu.statuses.append({"code": "resolved", "name": "Выполнена"})
    emu.final_status_codes.add("resolved")
    emu.set_status(issue, "resolved")
    assert emu.get_issue(issue)["completed_at"] is not None
    assert api("POST", f"/issues/{issue}/rates", json={"rate": "good"}).status_code == 200


def test_forbidden_transitions_are_422(emu: OkdeskEmulator, api: Api) -> None:
    issue = completed_issue(emu)
    emu.options.forbidden_transitions = frozenset({("completed", "opened")})
    refused = api("POST", f"/issues/{issue}/statuses", json={"code": "opened"})
    assert refused.status_code == 422
    assert refused.json() == {
        "errors": {"code": ["Переход из статуса «Решена» в статус «Открыта» запрещён"]}
    }
    assert emu.get_issue(issue)["status"]["code"] == "completed"
    moved = {"code": "in_progress", "comment": "В работе"}
    assert api("POST", f"/issues/{issue}/statuses", json=moved).status_code == 200
