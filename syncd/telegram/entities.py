"""Our neutral formatting entities to Telethon's MessageEntity types."""

from __future__ import annotations

from telethon.tl import types

from syncd.formatting.entities import Entity

_SIMPLE = {
    "bold": types.MessageEntityBold,
    "italic": types.MessageEntityItalic,
    "underline": types.MessageEntityUnderline,
    "strike": types.MessageEntityStrike,
    "code": types.MessageEntityCode,
    "blockquote": types.MessageEntityBlockquote,
}


def to_telethon(entities: tuple[Entity, ...]) -> list[types.TypeMessageEntity]:
    out: list[types.TypeMessageEntity] = []
    for e in entities:
        if e.kind == "text_url" and e.url:
            out.append(types.MessageEntityTextUrl(offset=e.offset, length=e.length, url=e.url))
        elif e.kind == "pre":
            out.append(types.MessageEntityPre(offset=e.offset, length=e.length, language=e.language or ""))
        elif e.kind in _SIMPLE:
            out.append(_SIMPLE[e.kind](offset=e.offset, length=e.length))
    return out
