"""syncd.bot.contact_lookup against the emulator: a client's number is found as a phone or a mobile
phone under every variant of Okdesk's lookups that lets anything see it, never by a substring, and a
lookup that could not see every mobile number says so."""

from __future__ import annotations

import pytest

from syncd.bot.contact_lookup import find_contacts
from tests.okdesk_emulator.contact_filters import MOBILE_VISIBLE
from tests.unit.okdesk._helpers import settled

PHONE = "79123456789"  # as Telegram shares it

# The lookup that finds a mobile-only contact first under each switch set of MOBILE_VISIBLE.
FINDER = {"least-convenient": "list", "phone-filter-sees-mobile": "phone", "search-sees-mobile": "search",
          "mobile-phone-filter": "mobile_phone", "list-blind-mobile-filter": "mobile_phone",
          "list-blind-phone-filter": "phone", "list-blind-search": "search", "suffix-phone-filter": "phone"}


def _asked(emu) -> list[str]:
    """Which lookups went, in order: phone, search, mobile_phone, list."""
    kinds = []
    for r in settled(emu).requests:
        kind = ("list" if r.path.endswith("/list") else "search" if "search_string" in r.query
                else "mobile_phone" if "mobile_phone" in r.query else "phone")
        if not kinds or kinds[-1] != kind:
            kinds.append(kind)
    return kinds


@pytest.mark.parametrize("variant", list(MOBILE_VISIBLE))
def test_a_contact_staff_entered_with_only_a_mobile_number_is_found(variant, emu, client) -> None:
    finder = FINDER[variant]
    for name, value in MOBILE_VISIBLE[variant].items():
        setattr(emu.options, name, value)
    for n in range(3):
        emu.add_contact("Другой", str(n), phone=f"+7900111000{n}")
    anna = emu.add_contact("Анна", "Мобильная", mobile_phone="+79123456789")
    lookup = find_contacts(client, PHONE)
    assert [c.id for c in lookup.contacts] == [anna] and lookup.complete
    # ?phone= and search_string are one step (both always); each later one only if nothing was found.
    order = ["phone", "search", "mobile_phone", "list"]
    assert _asked(emu) == order[:max(order.index(finder), 1) + 1]


def test_no_variant_seeing_mobile_numbers_is_an_incomplete_lookup_not_a_no(emu, client) -> None:
    emu.options.contact_list_mobile_phone = False
    emu.add_contact("Анна", "Мобильная", mobile_phone="+79123456789")
    lookup = find_contacts(client, PHONE)
    assert (lookup.contacts, lookup.complete, lookup.reason) == ([], False, "no_mobile_phone")


def test_numbers_that_merely_contain_or_end_with_the_digits_are_never_taken(emu, client) -> None:
    emu.options.contact_phone_filter_match = "digits_suffix"
    emu.options.contact_phone_filter_fields = "phone_and_mobile"
    emu.options.contact_search_string_mobile = emu.options.contact_search_string_digits = True
    emu.add_contact("Чужой", "Длинный", mobile_phone="+1 (791) 234-56-789")  # ends with the digits
    emu.add_contact("Чужой", "Лишняя", phone="+7 912 345-67-891")  # contains them
    own = emu.add_contact("Иван", "Петров", mobile_phone="8 912 345 67 89")
    lookup = find_contacts(client, PHONE)
    # ?phone= answers the lowest id, a number merely ending alike: the lookup goes on and finds the client.
    assert [c.id for c in lookup.contacts] == [own] and lookup.complete


def test_a_second_look_walks_only_contacts_created_since_the_first(emu, client) -> None:
    for n in range(120):
        emu.add_contact("Другой", str(n), phone=f"+790011{n:05d}")
    first = find_contacts(client, PHONE)
    assert first.contacts == [] and first.complete and first.seen_to is not None
    made = emu.add_contact("Анна", "Новая", mobile_phone="+79123456789")  # staff, meanwhile
    emu.reset_requests()
    second = find_contacts(client, PHONE, seen_to=first.seen_to)
    assert [c.id for c in second.contacts] == [made]
    (walk,) = [r for r in settled(emu).requests if r.path.endswith("/list")]
    assert walk.query["page[from_id]"] == [str(first.seen_to)]
