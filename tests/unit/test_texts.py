"""The bot's texts: both languages say the same things, with the same placeholders."""

from __future__ import annotations

import string
import types

import pytest

from syncd import texts
from syncd.texts import TEXTS, _merge


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


# Lines written into Okdesk for its (Russian-speaking) staff: Russian only.
OKDESK_SIDE = {"files_from_telegram", "okdesk_file_dropped", "staff_blocked", "staff_parked", "staff_too_large",
               "staff_account_deleted", "staff_unreachable",
               "staff_what_comment", "staff_what_status", "staff_what_files", "staff_what_confirmation",
               "staff_what_post_failed"}


def test_every_client_text_exists_in_both_languages() -> None:
    assert TEXTS["ru"].keys() - OKDESK_SIDE == TEXTS["en"].keys()


@pytest.mark.parametrize("key", sorted(TEXTS["en"]))
def test_both_languages_take_the_same_placeholders(key: str) -> None:
    assert _fields(TEXTS["ru"][key]) == _fields(TEXTS["en"][key])


def test_a_key_defined_by_two_features_is_refused() -> None:
    one = types.SimpleNamespace(TEXTS={"ru": {"x": "a"}, "en": {"x": "a"}})
    two = types.SimpleNamespace(TEXTS={"ru": {"x": "b"}, "en": {}})
    with pytest.raises(RuntimeError, match="defined twice"):
        _merge(one, two)


def test_an_unknown_language_falls_back_to_russian() -> None:
    assert texts.t("de", "reopen_button") == TEXTS["ru"]["reopen_button"]
