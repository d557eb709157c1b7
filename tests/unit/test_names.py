"""The name a client types at sign-up, read as the question asks for it: «Фамилия Имя», then the patronymic."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncd.sync.names import FullName, NameProblem, parse_full_name, telegram_label


@pytest.mark.parametrize(("typed", "expected"), [
    ("Петров Иван", FullName(last="Петров", first="Иван")),
    ("  Петров   Иван  ", FullName(last="Петров", first="Иван")),
    ("Петров Иван Сергеевич", FullName(last="Петров", first="Иван", patronymic="Сергеевич")),
    ("Салтыков-Щедрин Михаил Евграфович", FullName("Салтыков-Щедрин", "Михаил", "Евграфович")),
    ("Оглы Ахмед Мамед оглы", FullName("Оглы", "Ахмед", "Мамед оглы")),
    ("Petrov Ivan", FullName(last="Petrov", first="Ivan")),
])
def test_last_name_first_then_first_name_then_the_rest_as_patronymic(typed: str, expected: FullName) -> None:
    assert parse_full_name(typed) == expected


@pytest.mark.parametrize("typed", ["Иван", "  Иван ", "Ив"])
def test_one_word_is_a_first_name_without_the_last_name_okdesk_requires(typed: str) -> None:
    assert parse_full_name(typed) is NameProblem.LAST_NAME_MISSING


@pytest.mark.parametrize("typed", ["", " ", "И", "/start", "/я Петров", "123 456", "Петров 42", "🙂 🙂",
                                   "Петров " + "и" * 100])
def test_what_is_no_name_is_refused(typed: str) -> None:
    assert parse_full_name(typed) is NameProblem.NOT_A_NAME


WORD = st.text(alphabet=st.characters(categories=["Lu", "Ll"]), min_size=1, max_size=15)


@given(st.lists(WORD, min_size=2, max_size=5), st.sampled_from([" ", "  ", "\t", " \n "]))
def test_the_words_are_kept_as_typed_in_their_order(words: list[str], gap: str) -> None:
    typed = gap.join(words)
    name = parse_full_name(typed)
    if not 2 <= len(typed) <= 100:
        assert name is NameProblem.NOT_A_NAME
        return
    assert isinstance(name, FullName)
    assert (name.last, name.first) == (words[0], words[1])
    # Nothing is invented, nothing lost: the three parts are the words typed.
    assert name.patronymic == (" ".join(words[2:]) or None)
    assert "-" not in (name.last, name.first)


@given(WORD)
def test_a_single_word_never_becomes_a_contact(word: str) -> None:
    assert isinstance(parse_full_name(word), NameProblem)


def test_the_telegram_name_is_offered_in_the_order_asked_and_only_when_whole() -> None:
    assert telegram_label("Анна", "Иванова") == "Иванова Анна"
    assert telegram_label(" Анна ", " Иванова ") == "Иванова Анна"
    assert telegram_label("Анна", None) is None  # no last name: no button Okdesk would refuse
    assert telegram_label(None, "Иванова") is None
    assert telegram_label("А" * 60, "Б" * 60) is None  # longer than a name may be
