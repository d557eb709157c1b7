"""Client text from Telegram -> HTML for an Okdesk comment or issue description.

What a client sends is untrusted: staff open the result in Okdesk's web interface, logged in. So
every character of text is escaped, the only tags are the few this module writes, and a link
keeps its <a> only when its address is http(s), mailto, tel or tg; any other (``javascript:``,
``data:``, ``vbscript:``, no scheme at all...) leaves its label as plain text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from .entities import Entity, FormattedText, normalize_entities, utf16_offsets

__all__ = ["entities_to_okdesk_html", "safe_href", "text_to_okdesk_html"]

SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel", "tg"})
# What a browser ignores in a URL (WHATWG URL standard): C0 controls and spaces around it, and
# tabs and line breaks anywhere, so "java\tscript:" and " JavaScript:" are both javascript:.
_AROUND = "".join(chr(c) for c in range(0x21))
_INSIDE = re.compile(r"[\t\n\r]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# An explicit scheme, ASCII only: str.lower() would turn the Kelvin sign "K" into "k".
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_TAGS = {"bold": "strong", "italic": "em", "underline": "u", "strike": "del", "code": "code",
         "pre": "pre", "blockquote": "blockquote"}


def safe_href(url: str | None) -> str | None:
    """The address as a browser would read it when its scheme is one we let through, else None."""
    if not url:
        return None
    cleaned = _INSIDE.sub("", url).strip(_AROUND)
    scheme = _SCHEME.match(cleaned)
    if scheme is None or scheme.group(1).lower() not in SAFE_SCHEMES:
        return None
    # Other control characters have no business in an attribute: percent-encoded, as a browser would.
    return _CONTROL.sub(lambda m: f"%{ord(m.group()):02X}", cleaned)


def _escaped(text: str) -> str:
    """Element content: escaped, every line break (\\n, \\r\\n or \\r) a <br>."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return html.escape(text, quote=False).replace("\n", "<br>")


def text_to_okdesk_html(text: str) -> str:
    """Escape ``text`` for HTML and turn its line breaks into ``<br>``.

    Nothing else is rewritten: every character the client typed reaches Okdesk (runs of
    spaces included, even though a browser shows them as one).  Quotes are left alone,
    because the result is element content, never an attribute value.
    """
    return _escaped(text)


def entities_to_okdesk_html(text: str, entities: Iterable[Entity]) -> str:
    """``text`` escaped, with its formatting as HTML tags (bold <strong>, italic <em>, underline
    <u>, strike <del>, code <code>, pre <pre>, quote <blockquote>, a safe link <a href>).

    Entities are normalized first, so tags always nest properly; line breaks become <br>. A
    pre's language is not kept: it would be one more attribute to trust, and helps no reader.
    """
    ft = FormattedText(text, normalize_entities(text, entities))
    if not ft.entities:
        return _escaped(text)
    offs = utf16_offsets(text)
    char_at = {o: i for i, o in enumerate(offs)}  # normalized entities fall on whole characters
    opening: dict[int, list[Entity]] = {}
    for e in ft.entities:  # sorted: outer first where two start together
        opening.setdefault(char_at[e.offset], []).append(e)
    out: list[str] = []
    stack: list[tuple[int, str]] = []  # (end offset, closing tag)
    last = 0
    for i in sorted({char_at[e.offset] for e in ft.entities} | {char_at[e.end] for e in ft.entities}):
        out.append(_escaped(text[last:i]))
        last = i
        # Normalized entities nest: the ones ending here are on top of the stack.
        while stack and stack[-1][0] <= offs[i]:
            out.append(stack.pop()[1])
        for e in opening.get(i, ()):
            tag = _open_tag(e)
            out.append(tag[0])
            stack.append((e.end, tag[1]))
    out.append(_escaped(text[last:]))
    out.extend(closing for _end, closing in reversed(stack))
    return "".join(out)


def _open_tag(e: Entity) -> tuple[str, str]:
    """(opening, closing) tag for an entity; a link whose address is not safe gets none."""
    if e.kind == "text_url":
        href = safe_href(e.url)
        return (f'<a href="{html.escape(href, quote=True)}">', "</a>") if href else ("", "")
    name = _TAGS[e.kind]
    return f"<{name}>", f"</{name}>"
