"""Okdesk emulator fidelity over real HTTP: which contacts each lookup of §5.1 sees, under each switch
(tests/okdesk_emulator/contact_filters.py)."""

from __future__ import annotations

from tests.okdesk_emulator import OkdeskEmulator
from tests.okdesk_emulator_tests._helpers import Api


def _ids(answer: object) -> list[int]:
    items = answer if isinstance(answer, list) else [answer] if isinstance(answer, dict) else []
    return [item["id"] for item in items if isinstance(item, dict) and "id" in item]


def test_phone_filter_compares_phone_only_by_default_and_mobile_phone_under_its_switch(
    emu: OkdeskEmulator, api: Api
) -> None:
    mobile_only = emu.add_contact("Анна", "Мобильная", mobile_phone="+79123456789")
    assert api("GET", "/contacts", {"phone": "+79123456789"}).status_code == 404
    emu.options.contact_phone_filter_fields = "phone_and_mobile"
    assert _ids(api("GET", "/contacts", {"phone": "+79123456789"}).json()) == [mobile_only]
    # Exact as typed: another spelling of the same number is not it.
    assert api("GET", "/contacts", {"phone": "89123456789"}).status_code == 404


def test_digits_suffix_matching_finds_free_form_numbers_and_numbers_merely_ending_alike(
    emu: OkdeskEmulator, api: Api
) -> None:
    longer = emu.add_contact("Чужой", "Длинный", phone="+1 (791) 234-56-789")
    own = emu.add_contact("Иван", "Петров", phone="8 (912) 345-67-89")
    assert api("GET", "/contacts", {"phone": "9123456789"}).status_code == 404
    emu.options.contact_phone_filter_match = "digits_suffix"
    # One object, the lowest id: the number that merely ends with the digits hides the client's own.
    assert _ids(api("GET", "/contacts", {"phone": "9123456789"}).json()) == [longer]
    assert _ids(api("GET", "/contacts", {"phone": "89123456789"}).json()) == [own]


def test_mobile_phone_is_no_search_parameter_unless_switched_on(emu: OkdeskEmulator, api: Api) -> None:
    mobile_only = emu.add_contact("Анна", "Мобильная", mobile_phone="+79123456789")
    other = emu.add_contact("Борис", "Другой", phone="+79005554433", mobile_phone="+79005554433")
    alone = api("GET", "/contacts", {"mobile_phone": "+79123456789"})
    assert alone.status_code == 422 and alone.json() == {"errors": "Не указан ни один параметр поиска"}
    # Beside a known parameter it is ignored: the other parameter alone decides.
    beside = api("GET", "/contacts", {"mobile_phone": "+79123456789", "phone": "+79005554433"})
    assert _ids(beside.json()) == [other]
    emu.options.contact_mobile_phone_filter = "exact"
    assert _ids(api("GET", "/contacts", {"mobile_phone": "+79123456789"}).json()) == [mobile_only]
    assert api("GET", "/contacts", {"mobile_phone": "79123456789"}).status_code == 404


def test_search_string_looks_at_mobile_numbers_and_digits_only_under_their_switches(
    emu: OkdeskEmulator, api: Api
) -> None:
    by_phone = emu.add_contact("Иван", "Петров", phone="+7 (912) 345-67-89")
    by_mobile = emu.add_contact("Анна", "Мобильная", mobile_phone="+79123456789")
    assert api("GET", "/contacts", {"search_string": "9123456789"}).json() == []
    assert _ids(api("GET", "/contacts", {"search_string": "(912) 345"}).json()) == [by_phone]
    emu.options.contact_search_string_mobile = True
    assert _ids(api("GET", "/contacts", {"search_string": "9123456789"}).json()) == [by_mobile]
    emu.options.contact_search_string_digits = True
    assert _ids(api("GET", "/contacts", {"search_string": "9123456789"}).json()) == [by_phone, by_mobile]


def test_contact_list_items_carry_mobile_phone_unless_switched_off(emu: OkdeskEmulator, api: Api) -> None:
    emu.add_contact("Анна", "Мобильная", mobile_phone="+79123456789")
    (item,) = api("GET", "/contacts/list").json()
    assert item["mobile_phone"] == "+79123456789" and "parameters" in item
    emu.options.contact_list_mobile_phone = False
    (item,) = api("GET", "/contacts/list").json()
    assert "mobile_phone" not in item and item["phone"] is None
