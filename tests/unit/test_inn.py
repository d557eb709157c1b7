"""INN check digits (syncd.inn): what the tax service issues passes, typos are caught before Okdesk."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from syncd.inn import parse_inn, valid_inn

# The tax service's weights, written out here on their own (not imported): the test is a second reading.
W10 = [2, 4, 10, 3, 5, 9, 4, 6, 8]
W11 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
W12 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]


def _remainder(digits: list[int], weights: list[int]) -> int:
    return sum(d * w for d, w in zip(digits, weights)) % 11


def _complete(body: list[int]) -> list[int]:
    """The body (9 or 10 digits) with its check digit(s) appended."""
    if len(body) == 9:
        return body + [_remainder(body, W10) % 10]
    body = body + [_remainder(body, W11) % 10]
    return body + [_remainder(body, W12) % 10]


def _text(digits: list[int]) -> str:
    return "".join(map(str, digits))


bodies = st.one_of(st.lists(st.integers(0, 9), min_size=9, max_size=9),
                   st.lists(st.integers(0, 9), min_size=10, max_size=10))


@pytest.mark.parametrize("inn", ["7707083893", "7736207543", "500100732259"])
def test_real_inns_pass(inn: str) -> None:
    assert valid_inn(inn) and parse_inn(inn) == inn


@given(bodies)
def test_generated_inns_pass(body: list[int]) -> None:
    inn = _text(_complete(body))
    assert valid_inn(inn)
    assert parse_inn(f" {inn[:4]} {inn[4:]}\t") == inn  # spaces are the client's, dropped


@given(bodies, st.data())
def test_a_changed_check_digit_fails(body: list[int], data: st.DataObject) -> None:
    digits = _complete(body)
    position = data.draw(st.sampled_from(range(len(body), len(digits))))
    digits[position] = (digits[position] + data.draw(st.integers(1, 9))) % 10
    assert not valid_inn(_text(digits))


@given(bodies, st.data())
def test_a_changed_digit_fails_unless_the_mod_10_fold_hides_it(body: list[int], data: st.DataObject) -> None:
    """Any one digit changed fails, except where the tax service's own rule cannot tell: the check
    digit is (sum mod 11) mod 10, so remainders 10 and 0 give the same digit."""
    position = data.draw(st.integers(0, len(body) - 1))
    changed = list(body)
    changed[position] = (changed[position] + data.draw(st.integers(1, 9))) % 10
    original, typo = _complete(body), _complete(changed)
    assume(original[len(body):] != typo[len(body):])  # the fold: both bodies share their check digits
    assert not valid_inn(_text(changed + original[len(body):]))


def test_the_fold_is_the_tax_services_not_ours() -> None:
    # One digit apart; remainder 10 for one body, 0 for the other: both end in 0, both pass.
    assert valid_inn("5000000000") and valid_inn("0000000000")


@pytest.mark.parametrize("text", ["", "123", "77070838930", "7707083894", "77O7083893", "７７０７０８３８９３",
                                  "7707-083893", "-707083893", "5001007322590", "500100732258"])
def test_not_an_inn(text: str) -> None:
    assert parse_inn(text) is None
