"""The Okdesk contract (syncd/okdesk/port.py) for contacts, companies, service objects and portal
links, on MemoryOkdesk and on OkdeskClient + the emulator (conftest.py ``side``)."""

from __future__ import annotations

from typing import Any

import pytest

from syncd.bot.contact_lookup import find_contacts
from syncd.okdesk.errors import (
    OkdeskForbidden,
    OkdeskNotFound,
    OkdeskUnavailable,
    OkdeskValidationError,
)
from tests.contract.okdesk.conftest import Side
from tests.okdesk_emulator.contact_filters import MOBILE_VISIBLE

PHONE, MOBILE = "+79123456789", "+79990001122"


def people(side: Side) -> tuple[int, int, int]:
    """Two contacts of a company (one with a mobile number only) and a private person."""
    company = side.seed.add_company("ООО Ромашка", inn="7701234567")
    with_phone = side.seed.add_contact("Иван", "Петров", phone=PHONE, company_id=company,
                                       access_level=["company_issues"])
    mobile_only = side.seed.add_contact("Анна", "Смирнова", mobile_phone=MOBILE, company_id=company)
    side.seed.add_contact("Пётр", "Сидоров", phone="+79001112233", email="petr@example.ru")
    return company, with_phone, mobile_only


def ids(contacts) -> list[int]:
    return [c.id for c in contacts]


def test_one_contact(side: Side) -> None:
    company, contact_id, _ = people(side)
    contact = side.okd.get_contact(contact_id)
    assert (contact.name, contact.first_name, contact.phone, contact.company_id) == (
        "Петров Иван", "Иван", PHONE, company)
    assert contact.access_level == ("company_issues",)
    with pytest.raises(OkdeskNotFound):
        side.okd.get_contact(999)


def test_phone_lookups_see_phone_not_mobile_by_default(side: Side) -> None:
    _, with_phone, mobile_only = people(side)
    assert ids(side.okd.find_contacts_by_phone([PHONE, " " + PHONE, "89123456789", ""])) == [with_phone]
    assert side.okd.find_contacts_by_phone([MOBILE]) == []
    assert side.okd.find_contacts_by_mobile_phone([MOBILE, "8999"]) == []  # ?mobile_phone= unknown: a 422
    side.options.contact_phone_filter_fields = "phone_and_mobile"
    assert ids(side.okd.find_contacts_by_phone([MOBILE])) == [mobile_only]
    side.options.contact_mobile_phone_filter = "exact"
    assert ids(side.okd.find_contacts_by_mobile_phone(["8999", MOBILE])) == [mobile_only]


def test_the_lowest_id_answers_an_exact_search(side: Side) -> None:
    first = side.seed.add_contact("Иван", "Петров", phone=PHONE)
    side.seed.add_contact("Иван", "Двойник", phone=PHONE)
    assert ids(side.okd.find_contacts_by_phone([PHONE])) == [first]


def test_a_phone_filter_on_the_last_digits(side: Side) -> None:
    _, with_phone, mobile_only = people(side)
    side.options.contact_phone_filter_match = "digits_suffix"
    assert ids(side.okd.find_contacts_by_phone(["9123456789", "0001122"])) == [with_phone]
    side.options.contact_phone_filter_fields = "phone_and_mobile"
    assert ids(side.okd.find_contacts_by_phone(["0001122"])) == [mobile_only]


def test_names_in_either_order(side: Side) -> None:
    _, with_phone, _ = people(side)
    side.options.contact_name_order = "first_last"
    assert side.okd.get_contact(with_phone).name == "Иван Петров"
    assert ids(side.okd.search_contacts("иван петров")) == [with_phone]


def test_substring_search(side: Side) -> None:
    _, with_phone, mobile_only = people(side)
    assert ids(side.okd.search_contacts("петров")) == [with_phone]
    assert ids(side.okd.search_contacts("9123456789")) == [with_phone]
    assert side.okd.search_contacts("9990001122") == [] and side.okd.search_contacts("  ") == []
    side.options.contact_search_string_mobile = True
    assert ids(side.okd.search_contacts("9990001122")) == [mobile_only]
    side.seed.add_contact("Олег", "Кузнецов", phone="+7 (912) 000-11-22")
    assert side.okd.search_contacts("79120001122") == []
    side.options.contact_search_string_digits = True
    assert [c.name for c in side.okd.search_contacts("79120001122")] == ["Кузнецов Олег"]


def test_the_walk_over_every_contact(side: Side) -> None:
    _, with_phone, mobile_only = people(side)
    scan = side.okd.scan_contacts(lambda c: c.mobile_phone == MOBILE)
    assert (ids(scan.matches), scan.complete, scan.reason, scan.last_id) == ([mobile_only], True, None, 3)
    later = side.okd.scan_contacts(lambda c: True, after_id=with_phone)
    assert (ids(later.matches), later.complete, later.last_id) == ([mobile_only, 3], True, 3)
    side.options.contact_list_mobile_phone = False  # list items without mobile_phone: nothing is seen
    blind = side.okd.scan_contacts(lambda c: c.mobile_phone == MOBILE)
    assert (blind.matches, blind.complete, blind.reason) == ([], False, "no_mobile_phone")
    side.options.denied_rights = {"contacts.read"}
    refused = side.okd.scan_contacts(lambda c: True)
    assert (refused.complete, refused.reason) == (False, "refused")
    with pytest.raises(OkdeskForbidden):
        side.okd.get_contact(with_phone)


