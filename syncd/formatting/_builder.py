"""Output side of the HTML converter: lays text out in lines and records entity ranges.

Whitespace and line breaks are never written when they are seen, only remembered, and then
settled when the next visible text arrives.  That one rule gives the layout a reader
expects without a clean-up pass that would have to move entity offsets around:

* no leading or trailing blank lines (nothing follows / nothing precedes them);
* at most one empty line in a row (the number of newlines is capped at two);
* no spaces at the start or end of a line (pending spaces die at a line break);
* an entity starts at its first visible character and ends after its last one.
"""

from __future__ import annotations

from .entities import Entity, FormattedText, normalize_entities, utf16_len


class OpenEntity:
    """An entity whose start is fixed by the first text written after it opened."""

    __slots__ = ("kind", "url", "language", "start")

    def __init__(self, kind: str, url: str | None, language: str | None) -> None:
        self.kind = kind
        self.url = url
        self.language = language
        self.start: int | None = None


class TextBuilder:
    def __init__(self) -> None:
        self._parts: list[str] = []
        self.pos = 0  # UTF-16 length written so far
        self._started = False
        self._newlines = 0  # newlines at the very end of the output
        self._want = 0  # newlines the next text must be preceded by
        self._soft = False  # collapsible HTML whitespace seen
        self._hard = 0  # &nbsp; seen: kept as that many spaces, like a browser shows them
        self._marker: str | None = None  # list marker ("• ", "2. ") for the next text
        self._marker_indent = ""
        self._separator: str | None = None  # table cell separator for the next text
        self._indents: list[str] = [""]
        self.inline_only = 0  # > 0 inside table cells: breaks become spaces, rows stay lines
        self._pending: list[OpenEntity] = []
        self._entities: list[Entity] = []
        self._captures: dict[int, list[str]] = {}
        self._next_capture = 0

    # -- whitespace and layout ------------------------------------------------------------

    def soft_space(self) -> None:
        self._soft = True

    def hard_space(self, count: int = 1) -> None:
        self._hard += count

    def request_break(self, newlines: int) -> None:
        """A block boundary: at least ``newlines`` newlines (2 = an empty line between)."""
        if self.inline_only:
            self._soft = True
            return
        self._soft, self._hard = False, 0  # spaces before a line break are never shown
        if self._marker is None:  # a block right at the start of a list item joins it
            self._want = max(self._want, newlines)

    def line_break(self) -> None:
        """<br>: one more newline than already pending (so <br><br> is an empty line)."""
        if self.inline_only:
            self._soft = True
            return
        self._soft, self._hard = False, 0
        if self._marker is None:
            self._want = max(self._want, self._newlines) + 1

    def set_marker(self, marker: str) -> None:
        self._marker = marker
        self._marker_indent = self._indents[-1]

    def clear_marker(self) -> None:
        self._marker = None

    def set_separator(self, separator: str) -> None:
        self._separator = separator

    @property
    def indent(self) -> str:
        return self._indents[-1]

    def push_indent(self, indent: str) -> None:
        self._indents.append(indent)

    def pop_indent(self) -> None:
        if len(self._indents) > 1:
            self._indents.pop()

    # -- text -----------------------------------------------------------------------------

    def write(self, text: str, verbatim: bool = False) -> None:
        """Write visible text; ``verbatim`` text (from <pre>) may contain newlines."""
        if not text:
            return
        if self._started:
            newlines = min(2, max(self._want, self._newlines))
            if newlines > self._newlines:
                self._emit("\n" * (newlines - self._newlines))
                self._newlines = newlines
        at_line_start = not self._started or self._newlines > 0
        if at_line_start:
            if self._marker is not None:  # (no indentation before the very first text)
                prefix = (self._marker_indent if self._started else "") + self._marker
            elif not self._started or verbatim:
                prefix = ""  # nothing before the first text; <pre> text is never indented
            else:
                prefix = self.indent + " " * self._hard
        elif self._separator is not None:
            prefix = self._separator
        else:
            spaces = (1 if self._soft else 0) + self._hard
            prefix = " " * spaces + (self._marker or "")
        self._emit(prefix)
        for entity in self._pending:
            entity.start = self.pos
        self._pending.clear()
        self._emit(text)
        self._newlines = len(text) - len(text.rstrip("\n"))
        self._started = True
        self._want = 0
        self._soft = False
        self._hard = 0
        self._marker = None
        self._separator = None

    def _emit(self, s: str) -> None:
        if s:
            self._parts.append(s)
            self.pos += utf16_len(s)
            for buf in self._captures.values():
                buf.append(s)

    # -- entities and captures ------------------------------------------------------------

    def open_entity(
        self, kind: str, url: str | None = None, language: str | None = None
    ) -> OpenEntity:
        entity = OpenEntity(kind, url, language)
        self._pending.append(entity)
        return entity

    def close_entity(self, entity: OpenEntity, keep: bool = True) -> None:
        if entity.start is None:  # nothing visible was written inside it
            if entity in self._pending:
                self._pending.remove(entity)
            return
        if keep and self.pos > entity.start:
            self._entities.append(
                Entity(entity.kind, entity.start, self.pos - entity.start, entity.url,
                       entity.language)
            )
        entity.start = None

    def start_capture(self) -> int:
        """Start collecting the text written from now on (a link's visible text)."""
        key = self._next_capture
        self._next_capture += 1
        self._captures[key] = []
        return key

    def end_capture(self, key: int) -> str:
        return "".join(self._captures.pop(key, []))

    def finish(self) -> FormattedText:
        for entity in list(self._pending):
            self._pending.remove(entity)
        text = "".join(self._parts)
        return FormattedText(text, normalize_entities(text, self._entities))
