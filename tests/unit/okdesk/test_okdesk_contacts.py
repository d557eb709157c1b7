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