def test_a_walk_that_stops_at_its_page_limit(side: Side) -> None:
    for n in range(101):
        side.seed.add_contact(f"Имя{n}", "Фамилия", phone=f"+7900000{n:04d}")
    scan = side.okd.scan_contacts(lambda c: c.phone == "+79000000100", max_pages=1)
    assert (scan.matches, scan.complete, scan.reason, scan.last_id) == ([], False, "page_limit", 100)
    scan = side.okd.scan_contacts(lambda c: c.phone == "+79000000100", after_id=scan.last_id)
    assert (ids(scan.matches), scan.complete, scan.last_id) == ([101], True, 101)


def test_a_new_contact(side: Side) -> None:
    company = side.seed.add_company("ООО Ромашка")
    entity = side.seed.add_maintenance_entity(company, "Офис")
    created = side.okd.create_contact(first_name="Мария", last_name="Иванова", patronymic="Петровна", phone=PHONE,
                                      mobile_phone=PHONE, company_id=company, maintenance_entity_ids=[entity])
    assert (created.name, created.phone, created.mobile_phone, created.company_id) == (
        "Иванова Мария Петровна", PHONE, PHONE, company)
    assert created.maintenance_entity_ids == (entity,)
    assert ids(side.okd.find_contacts_by_phone([PHONE])) == [created.id]


def test_contact_refusals(side: Side) -> None:
    other = side.seed.add_company("Чужая")
    foreign = side.seed.add_maintenance_entity(other, "Склад")
    company = side.seed.add_company("Своя")
    with pytest.raises(OkdeskValidationError) as caught:
        side.okd.create_contact(first_name="Мария", last_name="", company_id=company,
                                maintenance_entity_ids=[foreign])
    assert caught.value.errors == {"last_name": ["не может быть пустым"],
                                   "maintenance_entity_ids": {"0": ["не принадлежит компании"]}}
    with pytest.raises(OkdeskUnavailable), side.outage(502):
        side.okd.create_contact(first_name="Мария", last_name="Иванова")
    assert side.okd.search_contacts("мария") == []


def test_companies_and_their_service_objects(side: Side) -> None:
    company = side.seed.add_company("ООО Ромашка", inn="7701234567", additional_name="Ромашка")
    side.seed.add_company("ООО Лютик", inn="7709999999")
    first = side.seed.add_maintenance_entity(company, "Офис", address="Москва")
    side.seed.add_maintenance_entity(company, "Закрытый", active=False)
    second = side.seed.add_maintenance_entity(company, "Склад")
    found = side.okd.get_company(company)
    assert (found.name, found.additional_name, found.active, found.parameter("inn")) == (
        "ООО Ромашка", "Ромашка", True, "7701234567")
    assert [c.id for c in side.okd.find_companies_by_parameter("inn", "7701234567")] == [company]
    twin = side.seed.add_company("ООО Ромашка-2", inn="7701234567")
    # One keyset page in its default (reverse) direction: the newest company first.
    assert [c.id for c in side.okd.find_companies_by_parameter("inn", "7701234567")] == [twin, company]
    assert side.okd.find_companies_by_parameter("inn", "0000000000") == []
    entities = side.okd.list_maintenance_entities(company)
    assert [(e.id, e.name, e.company_id) for e in entities] == [(first, "Офис", company), (second, "Склад", company)]
    assert entities[0].address == "Москва"
    with pytest.raises(OkdeskNotFound):
        side.okd.get_company(999)
    side.options.denied_rights = {"companies.read"}
    with pytest.raises(OkdeskForbidden):
        side.okd.find_companies_by_parameter("inn", "7701234567")


def test_portal_login_links(side: Side) -> None:
    _, contact, _ = people(side)
    url = side.okd.create_login_link(contact, 60, True)
    assert url.startswith(("https://", "http://")) and len(url) > 20
    assert side.okd.create_login_link(contact, 60) != url
    with pytest.raises(OkdeskValidationError) as caught:
        side.okd.create_login_link(999, 60)
    assert caught.value.errors == {"user_id": ["не найден"]}
    with pytest.raises(OkdeskValidationError) as caught:
        side.okd.create_login_link(contact, 0)
    assert caught.value.errors == {"expire_after": ["должно быть больше 0"]}
    side.options.denied_rights = {"login_links.create", "maintenance_entities.read"}
    with pytest.raises(OkdeskForbidden):
        side.okd.create_login_link(contact, 60)
    with pytest.raises(OkdeskForbidden):
        side.okd.list_maintenance_entities(1)


LOOKUP_VARIANTS = {**MOBILE_VISIBLE, "list-blind": {"contact_list_mobile_phone": False}}


@pytest.mark.parametrize("variant", list(LOOKUP_VARIANTS))
def test_the_daemons_phone_lookup_reaches_the_same_verdict(side: Side, variant: str) -> None:
    """syncd.bot.contact_lookup over each switch set the e2e tests use: what it finds and whether it
    may believe "nobody has it" are the same on both sides."""
    for name, value in LOOKUP_VARIANTS[variant].items():
        setattr(side.options, name, value)
    for n in range(3):
        side.seed.add_contact("Другой", str(n), phone=f"+7900111000{n}")
    anna = side.seed.add_contact("Анна", "Мобильная", mobile_phone="+79123456789")
    okd: Any = side.okd  # the callers still name OkdeskClient (they move to the Protocol later)
    lookup = find_contacts(okd, "79123456789")
    expected = ([], False, "no_mobile_phone") if variant == "list-blind" else ([anna], True, None)
    assert (ids(lookup.contacts), lookup.complete, lookup.reason) == expected
    nobody = find_contacts(okd, "79000000000")
    assert (nobody.contacts, nobody.complete) == ([], not variant.startswith("list-blind"))
