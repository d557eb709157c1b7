"""OkdeskClient contact lookups, search and creation against the emulator."""

from __future__ import annotations

import pytest

from tests.okdesk_emulator import Fault
from tests.unit.okdesk._helpers import records, settled


def test_plus_in_a_phone_arrives_intact_and_contacts_are_deduplicated(emu, client) -> None:
    ivan = emu.add_contact("Иван", "Петров", phone="+79123456789", mobile_phone="89123456789")
    emu.add_contact("Пётр", "Сидоров", phone="79123456789")
    found = client.find_contacts_by_phone(["+79123456789", "89123456789", "+79123456789", ""])
    assert [c.id for c in found] == [ivan]
    assert found[0].first_name == "Иван" and found[0].phone == "+79123456789"
    assert records(emu, r"/contacts")[0].query["phone"] == ["+79123456789"]


@pytest.mark.parametrize(
    "variant", ["404", "empty_body", "empty_array", "null", "empty_object", "error_body"]
)
def test_contact_not_found_variants_mean_none(emu, client, variant) -> None:
    if variant == "error_body":
        emu.add_fault(Fault("error_body", body={"errors": "Контакт не найден"}, times=None))
    else:
        emu.options.contact_not_found = variant
    assert client.find_contacts_by_phone(["79000000000", "+79000000000"]) == []
    assert settled(emu).count_requests(r"/contacts") == 2


def test_search_and_create_contacts(emu, client) -> None:
    created = client.create_contact(
        first_name="Мария", last_name="Кюри", phone="+33100000000", extra={"email": "m@x.fr"}
    )
    assert created.id and created.phone == "+33100000000" and created.email == "m@x.fr"
    assert [c.id for c in client.search_contacts("кюри")] == [created.id]
    assert client.search_contacts("нет такого") == []
    assert client.find_contacts_by_phone(["+33100000000"])[0].id == created.id


def test_mobile_phone_lookup_stops_at_the_first_422_of_an_account_that_does_not_know_it(emu, client) -> None:
    anna = emu.add_contact("Анна", "Мобильная", mobile_phone="+79123456789")
    forms = ["79123456789", "+79123456789", "89123456789"]
    assert client.find_contacts_by_mobile_phone(forms) == []
    assert settled(emu).count_requests(r"/contacts") == 1  # "no search named": the same for every form
    emu.reset_requests()
    emu.options.contact_mobile_phone_filter = "exact"
    assert [c.id for c in client.find_contacts_by_mobile_phone(forms)] == [anna]
    assert [r.query["mobile_phone"] for r in records(emu, r"/contacts")] == [[f] for f in forms]


def test_scan_walks_every_contact_page_by_page_and_keeps_what_is_asked(emu, client) -> None:
    ids = [emu.add_contact("Контакт", str(n), phone=f"+7900000{n:04d}") for n in range(205)]
    wanted = {ids[3], ids[150]}
    scan = client.scan_contacts(lambda c: c.id in wanted)
    assert sorted(c.id for c in scan.matches) == sorted(wanted)
    assert (scan.complete, scan.reason, scan.last_id) == (True, None, ids[-1])
    pages = records(emu, r"/contacts/list$")
    assert [r.query.get("page[from_id]") for r in pages] == [None, [str(ids[99])], [str(ids[199])]]
    assert {r.query["page[size]"][0] for r in pages} == {"100"}
    # From a known id on: only the contacts created since (none here: one request, complete).
    emu.reset_requests()
    again = client.scan_contacts(lambda c: True, after_id=ids[-1])
    assert (again.matches, again.complete, again.last_id) == ([], True, ids[-1])
    assert settled(emu).count_requests(r"/contacts/list$") == 1


def test_a_scan_that_could_not_see_every_mobile_number_says_so(emu, client) -> None:
    for n in range(150):
        emu.add_contact("Контакт", str(n), mobile_phone=f"+7900000{n:04d}")
    cut = client.scan_contacts(lambda c: False, max_pages=1)
    assert (cut.complete, cut.reason) == (False, "page_limit")
    emu.options.contact_list_mobile_phone = False
    blind = client.scan_contacts(lambda c: c.mobile_phone is not None)
    assert (blind.matches, blind.complete, blind.reason) == ([], False, "no_mobile_phone")
    emu.options.contact_list_mobile_phone = True
    emu.options.denied_rights = frozenset({"contacts.read"})
    refused = client.scan_contacts(lambda c: True)
    assert (refused.complete, refused.reason) == (False, "refused")


def test_an_empty_account_is_a_complete_scan(emu, client) -> None:
    scan = client.scan_contacts(lambda c: True)
    assert (scan.matches, scan.complete, scan.last_id) == ([], True, None)
