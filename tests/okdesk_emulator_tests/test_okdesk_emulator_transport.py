"""Okdesk emulator fidelity over real HTTP: authentication, routing, keep-alive, concurrency
and restarts, and the scripted faults."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.okdesk_emulator import Fault, OkdeskEmulator
from tests.okdesk_emulator_tests._helpers import TOKEN, Api, setup_issue


def test_auth_is_required_everywhere(emu: OkdeskEmulator, api: Api) -> None:
    _, _, issue = setup_issue(emu)
    bare = requests.get(f"{emu.api_url}/issues/{issue}", timeout=5)
    assert bare.status_code == 401
    assert isinstance(bare.json()["errors"], str)
    wrong = api("GET", f"/issues/{issue}", {"api_token": "nope"})
    assert wrong.status_code == 401
    posted = requests.post(
        f"{emu.api_url}/issues/{issue}/comments",
        json={"comment": {"content": "x", "author_id": 1}},
        timeout=5,
    )
    assert posted.status_code == 401
    upload = api(
        "POST",
        f"/issues/{issue}/comments",
        {"api_token": "nope"},
        data={"comment[content]": "x", "comment[author_id]": "1"},
        files={"comment[attachments][0][attachment]": ("a.bin", b"123")},
    )
    assert upload.status_code == 401
    assert emu.get_comments(issue) == []
    # Same keep-alive session still usable after refusals.
    assert api("GET", f"/issues/{issue}").status_code == 200


def test_trailing_slash_and_unknown_routes(emu: OkdeskEmulator, api: Api) -> None:
    _, _, issue = setup_issue(emu)
    assert api("GET", "/issues/list/").status_code == 200
    assert api("GET", f"/issues/{issue}/").status_code == 200
    assert api("GET", "/contacts/", {"phone": "79123456789"}).json()["id"] > 0
    created = api("POST", "/issues/", json={"issue": {"title": "Через слэш"}})
    assert created.status_code == 200 and isinstance(created.json()["id"], int)
    assert api("GET", "/issues/999999").status_code == 404
    assert api("GET", "/no/such/route").status_code == 404


def test_keep_alive_is_fast(emu: OkdeskEmulator, api: Api) -> None:
    # 40 ms delayed-ACK stalls would make 40 keep-alive requests take > 1.6 s.
    setup_issue(emu)
    started = time.perf_counter()
    for _ in range(40):
        assert api("GET", "/issues/list").status_code == 200
    assert time.perf_counter() - started < 1.0
    assert emu.count_requests(r"/issues/list$", "GET") == 40


def test_concurrent_writes_and_restart(emu: OkdeskEmulator, api: Api) -> None:
    employee, _, issue = setup_issue(emu)

    def post(n: int) -> int:
        with requests.Session() as session:
            answer = session.post(
                f"{emu.api_url}/issues/{issue}/comments",
                params={"api_token": TOKEN},
                json={"content": f"<p>{n}</p>", "author_id": employee},
                timeout=10,
            )
            return answer.json()["id"]

    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(post, range(40)))
    # A too-small listen backlog drops SYNs in bursts; each retry costs a full second.
    assert time.perf_counter() - started < 0.9
    assert len(set(ids)) == 40
    assert [c["id"] for c in emu.get_comments(issue)] == sorted(ids)
    assert emu.get_issue(issue)["comments"]["count"] == 40
    port = emu.port
    emu.stop()
    with pytest.raises(requests.ConnectionError):
        api("GET", f"/issues/{issue}")
    emu.start(port=port)  # same address, same data: an Okdesk outage and recovery
    assert api("GET", f"/issues/{issue}").json()["comments"]["count"] == 40


def test_answering_faults(emu: OkdeskEmulator, api: Api) -> None:
    _, _, issue = setup_issue(emu)
    emu.add_fault(Fault(kind="status", status=503, path=r"/issues/list", method="GET"))
    failed = api("GET", "/issues/list")
    assert failed.status_code == 503 and "Внутренняя ошибка сервера" in failed.json()["errors"]
    assert api("GET", "/issues/list").status_code == 200  # times=1 by default
    emu.add_fault(Fault(kind="retry_after", retry_after=7))
    limited = api("GET", f"/issues/{issue}")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    emu.add_fault(Fault(kind="error_body"))
    odd = api("GET", f"/issues/{issue}")
    assert odd.status_code == 200 and "errors" in odd.json() and "id" not in odd.json()
    emu.add_fault(Fault(kind="malformed_json"))
    with pytest.raises(json.JSONDecodeError):
        json.loads(api("GET", f"/issues/{issue}").content)
    emu.add_fault(Fault(kind="slow", delay=0.3))
    started = time.monotonic()
    assert api("GET", f"/issues/{issue}").status_code == 200
    assert time.monotonic() - started >= 0.3
    forever = emu.add_fault(Fault(kind="status", status=500, path=r"/comments$", times=None))
    for _ in range(3):
        assert api("GET", f"/issues/{issue}/comments").status_code == 500
    assert forever.hits == 3 and api("GET", f"/issues/{issue}").status_code == 200
    emu.clear_faults()
    assert api("GET", f"/issues/{issue}/comments").status_code == 200
    kinds = [r.fault for r in emu.requests if r.fault]
    assert (
        kinds == ["status", "retry_after", "error_body", "malformed_json", "slow"] + ["status"] * 3
    )


def test_connection_faults(emu: OkdeskEmulator, api: Api) -> None:
    employee, _, issue = setup_issue(emu)
    emu.add_fault(Fault(kind="drop"))
    with pytest.raises(requests.ConnectionError):
        api("GET", f"/issues/{issue}")
    emu.add_fault(Fault(kind="timeout", delay=0.2))
    with pytest.raises(requests.ConnectionError):
        api("GET", f"/issues/{issue}")
    emu.add_fault(Fault(kind="timeout", delay=30))
    with pytest.raises(requests.ReadTimeout):
        api("GET", f"/issues/{issue}", timeout=0.3)
    emu.add_fault(Fault(kind="after_effect_timeout", delay=0.2, method="POST"))
    with pytest.raises(requests.ConnectionError):
        api("POST", f"/issues/{issue}/comments", json={"content": "x", "author_id": employee})
    assert [c["content"] for c in emu.get_comments(issue)] == ["x"]  # the write happened
    assert api("GET", f"/issues/{issue}").status_code == 200
    # Requests are logged when they end; the 30 s timeout is still asleep.
    assert emu.wait_for_requests(4, timeout=5)
    records = [r for r in emu.requests if r.fault]
    assert [(r.fault, r.status) for r in records] == [
        ("drop", None),
        ("timeout", None),
        ("after_effect_timeout", None),
    ]
