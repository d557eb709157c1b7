"""The bot's texts: both languages say the same things, with the same placeholders."""

from __future__ import annotations

import re
import string
import types

import pytest

from syncd import texts
from syncd.texts import TEXTS, _merge
from syncd.texts import notices as staff_notices


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


# Lines written into Okdesk for its (Russian-speaking) staff: Russian only.
OKDESK_SIDE = {"files_from_telegram", "okdesk_file_dropped"} | set(staff_notices.TEXTS["ru"])


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


# Latin inside a Russian text: only the names of the two systems and commands such as /start.
_LATIN_ALLOWED = {"Telegram", "Okdesk"}
_LATIN_WORD = re.compile(r"/?[A-Za-z][A-Za-z0-9_]*")


def _literal(text: str) -> str:
    """The text without its placeholders ({name} is filled in, it is not a word of the text)."""
    return "".join(literal for literal, _, _, _ in string.Formatter().parse(text))


def _latin_words(text: str) -> list[str]:
    words = _LATIN_WORD.findall(_literal(text))
    return [word for word in words if word not in _LATIN_ALLOWED and not word.startswith("/")]


@pytest.mark.parametrize("key", sorted(TEXTS["ru"]))
def test_a_russian_text_has_no_latin_words_but_names_and_commands(key: str) -> None:
    assert _latin_words(TEXTS["ru"][key]) == []


def test_the_latin_check_catches_a_word_and_spares_names_commands_and_placeholders() -> None:
    assert _latin_words("Нажмите Reply или OK") == ["Reply", "OK"]
    assert _latin_words("Бот в Telegram, заявки в Okdesk: /start, {issue_id}") == []
