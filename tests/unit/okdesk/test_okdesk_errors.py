"""How OkdeskClient classifies, retries and reports failures, and that the API token never
leaks into an error, a log line or a redirect."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from syncd.okdesk import (
    OkdeskClient,
    OkdeskError,
    OkdeskForbidden,
    OkdeskNotFound,
    OkdeskOutcomeUnknown,
    OkdeskRateLimited,
    OkdeskTokenRefused,
    OkdeskTooLarge,
    OkdeskUnavailable,
    OkdeskValidationError,
    RequestBudget,
)
from tests.okdesk_emulator import Fault
from tests.unit.okdesk._helpers import TOKEN, _one_attachment, assert_clean, make_client, settled


def test_wrong_token_is_an_auth_error_not_retried(emu) -> None:
    with make_client(emu, token=TOKEN + "-wrong") as c, pytest.raises(OkdeskTokenRefused) as info:
        c.get_issue(1)
    assert info.value.status == 401 and settled(emu).count_requests() == 1
    assert TOKEN not in str(info.value) and "wrong" not in str(info.value)
    assert_clean(info.value)


@pytest.mark.parametrize(
    ("fault", "method", "expected", "attempts"),
    [
        (Fault("status", status=403, times=None), "get", OkdeskForbidden, 1),
        (Fault("status", status=404, times=None), "get", OkdeskNotFound, 1),
        (Fault("error_body", times=None), "get", OkdeskNotFound, 1),
        (Fault("malformed_json", times=None), "get", OkdeskUnavailable, 3),
        (Fault("status", status=503, times=None), "get", OkdeskUnavailable, 3),
        (Fault("drop", times=None), "get", OkdeskUnavailable, 3),
        (Fault("status", status=413, times=None), "post", OkdeskTooLarge, 1),
        (Fault("status", status=422, times=None), "post", OkdeskValidationError, 1),
        (Fault("status", status=500, times=None), "post", OkdeskUnavailable, 1),
        (Fault("status", status=504, times=None), "post", OkdeskOutcomeUnknown, 1),
        (Fault("error_body", times=None), "post", OkdeskValidationError, 1),
        (Fault("retry_after", retry_after=1, times=None), "post", OkdeskRateLimited, 1),
        (Fault("drop", times=None), "post", OkdeskOutcomeUnknown, 1),
    ],
    ids=lambda v: (
        getattr(v, "kind", None) and f"{v.kind}-{v.status}" if isinstance(v, Fault) else None
    ),
)
def test_error_classes(emu, client, fault, method, expected, attempts) -> None:
    issue = emu.add_issue("x")
    emu.add_fault(fault)
    emu.reset_requests()
    with pytest.raises(OkdeskError) as info:
        if method == "get":
            client.get_issue(issue)
        else:
            client.create_comment(
                issue, content_html="<p>x</p>", author_id=emu.api_employee_id, public=True
            )
    assert type(info.value) is expected
    assert settled(emu).count_requests() == attempts
    assert_clean(info.value)


def test_error_body_errors_are_kept(emu, client) -> None:
    emu.add_fault(Fault("error_body", body={"errors": {"base": ["Заявка удалена"]}}))
    with pytest.raises(OkdeskNotFound) as info:
        client.get_issue(emu.add_issue("x"))
    assert info.value.status == 200 and info.value.errors == {"base": ["Заявка удалена"]}


def test_validation_error_carries_the_field_errors(emu, client) -> None:
    with pytest.raises(OkdeskValidationError) as info:
        client.create_issue(title="")
    assert info.value.status == 422 and "title" in info.value.errors
    assert_clean(info.value)


def test_transient_get_failures_are_retried(emu, client) -> None:
    issue = emu.add_issue("x")
    for fault in (Fault("malformed_json"), Fault("status", status=502), Fault("drop")):
        emu.add_fault(fault)
        emu.reset_requests()
        assert client.get_issue(issue).id == issue
        assert settled(emu).count_requests() == 2


def test_get_timeout_is_retried(emu) -> None:
    issue = emu.add_issue("x")
    with make_client(emu, timeout=0.5) as c:
        emu.add_fault(Fault("timeout", delay=1.5, path=r"/issues/\d+$"))
        assert c.get_issue(issue).id == issue
        # The timed-out request is logged once the emulator wakes up and drops it.
        assert emu.wait_for_requests(2, r"/issues/\d+$", timeout=5)
        assert settled(emu).count_requests(r"/issues/\d+$") == 2
        emu.add_fault(Fault("slow", delay=1.5, times=None, path=r"/issues/\d+$"))
        with pytest.raises(OkdeskUnavailable) as info:
            c.get_issue(issue)
    assert info.value.kind == "timeout"
    assert_clean(info.value)


def test_rate_limit_retry_after_is_honoured(emu) -> None:
    budget = RequestBudget(600)
    issue = emu.add_issue("x")
    with make_client(emu, budget=budget) as c:
        emu.add_fault(Fault("retry_after", retry_after=1, path=r"/issues/\d+$"))
        emu.reset_requests()
        assert c.get_issue(issue).id == issue
    first, second = settled(emu).requests
    assert first.status == 429 and second.status == 200
    assert second.started - first.finished >= 0.9
    assert budget.total == 2


def test_rate_limit_longer_than_the_cap_pauses_the_budget_and_raises(emu) -> None:
    budget = RequestBudget(600)
    with make_client(emu, budget=budget, retry_cap=0.5) as c:
        emu.add_fault(Fault("retry_after", retry_after=3))
        with pytest.raises(OkdeskRateLimited) as info:
            c.list_statuses()
    assert info.value.retry_after == 3 and settled(emu).count_requests() == 1
    assert budget.paused_until is not None and budget.paused_until - time.monotonic() > 2
    assert not budget.try_acquire()


def test_post_whose_answer_is_lost_is_outcome_unknown_and_was_done(emu) -> None:
    issue = emu.add_issue("x")
    with make_client(emu, timeout=0.5) as c:
        emu.add_fault(Fault("after_effect_timeout", delay=1.5, method="POST"))
        with pytest.raises(OkdeskOutcomeUnknown) as info:
            c.create_comment(
                issue, content_html="<p>ушло?</p>", author_id=emu.api_employee_id, public=True
            )
    assert emu.wait_for_requests(1, method="POST", timeout=5)
    assert settled(emu).count_requests(method="POST") == 1  # never repeated by the client
    assert [c["content"] for c in emu.get_comments(issue)] == ["<p>ушло?</p>"]
    assert_clean(info.value)


def test_connection_refused_means_not_sent(emu) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with make_client(emu, base_url=f"http://127.0.0.1:{port}") as c:
        for call in (
            lambda: c.get_issue(1),
            lambda: c.create_comment(1, content_html="x", author_id=1, public=True),
        ):
            with pytest.raises(OkdeskUnavailable) as info:
                call()
            assert info.value.kind == "connection_refused"
            assert f"127.0.0.1:{port}" in str(info.value)
            assert_clean(info.value)
        assert c.last_error and TOKEN not in c.last_error and c.last_success_at is None


def test_logs_never_show_the_token_or_query(emu, client, monkeypatch, tmp_path: Path) -> None:
    import syncd.okdesk.transport as transport

    logs: list[dict] = []

    class Recorder:  # independent of however structlog is configured in this process
        def debug(self, event: str, **kw) -> None:
            logs.append({"event": event, **kw})

    monkeypatch.setattr(transport, "log", Recorder())
    emu.add_fault(Fault("status", status=503))
    issue, att, _ = _one_attachment(emu, tmp_path)
    client.find_contacts_by_phone(["+79990001122"])
    client.download_attachment(issue, att, tmp_path / "copy")
    assert logs and all(TOKEN not in repr(e) and "?" not in e.get("path", "") for e in logs)
    paths = [e["path"] for e in logs if e["event"] == "okdesk_request"]
    assert paths == ["/contacts/", "/contacts/", f"/issues/{issue}/attachments/{att}", "<storage>"]
    assert [e["status"] for e in logs if e["event"] == "okdesk_request"] == [503, 404, 200, 200]


def test_redirects_are_followed_only_within_the_okdesk_host() -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            if self.path.startswith("/api/v1/issues/1?"):  # a merged issue, same host
                self._answer(301, b"", {"Location": "/api/v1/issues/2?api_token=echoed"})
            elif self.path.startswith("/api/v1/issues/3?"):  # elsewhere: the token must not follow
                self._answer(302, b"", {"Location": "http://localhost:9/api/v1/issues/2"})
            else:
                self._answer(200, b'{"id": 2, "title": "merged"}', {})

        def _answer(self, status: int, body: bytes, headers: dict) -> None:
            self.send_response(status)
            for key, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with OkdeskClient(f"http://127.0.0.1:{server.server_address[1]}", TOKEN) as c:
            assert c.get_issue(1).id == 2  # callers compare ids to notice a merge
            assert seen[1] == f"/api/v1/issues/2?api_token={TOKEN}"
            with pytest.raises(OkdeskError) as info:
                c.get_issue(3)
            assert info.value.status == 302 and len(seen) == 3
            assert_clean(info.value)
    finally:
        server.shutdown()
        server.server_close()
