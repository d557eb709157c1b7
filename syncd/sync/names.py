"""A client's name as they typed it at sign-up, read the way the question asks for it: «Фамилия Имя».

The question shows an example («Петров Иван»), so the words are read in that order, whatever the
language: the first is the last name, the second the first name, and anything after them the
patronymic (Okdesk's contacts keep the three apart). Okdesk refuses a contact without a last name,
so a single word is not made into a contact: the client is asked again for both, rather than given an
invented last name.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

MIN_CHARS, MAX_CHARS = 2, 100


class NameProblem(Enum):
    NOT_A_NAME = "not_a_name"  # empty, too short or long, a command, or a word without a letter
    LAST_NAME_MISSING = "last_name_missing"  # one word: a first name alone


@dataclass(frozen=True)
class FullName:
    last: str
    first: str
    patronymic: str | None = None


def parse_full_name(text: str) -> FullName | NameProblem:
    """The name in ``text`` («Петров Иван», «Петров Иван Сергеевич»), or why it is not one."""
    text = text.strip()
    if not MIN_CHARS <= len(text) <= MAX_CHARS or text.startswith("/"):
        return NameProblem.NOT_A_NAME
    words = text.split()
    if not all(any(ch.isalpha() for ch in word) for word in words):
        return NameProblem.NOT_A_NAME
    if len(words) == 1:
        return NameProblem.LAST_NAME_MISSING
    return FullName(last=words[0], first=words[1], patronymic=" ".join(words[2:]) or None)


def telegram_label(first: str | None, last: str | None) -> str | None:
    """The button offering the client's Telegram name, in the order the question asks for («Фамилия
    Имя»); None when Telegram has no last name for them (a button Okdesk would refuse is not offered)."""
    first, last = (first or "").strip(), (last or "").strip()
    if not first or not last:
        return None
    label = f"{last} {first}"
    return label if len(label) <= MAX_CHARS else None
