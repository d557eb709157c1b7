"""Okdesk emulator fidelity over real HTTP: POST /api/v1/login_link (client-portal sign-in links).

Known only as reported (okdesk-api.md §8, YOFO from real accounts): user_type, user_id, expire_after
in minutes, one_time -> {"login_link": url, "user_id", "user_type", "user_first_name", "user_last_name"}.
The expiry's unit and the answer's key are options; every reading is checked.
"""

from __future__ import annotations

import time

import pytest
import requests

from tests.okdesk_emulator import OkdeskEmulator
from tests.okdesk_emulator_tests._helpers import Api

FORBIDDEN = {"errors": "Недостаточно прав для выполнения действия"}


def body(contact: int, **extra: object) -> dict[str, object]:
    return {"user_type": "contact", "user_id": contact, "expire_after": 5, "one_time": True, **extra}


@pytest.mark.parametrize(("unit", "seconds"), [("minutes", 300), ("seconds", 5)])
def test_a_link_is_minted_for_the_contact_and_opens_once(
    emu: OkdeskEmulator, api: Api, unit: str, seconds: int
) -> None:
    emu.options.login_link_expire_unit = unit
    contact = emu.add_contact("Иван", "Петров", phone="79123456789")
    before = time.time()
    answer = api("POST", "/login_link", json=body(contact))
    assert answer.status_code == 200
    (link,) = emu.login_links
    assert answer.json() == {"login_link": link.url, "user_id": contact, "user_type": "contact",
                             "user_first_name": "Иван", "user_last_name": "Петров"}
    assert link.user == ("contact", contact) and link.one_time and link.expire_after == 5 and not link.used
    assert before + seconds - 1 <= link.expires_at <= time.time() + seconds + 1
    # The link signs in once; a second visit (a link preview came first, say) is refused.
    assert requests.get(link.url, timeout=5).status_code == 200
    assert emu.login_links[0].used
    assert requests.get(link.url, timeout=5).status_code == 410
    assert emu.login_links[0].opened == 2


def test_without_one_time_a_link_opens_again_until_it_expires(emu: OkdeskEmulator, api: Api) -> None:
    emu.options.login_link_expire_unit = "seconds"
    contact = emu.add_contact("Иван", "Петров")
    assert api("POST", "/login_link", json={"user_type": "contact", "user_id": contact,
                                            "expire_after": 1}).status_code == 200
    (link,) = emu.login_links
    assert not link.one_time  # the flag left out: reusable
    assert [requests.get(link.url, timeout=5).status_code for _ in range(2)] == [200, 200]
    time.sleep(1.2)
    assert requests.get(link.url, timeout=5).status_code == 410


@pytest.mark.parametrize("key", ["url", "link"])
def test_wrapped_body_and_the_other_answer_keys(emu: OkdeskEmulator, api: Api, key: str) -> None:
    emu.options.login_link_response_key = key
    contact = emu.add_contact("Иван", "Петров")
    answer = api("POST", "/login_link/", json={"login_link": body(contact)})
    assert answer.status_code == 200 and answer.json() == {key: emu.login_links[0].url}


def test_an_unknown_user_or_a_bad_body_is_422_and_nothing_is_minted(emu: OkdeskEmulator, api: Api) -> None:
    contact = emu.add_contact("Иван", "Петров")
    missing = api("POST", "/login_link", json=body(contact + 100))
    assert (missing.status_code, missing.json()) == (422, {"errors": {"user_id": ["не найден"]}})
    # A contact's id as an employee's is another person (or nobody).
    assert api("POST", "/login_link", json=body(contact + 100, user_type="employee")).status_code == 422
    bad = api("POST", "/login_link", json={"user_type": "robot", "user_id": "x", "expire_after": 0,
                                           "one_time": "maybe"})
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"user_type", "user_id", "expire_after", "one_time"}
    assert api("POST", "/login_link", json={}).status_code == 422
    assert emu.login_links == []


def test_a_key_without_the_right_gets_403_and_an_unknown_link_404(emu: OkdeskEmulator, api: Api) -> None:
    contact = emu.add_contact("Иван", "Петров")
    emu.options.denied_rights = {"login_links.create"}
    refused = api("POST", "/login_link", json=body(contact))
    assert (refused.status_code, refused.json()) == (403, FORBIDDEN)
    assert emu.login_links == []
    assert requests.get(emu.base_url + "/login_link/nope", timeout=5).status_code == 404
    # No api_token: 401, as everywhere in the API.
    assert requests.post(emu.api_url + "/login_link", json=body(contact), timeout=5).status_code == 401


def test_the_options_refuse_typos(emu: OkdeskEmulator) -> None:
    with pytest.raises(ValueError):
        emu.options.login_link_expire_unit = "hours"
    with pytest.raises(ValueError):
        emu.options.login_link_response_key = "href"
