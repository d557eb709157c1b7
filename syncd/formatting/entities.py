"""Text with Telegram message entities, measured the way Telegram measures it.

Telegram counts entity offsets and lengths in UTF-16 code units, so an emoji outside the
Basic Multilingual Plane (two code units) shifts everything after it by two, not by one as
Python's ``len`` would.  Every offset in this package is therefore a UTF-16 offset, and the
helpers here are the only place that converts between the two measures.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field

KINDS = frozenset(
    {"bold", "italic", "underline", "strike", "code", "pre", "text_url", "blockquote"}
)

# Formatting that Telegram can split and merge freely; it must simply never sit inside
# code/pre (Telegram drops it there) and must nest properly with everything else.
_SPLITTABLE = ("bold", "italic", "underline", "strike")
_PRE_LIKE = frozenset({"code", "pre"})
# The order TDLib sorts entities that share a range: the outer one comes first.
_PRIORITY = {
    "blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_url": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strike": 93,
}


def utf16_len(s: str) -> int:
    """Length of ``s`` in UTF-16 code units (what Telegram calls the text length)."""
    # Encoding runs in C; "surrogatepass" keeps stray surrogates from raising.
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


def utf16_offsets(s: str) -> list[int]:
    """``result[i]`` is the UTF-16 offset of character ``i``; ``result[len(s)]`` the total."""
    out = [0] * (len(s) + 1)
    pos = 0
    for i, ch in enumerate(s):
        out[i] = pos
        pos += 2 if ord(ch) > 0xFFFF else 1
    out[len(s)] = pos
    return out


def slice16(s: str, start: int, end: int) -> str:
    """The characters of ``s`` between two UTF-16 offsets (which must fall on characters)."""
    if utf16_len(s) == len(s):  # the common all-BMP case needs no mapping
        return s[start:end]
    offs = utf16_offsets(s)
    return s[bisect.bisect_left(offs, start) : bisect.bisect_left(offs, end)]


@dataclass(frozen=True)
class Entity:
    """One Telegram message entity; ``offset``/``length`` are in UTF-16 code units."""

    kind: str  # "bold"|"italic"|"underline"|"strike"|"code"|"pre"|"text_url"|"blockquote"
    offset: int
    length: int
    url: str | None = None  # text_url only
    language: str | None = None  # pre only (may stay None)

    def __post_init__(self) -> None:
        # Fail at construction: a bad entity found later, at send time, costs a message.
        if self.kind not in KINDS:
            raise ValueError(f"unknown entity kind {self.kind!r}")
        if self.offset < 0 or self.length < 0:
            raise ValueError(f"negative offset/length in {self!r}")
        if self.kind == "text_url" and not self.url:
            raise ValueError("a text_url entity needs a url")

    @property
    def end(self) -> int:
        return self.offset + self.length

    def moved(self, offset: int, length: int | None = None) -> Entity:
        """The same entity at another place (used when shifting and cutting)."""
        return Entity(
            self.kind, offset, self.length if length is None else length, self.url, self.language
        )


@dataclass(frozen=True)
class FormattedText:
    """Plain text plus the entities that format it, ready for a Telegram send call."""

    text: str
    entities: tuple[Entity, ...] = field(default=())

    def __post_init__(self) -> None:
        # Accept any iterable (a list is the natural thing to build) but store a tuple so
        # the value stays hashable and immutable.
        if not isinstance(self.entities, tuple):
            object.__setattr__(self, "entities", tuple(self.entities))

    @property
    def utf16_length(self) -> int:
        return utf16_len(self.text)

    @classmethod
    def plain(cls, text: str) -> FormattedText:
        return cls(text)

    @classmethod
    def styled(
        cls, text: str, kind: str, *, url: str | None = None, language: str | None = None
    ) -> FormattedText:
        """``text`` entirely covered by one entity, e.g. a bold header line."""
        n = utf16_len(text)
        return cls(text, (Entity(kind, 0, n, url, language),) if n else ())

    @staticmethod
    def concat(*parts: FormattedText | str) -> FormattedText:
        """Join pieces, shifting each piece's entities by the UTF-16 length before it."""
        texts: list[str] = []
        entities: list[Entity] = []
        shift = 0
        for part in parts:
            if isinstance(part, str):
                part = FormattedText(part)
            texts.append(part.text)
            entities.extend(e.moved(e.offset + shift) for e in part.entities)
            shift += utf16_len(part.text)
        # Each piece is sorted and the pieces follow each other, so this stays sorted.
        return FormattedText("".join(texts), tuple(entities))

    def __add__(self, other: FormattedText | str) -> FormattedText:
        if not isinstance(other, (FormattedText, str)):
            return NotImplemented
        return FormattedText.concat(self, other)

    def __radd__(self, other: str) -> FormattedText:
        if not isinstance(other, str):
            return NotImplemented
        return FormattedText.concat(other, self)

    def entity_text(self, entity: Entity) -> str:
        """The characters an entity covers (handy in tests and logs)."""
        return slice16(self.text, entity.offset, entity.end)

    def normalized(self) -> FormattedText:
        return FormattedText(self.text, normalize_entities(self.text, self.entities))


def _sort_key(e: Entity) -> tuple[int, int, int]:
    return (e.offset, -e.length, _PRIORITY.get(e.kind, 50))


