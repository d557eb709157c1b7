"""Telegram's limits on a message's formatting, and ever plainer versions of a text that fit them.

Telegram refuses a message whose entities are too many or too big with ENTITIES_TOO_LONG (or, as
reported, silently drops the entities past the 100th), and neither limit is documented exactly:

* at most 100 entities take effect (tdlib/telegram-bot-api #820, rubenlagus/TelegramBots #854);
* the entities' total size is limited, "about 9500 characters" of marked-up text according to a
  Telegram developer (tdlib/telegram-bot-api #165). We measure it as each entity's length plus the
  length of the URL it carries.

The splitter keeps every part within these limits (:func:`syncd.formatting.split_formatted`), so a
message is reduced here only when it was made otherwise (an old outbox item) or when Telegram's real
measure is stricter than ours. Reducing never loses words, and a link's address is never lost
silently: a link that can no longer be an entity is written out after its label, "label (url)",
when the message still fits 4096 UTF-16 units; what cannot be written out is counted, for the log.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .entities import Entity, FormattedText, slice16, utf16_len, utf16_offsets

__all__ = ["MAX_ENTITIES", "MAX_ENTITIES_SIZE", "TEXT_LIMIT", "Attempt", "attempts", "entities_size", "fits"]

TEXT_LIMIT = 4096  # UTF-16 code units of one message
MAX_ENTITIES = 100
MAX_ENTITIES_SIZE = 9500


def entity_size(entity: Entity) -> int:
    return entity.length + utf16_len(entity.url or "")


def entities_size(entities: Iterable[Entity]) -> int:
    """What the size limit measures: each entity's length plus its URL's (UTF-16 units)."""
    return sum(entity_size(e) for e in entities)


def fits(ft: FormattedText, max_entities: int = MAX_ENTITIES, max_size: int = MAX_ENTITIES_SIZE) -> bool:
    return len(ft.entities) <= max_entities and entities_size(ft.entities) <= max_size


@dataclass(frozen=True)
class Attempt:
    """One version of a message to send; ``urls_lost``: links whose address it shows nowhere."""

    text: FormattedText
    urls_lost: int = 0


def attempts(ft: FormattedText, max_entities: int = MAX_ENTITIES,
             max_size: int = MAX_ENTITIES_SIZE) -> Iterator[Attempt]:
    """The versions of ``ft`` (normalized: links never overlap) to try in turn, each after
    Telegram refused the one before as ENTITIES_TOO_LONG: first the richest that fits the known
    limits (``ft`` itself when it does), then ever fewer entities, the last with none. Each has
    fewer entities than the one before.

    The order: ``ft``; its links only (bold, italic, code... dropped: they carry no information);
    the first links, as many as fit the limits; then half of those, a quarter..., none. Links that
    are no longer entities are written out after their label.
    """
    candidates = _ladder(ft, max_entities, max_size)
    first = next(candidates)
    while not fits(first.text, max_entities, max_size):
        first = next(candidates)
    yield first
    yield from candidates


def _ladder(ft: FormattedText, max_entities: int, max_size: int) -> Iterator[Attempt]:
    yield Attempt(ft)
    if not ft.entities:
        return
    links = sorted((e for e in ft.entities if e.kind == "text_url"), key=lambda e: e.offset)
    if len(links) < len(ft.entities):
        yield Attempt(FormattedText(ft.text, tuple(links)))
    if not links:
        return
    fitting, total = 0, 0
    for link in links[:max(max_entities, 0)]:
        total += entity_size(link)
        if total > max_size:
            break
        fitting += 1
    keep = fitting if fitting < len(links) else len(links) // 2
    while True:
        yield _links_written_out(ft.text, links, keep)
        if keep == 0:
            return
        keep //= 2


def shows_url(label: str, url: str) -> bool:
    """Does the label already show the address (so writing it out again adds nothing)?"""
    def bare(s: str) -> str:
        s = s.strip().lower()
        for scheme in ("https://", "http://"):
            if s.startswith(scheme):
                s = s[len(scheme):]
        return s.rstrip("/")

    return bare(label) == bare(url)


def _links_written_out(text: str, links: list[Entity], keep: int) -> Attempt:
    """``text`` with the first ``keep`` links as entities and no other entity; every other link's
    address written after its label as " (url)" while the text stays within TEXT_LIMIT (in text
    order; one that does not fit is counted as lost and a shorter one after it may still fit)."""
    budget = TEXT_LIMIT - utf16_len(text)
    inserts: list[tuple[int, str]] = []  # (UTF-16 offset, what goes there), in text order
    lost = 0
    for link in links[keep:]:
        assert link.url is not None  # a text_url always has one (Entity checks)
        label = slice16(text, link.offset, link.end)
        if shows_url(label, link.url):
            continue
        addition = f" ({link.url})"
        cost = utf16_len(addition)
        if cost > budget:
            lost += 1
            continue
        budget -= cost
        # Before the label's trailing whitespace: "label (url)\n", not "label\n (url)".
        inserts.append((link.end - (utf16_len(label) - utf16_len(label.rstrip())), addition))
    offs = utf16_offsets(text)
    pieces, last = [], 0
    for at, addition in inserts:
        cut = bisect.bisect_left(offs, at)  # the character at that UTF-16 offset
        pieces += [text[last:cut], addition]
        last = cut
    pieces.append(text[last:])
    # The links kept are the first ones and links never overlap: every insertion comes after them,
    # so their offsets stay as they are.
    return Attempt(FormattedText("".join(pieces), tuple(links[:keep])), lost)

