"""Cut a long FormattedText into Telegram-sized messages without losing a character.

Guarantees (the tests check each one):

* every part is at most ``limit`` UTF-16 code units (``first_limit`` for the first part,
  e.g. 1024 for a media caption followed by 4096-unit messages), and none is empty;
* ``"".join(p.text for p in parts) == ft.text`` exactly: the whitespace at a cut goes to
  the end of the earlier part (Telegram trims it on display), nothing is added or dropped;
* an entity crossing a cut continues in the next part, offsets rebased to that part;
* with ``max_entities`` / ``max_entities_size``, no part carries more entities than that, nor
  entities of a greater total size (each entity's length within the part plus its URL's, see
  :mod:`syncd.formatting.entity_limits`), unless the entities on a part's first character alone
  exceed them: that part is then cut by length only (its formatting is reduced at send time).

Cut points, in order of preference, within the second half of the allowed window (the
longest part within every limit, so a part is never needlessly short): after a paragraph
break (an empty line), after a line break, after a space; failing all those, the last
whitespace anywhere in the window; and only then anywhere - but never inside a surrogate
pair (Python characters are whole code points, so that holds by construction) and, when
possible, not between a character and the combining mark, variation selector or zero-width
joiner that belongs to it.
"""

from __future__ import annotations

import bisect
import unicodedata

from .entities import Entity, FormattedText, utf16_len, utf16_offsets

__all__ = ["split_formatted"]

_PARAGRAPH, _LINE, _SPACE = 3, 2, 1


def _cut_quality(run: str) -> int:
    """How good a cut right after this whitespace run is."""
    newlines = run.count("\n")
    if newlines >= 2:
        return _PARAGRAPH
    return _LINE if newlines else _SPACE


def _glued_to_previous(ch: str) -> bool:
    """Characters that render as part of the character before them."""
    code = ord(ch)
    return (
        unicodedata.combining(ch) != 0
        or code == 0x200D  # zero-width joiner (inside emoji sequences)
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0x1F3FB <= code <= 0x1F3FF  # emoji skin tones
        or 0xE0020 <= code <= 0xE007F  # emoji tag sequences (flags of regions)
        or 0xE0100 <= code <= 0xE01EF
    )


def _choose_cut(text: str, start: int, hard_end: int, half: int) -> int:
    """Char index in (start, hard_end] to end this part at (``half`` = window middle)."""
    best_any = 0
    best_upper = {_PARAGRAPH: 0, _LINE: 0, _SPACE: 0}
    i = hard_end
    # Walk back over the window looking for ends of whitespace runs (text[c-1] is
    # whitespace, text[c] is not): cutting there moves the whole run to the earlier part.
    while i > start:
        if text[i - 1].isspace() and (i >= len(text) or not text[i].isspace()):
            run_start = i - 1
            while run_start > start and text[run_start - 1].isspace():
                run_start -= 1
            quality = _cut_quality(text[run_start:i])
            if run_start > start:  # a part must contain more than whitespace
                best_any = best_any or i
                if i >= half:
                    for q in (_PARAGRAPH, _LINE, _SPACE):
                        if quality >= q and not best_upper[q]:
                            best_upper[q] = i
            if best_upper[_PARAGRAPH] or (run_start < half and best_any):
                break
            i = run_start
        else:
            i -= 1
    for q in (_PARAGRAPH, _LINE, _SPACE):
        if best_upper[q]:
            return best_upper[q]
    if best_any:
        return best_any
    cut = hard_end
    while cut > start + 1 and cut < len(text) and (
        _glued_to_previous(text[cut]) or text[cut - 1] == "\u200d"
    ):
        cut -= 1
    return cut


def split_formatted(
    ft: FormattedText, limit: int = 4096, first_limit: int | None = None, *,
    max_entities: int | None = None, max_entities_size: int | None = None,
) -> list[FormattedText]:
    """Split ``ft`` into parts of at most ``limit`` UTF-16 units (the first one at most
    ``first_limit`` when given), each within the entity limits when given.  An empty text
    gives no parts."""
    if limit < 2 or (first_limit is not None and first_limit < 2):
        # Below 2 an emoji (two UTF-16 units) could never be placed.
        raise ValueError("limits must be at least 2 UTF-16 code units")
    text = ft.text
    if not text:
        return []
    offs = utf16_offsets(text)
    limited = bool(ft.entities) and (max_entities is not None or max_entities_size is not None)
    parts: list[FormattedText] = []
    start = 0
    while start < len(text):
        lim = first_limit if (first_limit is not None and not parts) else limit
        base = offs[start]
        # Largest end whose UTF-16 length still fits; bisect on the offsets table.
        hard_end = len(text) if offs[-1] - base <= lim else bisect.bisect_right(offs, base + lim, lo=start) - 1
        half = bisect.bisect_left(offs, base + lim // 2, lo=start)
        if limited:
            fitting = _entities_end(ft.entities, offs, start, hard_end, max_entities, max_entities_size)
            if fitting < hard_end:
                hard_end = fitting
                half = bisect.bisect_left(offs, (base + offs[fitting]) // 2, lo=start)
        end = len(text) if hard_end == len(text) else _choose_cut(text, start, hard_end, half)
        parts.append(_slice(ft, start, end, offs))
        start = end
    return parts


def _slice(ft: FormattedText, start: int, end: int, offs: list[int]) -> FormattedText:
    lo, hi = offs[start], offs[end]
    entities: list[Entity] = []
    for e in ft.entities:
        s, t = max(e.offset, lo), min(e.end, hi)
        if t > s:
            entities.append(e.moved(s - lo, t - s))
    return FormattedText(ft.text[start:end], tuple(entities))


def _load(entities: tuple[Entity, ...], lo: int, hi: int) -> tuple[int, int]:
    """(count, size) of the entities a part [lo, hi) (UTF-16 offsets) would carry."""
    count = size = 0
    for e in entities:
        s, t = max(e.offset, lo), min(e.end, hi)
        if t > s:
            count += 1
            size += t - s + utf16_len(e.url or "")
    return count, size


def _entities_end(entities: tuple[Entity, ...], offs: list[int], start: int, hard_end: int,
                  max_count: int | None, max_size: int | None) -> int:
    """The largest end in (start, hard_end] whose part stays within the entity limits; hard_end
    when even one character exceeds them (nothing shorter would help that part)."""
    def within(end: int) -> bool:
        count, size = _load(entities, offs[start], offs[end])
        return (max_count is None or count <= max_count) and (max_size is None or size <= max_size)

    if within(hard_end) or not within(start + 1):
        return hard_end
    # The load only grows with the end: bisect for the last end within the limits.
    lo, hi = start + 1, hard_end  # within(lo), not within(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if within(mid):
            lo = mid
        else:
            hi = mid
    return lo
