"""What a client's Telegram message says and carries, in the terms Okdesk needs.

Pure: a Telethon message in, a :class:`Content` out (text, HTML, files with their names). Every
kind of message becomes something: a location becomes coordinates and a map link, a shared
contact its name and phone, a sticker its emoji and the sticker file. Files without a name of
their own get one from the message date in the account's time zone, numbered within an album.
"""

from __future__ import annotations

import hashlib
import html
import json
import mimetypes
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, tzinfo
from typing import Any

from telethon.tl import types

from syncd.formatting.entities import Entity
from syncd.formatting.outgoing import entities_to_okdesk_html
from syncd.texts import t

# Formatting that means something in a helpdesk comment; mentions, spoilers, custom emoji do not.
# Addresses Telegram found in the text (url, email) stay words, the address being the text itself.
_KEPT_ENTITIES = {
    types.MessageEntityBold: "bold", types.MessageEntityItalic: "italic",
    types.MessageEntityUnderline: "underline", types.MessageEntityStrike: "strike",
    types.MessageEntityCode: "code", types.MessageEntityPre: "pre",
    types.MessageEntityTextUrl: "text_url", types.MessageEntityBlockquote: "blockquote",
}
_EXT_BY_MIME = {
    "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif",
    "video/mp4": "mp4", "video/webm": "webm", "video/quicktime": "mov",
    "audio/ogg": "ogg", "audio/mpeg": "mp3", "audio/mp4": "m4a", "audio/x-m4a": "m4a", "audio/wav": "wav",
    "application/x-tgsticker": "tgs", "application/pdf": "pdf",
}
_DEFAULT_EXT = {"photo": "jpg", "video": "mp4", "video_note": "mp4", "voice": "ogg", "audio": "mp3",
                "animation": "mp4", "sticker": "webp", "document": "bin"}


@dataclass(frozen=True)
class IncomingFile:
    kind: str  # photo | video | video_note | voice | audio | animation | sticker | document
    file_name: str
    size: int | None
    # Telegram's identity of the file (photo or document id): the same file sent twice has it twice.
    unique_id: str
    mime_type: str = "application/octet-stream"
    # The name was made from the message date (the file had none): numbered within an album.
    generated: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class Content:
    # What the client typed (text or caption), as typed.
    typed: str = ""
    # The same as HTML for Okdesk, formatting kept, line breaks as <br>.
    typed_html: str = ""
    # typed_html was made by syncd.formatting.outgoing (escaped, safe links only). A message recorded by
    # an older syncd lacks the mark: its HTML (Telethon's, which passed any link scheme and a code
    # block's language unescaped) is not trusted, and the words go plain.
    html_checked: bool = True
    # Words for what has no words of its own: a location, a contact, a sticker's emoji.
    extra_lines: tuple[str, ...] = ()
    files: tuple[IncomingFile, ...] = ()
    # texts key naming the kind of message, for a title when there is no text and no file.
    kind_key: str | None = None
    unsupported: bool = False

    @property
    def text(self) -> str:
        """Everything in words: the typed text, then the extra lines."""
        return "\n".join(p for p in (self.typed, *self.extra_lines) if p)

    @property
    def html(self) -> str:
        typed = self.typed_html if self.html_checked else entities_to_okdesk_html(self.typed, [])
        parts = [typed] if typed else []
        parts += [html.escape(line, quote=False) for line in self.extra_lines]
        return "<br>".join(parts)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> Content:
        data = json.loads(raw)
        data.setdefault("html_checked", False)  # recorded before the mark existed (see html_checked)
        files = tuple(IncomingFile(**f) for f in data.pop("files", []))
        return cls(files=files, extra_lines=tuple(data.pop("extra_lines", [])), **data)


@dataclass(frozen=True)
class Combined:
    """One message or one album: what becomes one comment or one issue."""

    parts: tuple[Content, ...] = field(default_factory=tuple)

    @property
    def files(self) -> tuple[IncomingFile, ...]:
        return tuple(f for p in self.parts for f in p.files)

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.parts if p.text)

    @property
    def typed(self) -> str:
        return "\n\n".join(p.typed for p in self.parts if p.typed)

    @property
    def html(self) -> str:
        return "<br><br>".join(p.html for p in self.parts if p.html)

    @property
    def kind_key(self) -> str | None:
        return next((p.kind_key for p in self.parts if p.kind_key), None)

    def fingerprint(self) -> str:
        """Same words and same files (by Telegram's ids) give the same fingerprint."""
        raw = json.dumps([" ".join(self.text.split()), sorted(f.unique_id for f in self.files)], ensure_ascii=False)
        return hashlib.sha256(raw.encode()).hexdigest()


def combine(parts: Sequence[Content]) -> Combined:
    """One message, or an album's messages in their order: made-up file names get the file's
    position within the album (``photo_<date>_2.jpg``), so an album's photos never share a name."""
    if len(parts) < 2:
        return Combined(tuple(parts))
    numbered = []
    for index, part in enumerate(parts, start=1):
        files = tuple(replace(f, file_name=_numbered(f.file_name, index)) if f.generated else f for f in part.files)
        numbered.append(replace(part, files=files))
    return Combined(tuple(numbered))


def _numbered(name: str, index: int) -> str:
    stem, dot, ext = name.rpartition(".")
    return f"{stem}_{index}.{ext}" if dot else f"{name}_{index}"


def typed_html(text: str, entities: Sequence[Any] | None) -> str:
    """The client's text as HTML for Okdesk: escaped, the formatting kept, a link only when its
    address is safe for staff to open (syncd.formatting.outgoing)."""
    kept: list[Entity] = []
    for e in entities or ():
        kind = _KEPT_ENTITIES.get(type(e))
        if kind is None:
            continue
        url = getattr(e, "url", None) if kind == "text_url" else None
        if kind == "text_url" and not url:
            continue  # a link to nowhere: its label stays as words
        try:
            kept.append(Entity(kind, e.offset, e.length, url))
        except ValueError:  # a negative offset or length: not formatting we can place
            continue
    return entities_to_okdesk_html(text, kept)


