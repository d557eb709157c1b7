from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from syncd.phones import international, lookup_variants, normalize, same_number


def test_telegram_digits_give_the_usual_russian_forms() -> None:
    forms = lookup_variants("79123456789")
    assert forms[:4] == ["+79123456789", "79123456789", "89123456789", "9123456789"]
    assert "+7 (912) 345-67-89" in forms and "8 (912) 345-67-89" in forms


def test_exact_comparison_never_substring() -> None:
    assert same_number("+7 (912) 345-67-89", "79123456789")
    assert same_number("8 912 345 67 89", "+79123456789")
    assert not same_number("+7 912 345-67-80", "79123456789")
    assert not same_number("123456789", "79123456789")  # a suffix is not the number
    assert not same_number(None, "79123456789")


def test_foreign_numbers_are_kept_international() -> None:
    assert lookup_variants("380501234567") == ["+380501234567", "380501234567"]
    assert international("79123456789") == "+79123456789"


@given(st.from_regex(r"\A9\d{9}\Z"))
def test_every_variant_is_the_same_number(national: str) -> None:
    for form in lookup_variants("7" + national):
        assert normalize(form) == "7" + national


def test_mask_phone_shows_only_the_last_four_digits() -> None:
    from syncd.phones import mask_phone

    assert mask_phone("79123454567") == "+7 *** ***-45-67"
    assert mask_phone("+7 (912) 345-45-67") == "+7 *** ***-45-67"
    assert mask_phone("89123454567") == "+7 *** ***-45-67"
    assert mask_phone("+380501234567") == "+********-45-67"
    assert mask_phone("") == "***" and mask_phone(None) == "***" and mask_phone("123") == "***"


@given(st.text(alphabet="0123456789", min_size=10, max_size=15))
def test_a_masked_phone_never_holds_more_than_four_of_its_digits(digits: str) -> None:
    from syncd.phones import mask_phone

    masked = mask_phone(digits)
    shown = "".join(ch for ch in masked if ch.isdigit())
    assert len(shown) <= 5  # the last four, and the country code 7 of a Russian number
    assert digits[-4:] == shown[-4:]
