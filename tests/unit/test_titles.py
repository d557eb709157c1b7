"""Issue titles made from a Telegram message (syncd.formatting.make_title)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.formatting import make_title

_DANGLING = set(",;: -–—")


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("", ""),
        ("  \n\t  ", ""),
        ("Принтер не печатает", "Принтер не печатает"),
        ("  Принтер\nне\n\n  печатает  ", "Принтер не печатает"),
        # fits as a whole: kept whole, terminator and all
        ("Привет! Не работает принтер в 204 кабинете…", "Привет! Не работает принтер в 204 кабинете…"),
        # too long: the first sentence, when it fits
        ("Не работает принтер в 204 кабинете. Вчера ещё работал, а сегодня с утра выдаёт "
         "ошибку замятия бумаги, хотя бумаги внутри нет.",
         "Не работает принтер в 204 кабинете."),
        ("Почему не приходит почта?! Уже третий день не могу получить письма от контрагентов "
         "и клиентов, очень срочно.",
         "Почему не приходит почта?!"),
        ("Сломался ноутбук... Не включается совсем, индикатор зарядки мигает оранжевым и "
         "больше ничего не происходит", "Сломался ноутбук..."),
        # "2.5" and "отчёт.pdf" do not end a sentence
        ("Не ставится версия 2.5 программы учёта, при установке файл отчёт.pdf не открывается "
         "и выдаёт ошибку доступа к каталогу",
         "Не ставится версия 2.5 программы учёта, при установке файл отчёт.pdf не…"),
    ],
)
def test_examples(text, title):
    assert make_title(text) == title


def test_long_russian_sentence_cut_at_a_word_with_ellipsis():
    text = ("Не работает принтер в 204 кабинете, очень нужно срочно напечатать договор для "
            "клиента сегодня до вечера")
    title = make_title(text)
    assert title == "Не работает принтер в 204 кабинете, очень нужно срочно напечатать договор для…"
    assert len(title) == 78  # "клиента" would not fit with the "…"


def test_no_dangling_punctuation_before_the_ellipsis():
    assert make_title("Принтер в кабинете 204, бухгалтерия и склад не работают", 30) == (
        "Принтер в кабинете 204…")
    assert make_title("Принтер в кабинете — не печатает и не сканирует совсем", 22) == (
        "Принтер в кабинете…")


def test_first_word_longer_than_the_limit_is_cut():
    url = "https://example.com/very/long/path/" + "x" * 100
    title = make_title(url + " не открывается")
    assert title == url[:79] + "…"
    assert len(title) == 80
    assert make_title("abcdef", 3) == "ab…"
    assert make_title("abcdef", 1) == "…"


def test_first_sentence_that_does_not_fit_falls_back_to_words():
    text = "Слово " * 20 + "конец. Второе предложение."
    assert make_title(text, 40) == "Слово Слово Слово Слово Слово Слово…"


def test_limit_must_be_positive():
    with pytest.raises(ValueError):
        make_title("x", 0)


_words = st.sampled_from(["принтер", "не", "работает", "204", "кабинет.", "Привет!", "как?",
                          "дела…", "https://example.com/" + "a" * 90, "—", "и,", "x" * 30,
                          "😀", "т.е.", "2.5"])


@settings(max_examples=200, deadline=None)
@given(st.lists(_words | st.sampled_from([" ", "\n", "  ", "\t"]), max_size=40).map(" ".join),
       st.integers(1, 100))
def test_title_properties(text, limit):
    norm = " ".join(text.split())
    title = make_title(text, limit)
    assert len(title) <= limit
    assert bool(title) == bool(norm)
    if len(norm) <= limit:
        assert title == norm
    elif not title.endswith("…") or norm.startswith(title):
        # a whole first sentence (which may itself end in "…")
        assert norm.startswith(title) and title[-1] in ".!?…"
        assert norm[len(title)] == " "
    else:
        core = title[:-1]
        first = norm.split(" ")[0]
        if len(first) > limit - 1:  # only an over-long first word is cut
            assert core == first[: limit - 1]
        else:  # otherwise whole words: what follows is a space (or stripped punctuation)
            assert core and norm.startswith(core)
            assert norm[len(core)] in _DANGLING