def _is_laminar(spans: Iterable[tuple[int, int]]) -> bool:
    """True when any two spans are either disjoint or one contains the other."""
    ends: list[int] = []
    for start, end in sorted(spans, key=lambda s: (s[0], -s[1])):
        while ends and ends[-1] <= start:
            ends.pop()
        if ends and end > ends[-1]:
            return False
        ends.append(end)
    return True


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Union of spans; touching spans merge too (Telegram would merge them anyway)."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _subtract(spans: list[tuple[int, int]], holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``spans`` minus ``holes``; both sorted and non-overlapping (a linear sweep)."""
    out: list[tuple[int, int]] = []
    j = 0
    for start, end in spans:
        while j < len(holes) and holes[j][1] <= start:
            j += 1
        cur, k = start, j
        while k < len(holes) and holes[k][0] < end:
            if holes[k][0] > cur:
                out.append((cur, holes[k][0]))
            cur = max(cur, holes[k][1])
            k += 1
        if cur < end:
            out.append((cur, end))
    return out


def _inside_or_apart(e: Entity, quotes: list[Entity], starts: list[int]) -> bool:
    """Is ``e`` entirely inside one blockquote or outside all (quotes sorted, disjoint)?"""
    i = bisect.bisect_right(starts, e.offset) - 1
    if i >= 0 and quotes[i].end > e.offset:  # starts inside quote i: must end inside it
        return e.end <= quotes[i].end
    return i + 1 >= len(quotes) or quotes[i + 1].offset >= e.end


def _cut_to_nest(
    family: list[tuple[int, int]], spans: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Cut each span at the borders of the family members it partially overlaps, so that
    every piece nests properly with the family (Telegram never accepts partial overlaps).

    ``family`` must already nest properly and ``spans`` must not overlap each other.  A
    piece can then not partially overlap anything: a member containing a cut point would
    partially overlap the member that cut point belongs to.
    """
    by_start = sorted(family)
    starts = [a for a, _ in by_start]
    by_end = sorted(family, key=lambda m: m[1])
    ends = [b for _, b in by_end]
    out: list[tuple[int, int]] = []
    for s, e in spans:
        cuts = {a for a, b in by_start[bisect.bisect_right(starts, s) : bisect.bisect_left(starts, e)]
                if b > e}
        cuts.update(b for a, b in by_end[bisect.bisect_right(ends, s) : bisect.bisect_left(ends, e)]
                    if a < s)
        points = [s, *sorted(cuts), e]
        out.extend(zip(points, points[1:], strict=False))
    return out


def normalize_entities(text: str, entities: Iterable[Entity]) -> tuple[Entity, ...]:
    """Make entities acceptable to Telegram and rendered as intended.

    * clamped to the text, never starting or ending inside a surrogate pair, no empty ones;
    * code/pre/text_url never overlap each other (the first one wins, as in TDLib);
    * blockquotes never nest, and hold code/pre/text_url only entirely;
    * bold/italic/underline/strike are merged per kind, removed from inside code/pre and
      cut where they would partially overlap something else;
    * sorted by offset (outer entity first when two share a start).
    """
    total = utf16_len(text)
    # UTF-16 offsets that fall between the two halves of an astral character.
    inside_pair: set[int] = set()
    if total != len(text):
        offs = utf16_offsets(text)
        inside_pair = {offs[i] + 1 for i, ch in enumerate(text) if ord(ch) > 0xFFFF}

    clean: list[Entity] = []
    for e in entities:
        start = min(max(e.offset, 0), total)
        end = min(max(e.end, start), total)
        # Widen rather than narrow: the entity keeps covering the whole emoji.
        if start in inside_pair:
            start -= 1
        if end in inside_pair:
            end += 1
        if end > start:
            clean.append(e.moved(start, end - start))

    continuous: list[Entity] = []
    last_end = 0
    for e in sorted((e for e in clean if e.kind in _PRE_LIKE or e.kind == "text_url"), key=_sort_key):
        if e.offset >= last_end:
            continuous.append(e)
            last_end = e.end

    quotes: list[Entity] = []
    last_end = 0
    for e in sorted((e for e in clean if e.kind == "blockquote"), key=_sort_key):
        if e.offset >= last_end:
            quotes.append(e)
            last_end = e.end
    quote_starts = [q.offset for q in quotes]
    continuous = [c for c in continuous if _inside_or_apart(c, quotes, quote_starts)]

    result = continuous + quotes
    family = [(e.offset, e.end) for e in result]
    holes = [(e.offset, e.end) for e in continuous if e.kind in _PRE_LIKE]
    styled = {
        kind: _subtract(_merge([(e.offset, e.end) for e in clean if e.kind == kind]), holes)
        for kind in _SPLITTABLE
    }
    if not _is_laminar(family + [span for spans in styled.values() for span in spans]):
        # Only for misnested input (or touching spans merged above): cut where needed.
        for kind in _SPLITTABLE:
            styled[kind] = _cut_to_nest(family, styled[kind])
            family.extend(styled[kind])
    result.extend(
        Entity(kind, s, e - s) for kind, spans in styled.items() for s, e in spans if e > s
    )
    return tuple(sorted(result, key=_sort_key))