def stamp(when: datetime, tz: tzinfo) -> str:
    return when.astimezone(tz).strftime("%Y-%m-%d_%H-%M-%S")


def _ext(mime: str | None, kind: str) -> str:
    if mime and mime in _EXT_BY_MIME:
        return _EXT_BY_MIME[mime]
    guessed = mimetypes.guess_extension(mime or "") or ""
    return guessed.lstrip(".") or _DEFAULT_EXT[kind]


def generated_name(kind: str, when: datetime, tz: tzinfo, index: int | None, mime: str | None) -> str:
    suffix = f"_{index}" if index is not None else ""
    return f"{kind}_{stamp(when, tz)}{suffix}.{_ext(mime, kind)}"


def largest_photo_size(photo: types.Photo) -> tuple[str, int | None]:
    """The type and byte count of the photo's biggest stored size: the file the client sent, which is
    what is downloaded (syncd.relay.files) and what its size is checked against."""
    best: tuple[str, int | None] = ("", None)
    for size in photo.sizes or ():
        if isinstance(size, types.PhotoSizeProgressive):
            count: int | None = max(size.sizes) if size.sizes else None
        elif isinstance(size, types.PhotoSize):
            count = size.size
        elif isinstance(size, types.PhotoCachedSize):
            count = len(size.bytes)
        else:  # stripped and path sizes are previews, not the photo
            continue
        if best[1] is None or (count or 0) > best[1]:
            best = (size.type, count)
    return best


def _document_kind(doc: types.Document) -> tuple[str, str | None, str | None]:
    """(kind, original file name, sticker emoji)."""
    kind, name, emoji = "document", None, None
    for attr in doc.attributes or ():
        if isinstance(attr, types.DocumentAttributeFilename):
            name = attr.file_name
        elif isinstance(attr, types.DocumentAttributeSticker):
            kind, emoji = "sticker", attr.alt
        elif isinstance(attr, types.DocumentAttributeAnimated) and kind == "document":
            kind = "animation"
        elif isinstance(attr, types.DocumentAttributeVideo) and kind == "document":
            kind = "video_note" if attr.round_message else "video"
        elif isinstance(attr, types.DocumentAttributeAudio) and kind == "document":
            kind = "voice" if attr.voice else "audio"
    if kind == "video" and any(isinstance(a, types.DocumentAttributeAnimated) for a in doc.attributes or ()):
        kind = "animation"
    return kind, name, emoji


def describe(message: Any, *, tz: tzinfo, lang: str, album_index: int | None = None) -> Content:
    """``message``: a Telethon Message; ``album_index``: 1-based position within an album."""
    typed = message.message or ""
    base: dict[str, Any] = {"typed": typed, "typed_html": typed_html(typed, message.entities) if typed else ""}
    media = message.media
    when = message.date
    if media is None or isinstance(media, types.MessageMediaWebPage):
        return Content(**base)
    if isinstance(media, types.MessageMediaPhoto) and isinstance(media.photo, types.Photo):
        photo = media.photo
        name = generated_name("photo", when, tz, album_index, "image/jpeg")
        return Content(**base, files=(IncomingFile("photo", name, largest_photo_size(photo)[1], f"photo:{photo.id}",
                                                   "image/jpeg", generated=True),))
    if isinstance(media, types.MessageMediaDocument) and isinstance(media.document, types.Document):
        doc = media.document
        kind, original, emoji = _document_kind(doc)
        keep_name = original and kind not in ("voice", "video_note", "sticker")
        name = original if original and keep_name else generated_name(kind, when, tz, album_index, doc.mime_type)
        extra = (emoji,) if kind == "sticker" and emoji else ()
        incoming = IncomingFile(kind, str(name), doc.size, f"document:{doc.id}", doc.mime_type or "",
                                generated=not keep_name)
        return Content(**base, extra_lines=extra, files=(incoming,))
    if isinstance(media, (types.MessageMediaGeo, types.MessageMediaGeoLive, types.MessageMediaVenue)):
        geo = media.geo
        if not isinstance(geo, types.GeoPoint):
            return Content(**base, extra_lines=(t(lang, "kind_location"),), kind_key="kind_location")
        lines = []
        if isinstance(media, types.MessageMediaVenue):
            lines.append(", ".join(p for p in (media.title, media.address) if p))
        lines.append(f"{geo.lat:.6f}, {geo.long:.6f}")
        lines.append(f"https://yandex.ru/maps/?pt={geo.long:.6f},{geo.lat:.6f}&z=16&l=map")
        return Content(**base, extra_lines=tuple(lines), kind_key="kind_location")
    if isinstance(media, types.MessageMediaContact):
        name = " ".join(p for p in (media.first_name, media.last_name) if p)
        line = ", ".join(p for p in (name, media.phone_number) if p)
        return Content(**base, extra_lines=(t(lang, "contact_line", contact=line),), kind_key="kind_contact")
    if isinstance(media, types.MessageMediaPoll):
        question = media.poll.question
        words = question.text if hasattr(question, "text") else str(question)
        return Content(**base, extra_lines=(t(lang, "poll_line", question=words),), kind_key="kind_poll")
    if isinstance(media, types.MessageMediaDice):
        return Content(**base, extra_lines=(f"{media.emoticon} {media.value}",), kind_key="kind_dice")
    return Content(**base, extra_lines=(t(lang, "unsupported_line"),), kind_key="kind_other", unsupported=True)
