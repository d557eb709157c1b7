"""OkdeskClient.rate_issue against the emulator: both body shapes, the shape remembered, refusals
that are final, and a POST never repeated when its outcome is unknown."""

from __future__ import annotations

import pytest

from syncd.okdesk import OkdeskOutcomeUnknown, OkdeskUnavailable, OkdeskValidationError
from syncd.okdesk.ratings import says_already_rated
from tests.okdesk_emulator import Fault
from tests.unit.okdesk._helpers import make_client


def _completed_issue(emu) -> int:
    contact = emu.add_contact("Иван", "Петров")
    issue_id = emu.add_issue("Принтер", contact_id=contact)
    emu.set_status(issue_id, "completed")
    return issue_id


@pytest.mark.parametrize(("server", "sent"), [("any", ["flat"]), ("flat", ["flat"]),
                                              ("wrapped", ["flat", "wrapped"])])
def test_either_body_shape_is_accepted(emu, client, server: str, sent: list[str]) -> None:
    emu.options.rate_body_shape = server
    issue_id = _completed_issue(emu)
    client.rate_issue(issue_id, "good")
    assert emu.issue_rate(issue_id) == "good"
    assert [a.shape for a in emu.rate_attempts(issue_id)] == sent
    assert client.get_issue(issue_id).rate == "good"


def test_the_shape_that_worked_is_used_first_from_then_on(emu, client) -> None:
    emu.options.rate_body_shape = "wrapped"
    first, second = _completed_issue(emu), _completed_issue(emu)
    client.rate_issue(first, "bad")
    client.rate_issue(second, "normal")
    assert [(a.shape, a.status) for a in emu.rate_attempts(second)] == [("wrapped", 200)]


def test_already_rated_is_refused_without_trying_the_other_shape(emu, client) -> None:
    issue_id = _completed_issue(emu)
    emu.set_rate(issue_id, "bad")
    with pytest.raises(OkdeskValidationError) as info:
        client.rate_issue(issue_id, "good")
    assert says_already_rated(info.value)
    assert len(emu.rate_attempts(issue_id)) == 1 and emu.issue_rate(issue_id) == "bad"


def test_a_refusal_for_another_reason_tries_each_shape_once(emu, client) -> None:
    contact = emu.add_contact("Иван", "Петров")
    issue_id = emu.add_issue("Открыта", contact_id=contact)  # not completed: Okdesk refuses
    with pytest.raises(OkdeskValidationError) as info:
        client.rate_issue(issue_id, "good")
    assert not says_already_rated(info.value)
    assert [a.shape for a in emu.rate_attempts(issue_id)] == ["flat", "wrapped"]
    assert emu.issue_rate(issue_id) is None


@pytest.mark.parametrize(("fault", "error", "applied"), [
    (Fault("after_effect_timeout", delay=3), OkdeskOutcomeUnknown, ["normal"]),
    (Fault("drop"), OkdeskOutcomeUnknown, []),
    (Fault("status", status=503), OkdeskUnavailable, []),
])
def test_no_answer_is_never_repeated(emu, fault: Fault, error: type[Exception], applied: list[str]) -> None:
    issue_id = _completed_issue(emu)
    fault.path, fault.method = r"/rates$", "POST"
    emu.add_fault(fault)
    with make_client(emu, timeout=1) as c, pytest.raises(error):
        c.rate_issue(issue_id, "normal")
    # Any second try would have passed the (one-time) fault and reached Okdesk's rates.
    assert fault.hits == 1 and emu.rates_of(issue_id) == applied


def test_only_okdesks_values_are_sent(client) -> None:
    with pytest.raises(ValueError):
        client.rate_issue(1, "excellent")


def test_a_shape_answered_but_not_applied_is_found_out_and_the_other_used(emu, client) -> None:
    """An API that drops a field it does not read answers 200 and rates nothing: the first rating of a
    shape is read back from the issue, and the other shape is sent when it was not applied."""
    emu.options.rate_body_shape = "wrapped"
    emu.options.rate_ignores_other_shape = True
    first, second = _completed_issue(emu), _completed_issue(emu)
    client.rate_issue(first, "good")
    assert emu.issue_rate(first) == "good"
    assert [(a.shape, a.status) for a in emu.rate_attempts(first)] == [("flat", 200), ("wrapped", 200)]
    # Confirmed once: the next rating is one request, and no read-back.
    reads_before = emu.count_requests(rf"/issues/{second}$", "GET")
    client.rate_issue(second, "bad")
    assert [(a.shape, a.status) for a in emu.rate_attempts(second)] == [("wrapped", 200)]
    assert emu.count_requests(rf"/issues/{second}$", "GET") == reads_before


def test_a_read_back_okdesk_does_not_answer_leaves_the_shape_to_be_confirmed_next_time(emu, client) -> None:
    first, second = _completed_issue(emu), _completed_issue(emu)
    emu.add_fault(Fault(kind="status", status=503, path=rf"/issues/{first}$", method="GET", times=None))
    client.rate_issue(first, "good")  # answered 200: taken as applied, as it was
    assert emu.issue_rate(first) == "good"
    emu.clear_faults()
    client.rate_issue(second, "bad")
    assert emu.count_requests(rf"/issues/{second}$", "GET") == 1  # confirmed now
    third = _completed_issue(emu)
    client.rate_issue(third, "normal")
    assert emu.count_requests(rf"/issues/{third}$", "GET") == 0
