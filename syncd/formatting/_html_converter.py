"""The HTML walker behind :func:`syncd.formatting.okdesk_html.html_to_telegram`.

It keeps a stack of open elements (so misnested and unclosed tags still end up as properly
nested entities) and tells the :class:`TextBuilder` what each element means for layout.
The decisions it implements are listed in the docstring of ``okdesk_html``.
"""

from __future__ import annotations

import re
from collections.abc import Container
from html.parser import HTMLParser

from . import _html_rules as rules
from ._builder import TextBuilder
from ._html_rules import Frame, LinkState, ListState, PreBuffer, RowState
from .entities import FormattedText

_HTML_WS = " \t\n\r\f"
_TOKENS = re.compile(r"[ \t\n\r\f]+|\xa0+|[^ \t\n\r\f\xa0]+")
_LEADING_BLANK_LINES = re.compile(r"\A(?:[^\S\n]*\n)+")
_BULLETS = ("•", "◦", "▪")
_HR_TEXT = "———"
_CELL_SEPARATOR = " | "


class Converter(HTMLParser):
    def __init__(self, source: str, base_url: str | None, image_label: str) -> None:
        super().__init__(convert_charrefs=True)
        self.out = TextBuilder()
        self._source = source
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self._base_url = base_url
        self._image_label = image_label
        self._stack: list[Frame] = []
        self._drop: list[str] = []
        self._pre: PreBuffer | None = None
        self._rows: list[RowState] = []
        self._lists: list[ListState] = []
        self._quote_depth = 0
        self._code_depth = 0  # inside code: Telegram allows no entity within
        self._link_depth = 0  # inside a text_url: no code (they may not nest)

    def run(self) -> FormattedText:
        self.feed(self._source)
        self.close()
        if self._stack:
            self._pop_to(0)
        return self.out.finish()

    # -- text -----------------------------------------------------------------------------

    def handle_data(self, data: str) -> None:
        if self._drop:
            return
        if self._pre is not None:
            self._pre.add(data.replace("\xa0", " "))
            return
        out = self.out
        mode = next((f.ws for f in reversed(self._stack) if f.ws), "normal")
        for m in _TOKENS.finditer(data):
            tok = m.group()
            if tok[0] == "\xa0":
                out.hard_space(len(tok))
            elif tok[0] not in _HTML_WS:
                out.write(tok)
            elif mode == "normal":
                out.soft_space()
            else:  # white-space: pre/pre-wrap/pre-line keep the line breaks
                for i, chunk in enumerate(tok.split("\n")):
                    if i:
                        out.line_break()
                    if chunk and mode == "pre":
                        out.hard_space(len(chunk))
                    elif chunk:
                        out.soft_space()

    def handle_comment(self, data: str) -> None:
        pass  # comments (including Word's <!--[if mso]> blocks) are not text

    def unknown_decl(self, data: str) -> None:
        if data.startswith("CDATA["):
            self.handle_data(data[len("CDATA["):])

    # -- tags -----------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, self.get_starttag_text())

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, self.get_starttag_text())
        if (self._drop or rules.is_known(tag)) and tag not in rules.VOID:
            self.handle_endtag(tag)

    def _start(self, tag: str, attrs: list[tuple[str, str | None]], raw: str | None) -> None:
        if self._drop or tag in rules.DROP:
            if tag in rules.DROP:
                self._drop.append(tag)
            return
        if not rules.is_known(tag):
            self.handle_data(raw or "")
            return
        a = dict(attrs)
        if self._pre is not None:
            self._start_in_pre(tag, a, attrs, raw)
            return
        self._implicit_close(tag)
        out = self.out
        if tag == "br":
            out.line_break()
            return
        if tag == "hr":
            out.request_break(1)
            out.write(_HR_TEXT)
            out.request_break(1)
            return
        if tag in ("img", "image"):
            self._image(a, raw)
            return
        if tag in rules.VOID:
            return
        frame = Frame(tag, attrs, raw)
        self._stack.append(frame)
        frame.close_break = rules.BLOCK_BREAKS.get(tag, 0)
        if frame.close_break:
            out.request_break(frame.close_break)
        frame.ws = rules.white_space_mode(a.get("style"))
        add, suppress = rules.style_kinds(a.get("style"))
        kinds = set(add)
        if tag in rules.INLINE_ENTITY:
            kinds.add(rules.INLINE_ENTITY[tag])
        if tag in rules.HEADINGS or tag == "th":
            kinds.add("bold")
        kinds -= suppress
        frame.formatting = tag in rules.INLINE_ENTITY or (tag in ("span", "font") and bool(kinds))

        if tag in rules.LISTS:
            style = (a.get("type") or "1").strip()
            start = rules.to_int(a.get("start"), 1)
            self._lists.append(ListState(tag == "ol", start, style, len(self._lists) + 1))
            frame.kind = "list"
        elif tag == "li":
            self._list_item(a)
            frame.kind = "li"
        elif tag == "tr":
            self._rows.append(RowState())
            frame.kind = "row"
        elif tag in ("td", "th"):
            frame.kind, frame.pos = "cell", out.pos
            frame.row = self._rows[-1] if self._rows else None
            out.inline_only += 1
            out.soft_space()
            if frame.row is not None and frame.row.has_text:
                out.set_separator(_CELL_SEPARATOR)
        elif tag in rules.PRE_TAGS:
            self._pre = PreBuffer([], rules.pre_language(a))
            frame.kind = "pre"
            return
        elif tag == "blockquote":
            if not (self._quote_depth or self._code_depth or self._link_depth):
                frame.entities.append(out.open_entity("blockquote"))
            self._quote_depth += 1
            frame.kind = "quote"
        elif tag == "a":
            self._start_link(frame, raw, a)
        for kind in ("bold", "italic", "underline", "strike", "code"):
            if kind not in kinds or self._code_depth or (kind == "code" and self._link_depth):
                continue
            if kind == "code":
                self._code_depth += 1
                frame.code = True
            frame.entities.append(out.open_entity(kind))

    def _list_item(self, a: dict[str, str | None]) -> None:
        lst = self._lists[-1] if self._lists else None
        if lst is not None and lst.ordered:
            lst.counter = rules.to_int(a.get("value"), lst.counter)
            marker = rules.ordinal(lst.counter, lst.style) + ". "
            lst.counter += 1
        else:
            marker = _BULLETS[((lst.depth if lst else 1) - 1) % len(_BULLETS)] + " "
        self.out.set_marker(marker)
        # Continuation lines and nested lists line up under the item text.
        self.out.push_indent(self.out.indent + " " * len(marker))

    def _start_link(self, frame: Frame, raw: str | None, a: dict[str, str | None]) -> None:
        href = rules.raw_attr(raw, "href") if raw else a.get("href")
        url, shown = rules.resolve_url(href, self._base_url)
        entity = None
        if url and not self._code_depth:
            entity = self.out.open_entity("text_url", url=url)
            self._link_depth += 1
        frame.kind = "link"
        frame.link = LinkState(url, shown, entity, self.out.start_capture())

    def _start_in_pre(
        self, tag: str, a: dict[str, str | None], attrs: list[tuple[str, str | None]],
        raw: str | None,
    ) -> None:
        pre = self._pre
        assert pre is not None
        if tag == "br":
            pre.add("\n")
        elif tag == "hr":
            pre.add(f"\n{_HR_TEXT}\n")
        elif tag in ("img", "image"):
            pre.add(self._image_text(a, raw))
        if tag in rules.VOID:
            return
        frame = Frame(tag, attrs, raw)
        self._stack.append(frame)
        if tag == "code" and pre.language is None:
            pre.language = rules.pre_language(a)
        if tag in rules.BLOCK_BREAKS:
            frame.kind = "pre-block"
            self._pre_newline()
        elif tag == "a":
            url, shown = rules.resolve_url(rules.raw_attr(raw, "href"), self._base_url)
            frame.kind = "link"
            frame.link = LinkState(url, shown, None, None, pre.length)

    def _pre_newline(self) -> None:
        pre = self._pre
        if pre is not None and pre.length and not pre.parts[-1].endswith("\n"):
            pre.add("\n")

    def _image_text(self, a: dict[str, str | None], raw: str | None) -> str:
        name = rules.image_name(a.get("alt"), rules.raw_attr(raw, "src"))
        return f"[{self._image_label}: {name}]" if name else f"[{self._image_label}]"

    def _image(self, a: dict[str, str | None], raw: str | None) -> None:
        out = self.out
        text = self._image_text(a, raw)
        url, _ = rules.resolve_url(rules.raw_attr(raw, "src"), self._base_url)
        out.soft_space()
        if url and not (self._link_depth or self._code_depth):
            entity = out.open_entity("text_url", url=url)
            out.write(text)
            out.close_entity(entity)
        else:
            out.write(text)
        out.soft_space()

    def handle_endtag(self, tag: str) -> None:
        if self._drop:
            if tag in self._drop:
                while self._drop.pop() != tag:
                    pass
            return
        if not rules.is_known(tag):
            self.handle_data(self._raw_endtag(tag))
            return
        if tag == "br":  # browsers treat </br> as <br>
            self._start("br", [], None)
            return
        idx = next((i for i in range(len(self._stack) - 1, -1, -1)
                    if self._stack[i].tag == tag), None)
        if idx is None:
            if tag == "p" and self._pre is None:  # a stray </p> is an empty paragraph
                self.out.request_break(2)
            return
        closed = self._pop_to(idx)
        # <b>1<i>2</b>3</i>: like a browser, "3" stays italic.
        if closed[0].formatting:
            for f in closed[1:]:
                if f.formatting:
                    self._start(f.tag, f.attrs, f.starttag)

    def _raw_endtag(self, tag: str) -> str:
        line, col = self.getpos()
        i = self._line_starts[min(line, len(self._line_starts)) - 1] + col
        if self._source.startswith("</", i):
            j = self._source.find(">", i)
            if j != -1:
                return self._source[i : j + 1]
        return f"</{tag}>"

    def _implicit_close(self, tag: str) -> None:
        """End tags HTML lets authors omit: <li>a<li>b, <td>a<td>b, <p>a<p>b."""
        if tag == "a":  # links cannot nest: a new one ends the open one
            self._close_open({"a"}, stop=())
        elif tag == "li":
            self._close_open({"li"}, stop=rules.LISTS)
        elif tag in ("dt", "dd"):
            self._close_open({"dt", "dd"}, stop={"dl"})
        elif tag in ("td", "th"):
            self._close_open({"td", "th"}, stop={"tr", "table"})
        elif tag == "tr":
            self._close_open({"td", "th"}, stop={"tr", "table"})
            self._close_open({"tr"}, stop={"table"})
        if tag in rules.BLOCK_BREAKS and tag not in ("li", "dt", "dd", "tr", "option"):
            self._close_open({"p"}, stop=rules.BLOCK_BREAKS.keys() | {"td", "th"})

    def _close_open(self, targets: set[str], stop: Container[str]) -> None:
        for i in range(len(self._stack) - 1, -1, -1):
            tag = self._stack[i].tag
            if tag in targets:
                self._pop_to(i)
                return
            if tag in stop:
                return

    def _pop_to(self, idx: int) -> list[Frame]:
        closed = self._stack[idx:]
        del self._stack[idx:]
        for frame in reversed(closed):
            self._close_frame(frame)
        return closed

    def _close_frame(self, f: Frame) -> None:
        out = self.out
        for entity in reversed(f.entities):
            out.close_entity(entity)
        if f.code:
            self._code_depth -= 1
        if f.link is not None:
            self._finish_link(f.link)
        if f.kind == "li":
            out.clear_marker()
            out.pop_indent()
        elif f.kind == "list" and self._lists:
            self._lists.pop()
        elif f.kind == "row" and self._rows:
            self._rows.pop()
        elif f.kind == "cell":
            out.inline_only -= 1
            if f.row is not None and out.pos != f.pos:
                f.row.has_text = True
        elif f.kind == "quote":
            self._quote_depth -= 1
        elif f.kind == "pre":
            self._finish_pre()
        elif f.kind == "pre-block":
            self._pre_newline()
        if f.close_break and f.kind != "pre-block":
            out.request_break(f.close_break)

    def _finish_link(self, link: LinkState) -> None:
        if link.pre_mark is not None:  # inside <pre>: no entities, print the address
            if self._pre is None:
                return
            text = self._pre.text()[link.pre_mark :]
            address = link.url or link.shown
            if address and text.strip() and not rules.same_address(text, address):
                self._pre.add(f" ({address})")
            return
        text = self.out.end_capture(link.capture) if link.capture is not None else ""
        if link.entity is not None:
            self._link_depth -= 1
            self.out.close_entity(link.entity, keep=not rules.same_address(text, link.url or ""))
            return
        address = link.shown or link.url
        if address and text.strip() and not rules.same_address(text, address):
            self.out.soft_space()
            self.out.write(f"({address})")

    def _finish_pre(self) -> None:
        pre, self._pre = self._pre, None
        if pre is None:
            return
        # HTML drops the newline right after <pre>; blank lines around only pad the block
        # (the indentation of the first line is kept: it is part of the code).
        text = _LEADING_BLANK_LINES.sub("", pre.text()).rstrip()
        if not text:
            return
        out = self.out
        out.request_break(1)
        entity = None
        if not (self._code_depth or self._link_depth):
            entity = out.open_entity("pre", language=pre.language)
        out.write(text, verbatim=True)
        if entity is not None:
            out.close_entity(entity)
