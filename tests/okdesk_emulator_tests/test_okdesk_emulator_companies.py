"""Okdesk emulator fidelity over real HTTP: companies with custom parameters (§5.4), their
service objects (maintenance entities, §5.5), and contacts and issues bound to both."""

from __future__ import annotations

import pytest

from tests.okdesk_emulator import OkdeskEmulator
from tests.okdesk_emulator_tests._helpers import Api

INN = "7707083893"


def two_companies(emu: OkdeskEmulator) -> tuple[int, int]:
    bank = emu.add_company("ПАО Сбербанк", inn=INN, phone="84955005550")
    other = emu.add_company("ООО Ромашка", parameters={"inn": "7736207543", "kpp": "773601001"})
    return bank, other


def test_company_json_carries_custom_parameters(emu: OkdeskEmulator, api: Api) -> None:
    bank, other = two_companies(emu)
    found = api("GET", "/companies/", params={"id": bank})
    assert found.status_code == 200
    company = found.json()
    assert company["id"] == bank and company["name"] == "ПАО Сбербанк"
    assert company["parameters"] == [
        {"code": "inn", "name": "ИНН", "field_type": "ftstring", "value": INN}
    ]
    assert {"additional_name", "phone", "active", "category", "contacts"} <= set(company)
    kpp = api("GET", "/companies", params={"id": other}).json()["parameters"]
    assert {p["code"]: p["value"] for p in kpp} == {"inn": "7736207543", "kpp": "773601001"}
    assert emu.get_company(bank) == company


def test_company_search_by_exact_fields_and_not_found(emu: OkdeskEmulator, api: Api) -> None:
    bank, other = two_companies(emu)
    assert api("GET", "/companies", params={"name": "ООО Ромашка"}).json()["id"] == other
    assert api("GET", "/companies", params={"phone": "84955005550"}).json()["id"] == bank
    assert api("GET", "/companies", params={"search_string": "ромаш"}).json()["id"] == other
    missing = api("GET", "/companies", params={"name": "Ромашка"})  # exact only
    assert (missing.status_code, missing.json()) == (404, {"errors": "Компания не найдена"})
    emu.options.company_not_found = "empty_object"
    missing = api("GET", "/companies", params={"id": 999})
    assert (missing.status_code, missing.json()) == (200, {})
    assert api("GET", "/companies").status_code == 422  # no search parameter


def test_companies_list_filters_by_custom_parameter(emu: OkdeskEmulator, api: Api) -> None:
    bank, other = two_companies(emu)
    emu.add_company("Без ИНН")
    found = api("GET", "/companies/list", params={"custom_parameters[inn]": INN})
    assert [c["id"] for c in found.json()] == [bank]
    none = api("GET", "/companies/list", params={"custom_parameters[inn]": "7707083894"})
    assert none.json() == []
    assert len(api("GET", "/companies/list").json()) == 3
    assert emu.count_requests(r"/companies/list$", "GET") == 3


def test_companies_list_keyset_pagination(emu: OkdeskEmulator, api: Api) -> None:
    ids = [emu.add_company(f"Компания {n}") for n in range(5)]
    page = api("GET", "/companies/list", params={"page[size]": 2}).json()
    assert [c["id"] for c in page] == ids[:-3:-1]  # newest first by default
    forward = api(
        "GET",
        "/companies/list",
        params={"page[size]": 2, "page[direction]": "forward", "page[from_id]": ids[1]},
    ).json()
    assert [c["id"] for c in forward] == ids[2:4]
    too_big = api("GET", "/companies/list", params={"page[size]": 101})
    assert too_big.json() == {"errors": {"page": {"size": ["должно быть меньше или равно 100"]}}}


def test_a_contact_bound_key_may_not_read_companies(emu: OkdeskEmulator, api: Api) -> None:
    bank, _ = two_companies(emu)
    emu.options.denied_rights = frozenset({"companies.read", "maintenance_entities.read"})
    for path, params in (
        ("/companies", {"id": bank}),
        ("/companies/list", {}),
        ("/maintenance_entities/list", {}),
    ):
        assert api("GET", path, params=params).status_code == 403


