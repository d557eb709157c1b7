"""`syncd check` warns when clients may be sent to support without being told how to reach it, naming the
paths the settings let them reach."""

from __future__ import annotations

from syncd.checks.support import check_support_contact
from syncd.config import load_settings
from tests.unit.test_config import REQUIRED_ENV


def line(**env: str) -> str:
    settings = load_settings(None, {**REQUIRED_ENV, **{f"SYNCD_{k.upper()}": v for k, v in env.items()}})
    return check_support_contact(settings).line()


def test_a_support_contact_passes() -> None:
    assert line(telegram_support_contact="+7 495 123-45-67") == (
        "ok    support contact: telegram.support_contact is shown to clients sent to support, and in /help")


def test_without_one_the_reachable_paths_are_named() -> None:
    assert line() == (
        "warn  support contact: telegram.support_contact is empty: clients sent to support are not told how to reach "
        "it: a phone several Okdesk contacts share; a phone no contact has, where Okdesk's lookups could not see "
        "every contact's number; an INN several companies share, or one no company has (okdesk.company_clients); "
        "and /help names no contact")
    assert line(okdesk_company_clients="false").endswith("could not see every contact's number; and /help names no contact")
    assert line(okdesk_create_contacts="false") == (
        "warn  support contact: telegram.support_contact is empty: clients sent to support are not told how to reach "
        "it: a phone several Okdesk contacts share; a phone no contact has (okdesk.create_contacts is off); and /help names no contact")
    assert line(telegram_support_contact="   ").startswith("warn ")
