"""Companies, service objects and one contact by id: the parsers with odd shapes, and the client
against the emulator (one filtered request per INN, exact matches only)."""

from __future__ import annotations

import pytest

from syncd.okdesk.companies import parse_company, parse_maintenance_entity, same_value
from tests.okdesk_emulator import Fault
from tests.unit.okdesk._helpers import records

INN = "7707083893"


def test_company_parser_takes_odd_shapes() -> None:
    assert parse_company(None) is None and parse_company({"name": "x"}) is None and parse_company([1]) is None
    company = parse_company({"id": "7", "name": None, "additional_name": "Ромашка", "active": "false",
                             "parameters": [{"code": "inn", "value": 7707083893}, {"value": "no code"}, "junk",
                                            {"code": "kpp", "value": None}]})
    assert company is not None and company.id == 7 and company.name == "Ромашка" and not company.active
    assert company.parameter("inn") == "7707083893" and company.parameter("kpp") is None
    assert company.parameter("ogrn") is None
    # The write shape {code: value} is read too; a company without a name is named by its id.
    bare = parse_company({"id": 8, "custom_parameters": {"inn": INN}, "parameters": None})
    assert bare is not None and bare.name == "#8" and bare.parameter("inn") == INN and bare.active


def test_maintenance_entity_parser_takes_odd_shapes() -> None:
    assert parse_maintenance_entity({"id": None}) is None
    nested = parse_maintenance_entity({"id": 3, "name": "Склад", "company": {"id": "5"},
                                       "address": {"value": "ул. Ленина, 1"}, "active": None})
    assert nested is not None and nested.company_id == 5 and nested.address == "ул. Ленина, 1" and nested.active
    flat = parse_maintenance_entity({"id": 4, "company_id": 6, "address": "", "active": False})
    assert flat is not None and flat.name == "#4" and flat.company_id == 6 and flat.address is None
    assert not flat.active


def test_company_by_inn_is_one_filtered_request(emu, client) -> None:
    company = emu.add_company("ООО Ромашка", inn=INN)
    emu.add_company("ООО Лютик", inn="7736207543")
    found = client.find_companies_by_parameter("inn", INN)
    assert [c.id for c in found] == [company] and found[0].name == "ООО Ромашка"
    assert client.find_companies_by_parameter("inn", "500100732259") == []
    sent = records(emu, r"/companies")
    assert len(sent) == 2
    assert sent[0].query["custom_parameters[inn]"] == [INN] and sent[0].query["page[size]"] == ["100"]


def test_a_filter_okdesk_ignores_keeps_only_exact_matches(emu, client) -> None:
    body = [{"id": 1, "name": "A", "parameters": [{"code": "inn", "value": "7736207543"}]},
            {"id": 2, "name": "B", "parameters": [{"code": "inn", "value": "7707 083 893"}]},
            {"id": 3, "name": "C", "parameters": [{"code": "kpp", "value": INN}]},
            {"id": 4, "name": "D"}]
    emu.add_fault(Fault("status", status=200, path=r"/companies/list", body=body))
    assert [c.id for c in client.find_companies_by_parameter("inn", INN)] == [2]


def test_service_objects_of_the_company_only(emu, client) -> None:
    mine, other = emu.add_company("Ромашка", inn=INN), emu.add_company("Лютик", inn="7736207543")
    second = emu.add_maintenance_entity(mine, "Склад")
    first = emu.add_maintenance_entity(mine, "Офис", address="ул. Ленина, 1")
    emu.add_maintenance_entity(other, "Чужой офис")
    emu.add_maintenance_entity(mine, "Закрыт", active=False)
    assert [e.id for e in client.list_maintenance_entities(mine)] == sorted([first, second])
    query = records(emu, r"/maintenance_entities")[0].query
    assert query["company_ids[]"] == [str(mine)] and query["company_id"] == [str(mine)]
    # An ignored filter: another company's objects are never offered.
    emu.add_fault(Fault("status", status=200, path=r"/maintenance_entities", body=[
        {"id": 90, "name": "x", "company_id": other}, {"id": 91, "name": "y"}, {"id": 92, "company_id": mine}]))
    assert [e.id for e in client.list_maintenance_entities(mine)] == [92]


def test_company_and_contact_by_id(emu, client) -> None:
    company = emu.add_company("ООО Ромашка", inn=INN)
    entity = emu.add_maintenance_entity(company, "Офис")
    contact = emu.add_contact("Анна", "Иванова", company_id=company, access_level=["company_issues"],
                              maintenance_entity_ids=[entity])
    assert client.get_company(company).name == "ООО Ромашка"
    got = client.get_contact(contact)
    assert got.company_id == company and got.access_level == ("company_issues",)
    assert got.maintenance_entity_ids == (entity,)
    assert records(emu, r"/contacts")[0].query["id"] == [str(contact)]


def test_contact_created_on_a_service_object(emu, client) -> None:
    company = emu.add_company("ООО Ромашка", inn=INN)
    entity = emu.add_maintenance_entity(company, "Офис")
    created = client.create_contact(first_name="Анна", last_name="Иванова", company_id=company,
                                    maintenance_entity_ids=[entity])
    assert created.company_id == company and created.maintenance_entity_ids == (entity,)
    stored = next(c for c in emu.get_contacts() if c["id"] == created.id)
    assert stored["company_id"] == company and stored["maintenance_entity_ids"] == [entity]


@pytest.mark.parametrize(("stored", "wanted", "same"), [
    ("7707083893", "7707083893", True),
    ("7707 083 893", "7707083893", True),  # typed with spaces by staff
    ("123456789", "0123456789", True),  # a number field loses the leading zero of regions 01-09
    ("7707083893.0", "7707083893", True),  # ... or holds a float
    ("7707083894", "7707083893", False),
    ("77070838931", "7707083893", False),
    (None, "7707083893", False),
    ("", "7707083893", False),
])
def test_an_inn_is_compared_by_its_digits(stored: str | None, wanted: str, same: bool) -> None:
    assert same_value(stored, wanted) is same