def test_maintenance_entities_filtered_by_company(emu: OkdeskEmulator, api: Api) -> None:
    bank, other = two_companies(emu)
    office = emu.add_maintenance_entity(bank, "Офис на Вавилова", address="ул. Вавилова, 19")
    branch = emu.add_maintenance_entity(bank, "Филиал")
    shop = emu.add_maintenance_entity(other, "Магазин")
    listed = api("GET", "/maintenance_entities/list", params={"company_ids[]": bank}).json()
    assert sorted(e["id"] for e in listed) == [office, branch]
    single = api("GET", "/maintenance_entities/list", params={"company_id": other}).json()
    assert [e["id"] for e in single] == [shop]
    assert len(api("GET", "/maintenance_entities/list").json()) == 3
    one = api("GET", f"/maintenance_entities/{office}").json()
    assert one["name"] == "Офис на Вавилова" and one["address"] == "ул. Вавилова, 19"
    assert (one["company_id"], one["active"]) == (bank, True)
    assert api("GET", "/maintenance_entities/999").status_code == 404
    assert [e["id"] for e in emu.get_maintenance_entities(other)] == [shop]
    with pytest.raises(ValueError):
        emu.add_maintenance_entity(999, "Нет компании")


def test_contacts_with_access_level_and_service_objects(emu: OkdeskEmulator, api: Api) -> None:
    bank, other = two_companies(emu)
    office = emu.add_maintenance_entity(bank, "Офис")
    shop = emu.add_maintenance_entity(other, "Магазин")
    body = {
        "contact": {
            "first_name": "Анна",
            "last_name": "Смирнова",
            "phone": "79001112233",
            "company_id": bank,
            "access_level": ["company_issues"],
            "maintenance_entity_ids": [office],
        }
    }
    created = api("POST", "/contacts/", json=body)
    assert created.status_code == 200
    contact = created.json()
    assert contact["access_level"] == ["company_issues"]
    assert (contact["company_id"], contact["maintenance_entity_ids"]) == (bank, [office])
    fetched = api("GET", "/contacts/", params={"id": contact["id"]}).json()
    assert fetched["maintenance_entity_ids"] == [office]
    # A service object of another company, and an unknown company, are refused.
    body["contact"]["maintenance_entity_ids"] = [shop]
    wrong = api("POST", "/contacts/", json=body)
    assert wrong.status_code == 422
    assert wrong.json()["errors"]["maintenance_entity_ids"] == {"0": ["не принадлежит компании"]}
    body["contact"].update(company_id=999, maintenance_entity_ids=[])
    assert api("POST", "/contacts/", json=body).json()["errors"]["company_id"] == ["не найден"]
    helper = emu.add_contact(
        "Олег",
        "Козлов",
        company_id=other,
        access_level=["company_issues"],
        maintenance_entity_ids=[shop],
    )
    assert api("GET", "/contacts", params={"id": helper}).json()["maintenance_entity_ids"] == [shop]
    with pytest.raises(ValueError):
        emu.add_contact("Вера", "Павлова", company_id=bank, maintenance_entity_ids=[shop])


def test_issues_carry_company_and_service_object(emu: OkdeskEmulator, api: Api) -> None:
    bank, other = two_companies(emu)
    office = emu.add_maintenance_entity(bank, "Офис")
    shop = emu.add_maintenance_entity(other, "Магазин")
    created = api(
        "POST",
        "/issues/",
        json={
            "issue": {"title": "Не печатает", "company_id": bank, "maintenance_entity_id": office}
        },
    )
    assert created.status_code == 200
    issue = api("GET", f"/issues/{created.json()['id']}").json()
    assert (issue["company_id"], issue["service_object_id"]) == (bank, office)
    assert "company" not in issue and "maintenance_entity" not in issue  # one issue carries ids only (§2.3)
    multipart = api(
        "POST",
        "/issues",
        files={
            "issue[title]": (None, "Сломан кассовый аппарат"),
            "issue[company_id]": (None, str(other)),
            "issue[maintenance_entity_id]": (None, str(shop)),
        },
    )
    assert multipart.status_code == 200
    assert multipart.json()["service_object_id"] == shop
    wrong = api(
        "POST", "/issues", json={"title": "x", "company_id": bank, "maintenance_entity_id": shop}
    )
    assert wrong.status_code == 422
    assert wrong.json() == {"errors": {"maintenance_entity_id": ["не принадлежит компании"]}}
    unknown = api("POST", "/issues", json={"title": "x", "maintenance_entity_id": 999})
    assert unknown.json() == {"errors": {"maintenance_entity_id": ["не найден"]}}
    by_company = api("GET", "/issues/list", params={"company_ids[]": bank}).json()
    assert [i["id"] for i in by_company] == [issue["id"]]
    assert by_company[0]["company"] == {"id": bank, "name": "ПАО Сбербанк"}
    counted = api("GET", "/issues/count", params={"maintenance_entity_ids[]": shop}).json()
    assert counted == [multipart.json()["id"]]
    assert len(emu.issue_ids()) == 2  # the refused creates made nothing
