"""What the log redaction hides, and what it must leave readable."""

from __future__ import annotations

import random
import time

from syncd.config import load_settings
from syncd.logs import _Secrets, redact, register_phone


def test_a_registered_phone_is_hidden_however_it_is_written() -> None:
    register_phone("+79123456789")
    for form in ("79123456789", "+79123456789", "89123456789", "9123456789", "+7 (912) 345-67-89",
                 "8 912 345 67 89", "8-912-345-67-89"):
        text = redact(f"contact {form} not found")
        assert "345" not in text and text.startswith("contact ") and text.endswith(" not found"), text
    assert redact({"error": ["phone 8 (912) 345-67-89 taken"]}) == {"error": ["phone *** taken"]}


def test_ids_times_and_other_numbers_stay_readable() -> None:
    register_phone("+79123456789")
    for text in ('{"tg_user_id": 5123456789, "issue_id": 4021, "elapsed_ms": 12}',
                 "2026-11-28T05:22:33.870437Z", "random_id 7912345678", "+7 495 000-00-00"):
        assert redact(text) == text


def test_secrets_in_a_url_query_are_hidden() -> None:
    url = ("https://x.okdesk.ru/api/v1/contacts/?phone=%2B79990001122&search_string=Ivan&api_token=t0k3n"
           "&page[size]=50 then https://s3/f?X-Amz-Credential=AK/1&X-Amz-Signature=abc&expires=60")
    assert redact(url) == ("https://x.okdesk.ru/api/v1/contacts/?phone=***&search_string=***&api_token=***"
                           "&page[size]=50 then https://s3/f?X-Amz-Credential=***&X-Amz-Signature=***&expires=60")


def test_many_linked_clients_cost_little() -> None:
    """Each client linked registers their phone; neither that nor each line may grow with their number
    (the first version compiled one pattern of every phone at each registration: minutes for 1000)."""
    secrets = _Secrets()
    started = time.monotonic()
    for _ in range(20000):
        secrets.add_phone("79" + "".join(random.choice("0123456789") for _ in range(9)))
    line = '{"event": "okdesk_request", "path": "/issues/123", "tg_user_id": 5123456789, "at": "2026-11-28"}' * 3
    for _ in range(2000):
        secrets.scrub(line)
    assert time.monotonic() - started < 10


def test_a_database_password_is_a_secret() -> None:
    env = {"SYNCD_OKDESK_URL": "https://x.okdesk.ru", "SYNCD_OKDESK_API_TOKEN": "t", "SYNCD_TELEGRAM_API_ID": "1",
           "SYNCD_TELEGRAM_API_HASH": "h", "SYNCD_TELEGRAM_BOT_TOKEN": "b",
           "SYNCD_STATE_DATABASE_URL": "postgresql://syncd:p%40ss-w0rd@db/syncd"}
    assert {"p%40ss-w0rd", "p@ss-w0rd"} <= set(load_settings(None, env).secrets())
    env["SYNCD_STATE_DATABASE_URL"] = "postgresql://syncd@db/syncd"  # no password: the user name is no secret
    assert "syncd" not in load_settings(None, env).secrets()


def test_a_forgotten_secret_is_no_longer_looked_for_and_the_others_still_are() -> None:
    secrets = _Secrets()
    link, other = "https://acme.okdesk.ru/login/one-time-abc123", "https://acme.okdesk.ru/login/one-time-def456"
    secrets.add(link, other)
    assert secrets.scrub(f"sent {link} and {other}") == "sent *** and ***"
    secrets.forget(link)
    assert secrets.scrub(f"sent {link} and {other}") == f"sent {link} and ***"
