"""What a client's Telegram message becomes (syncd.relay.content), on real Telethon TL objects."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telethon.tl import types as T

from syncd.relay.content import Combined, Content, IncomingFile, combine, describe, typed_html

WHEN = datetime(2026, 11, 27, 11, 5, 33, tzinfo=timezone.utc)
MSK = timezone(timedelta(hours=3))
STAMP = "2026-11-27_14-05-33"  # WHEN in the account's zone (+03:00)


def message(media: Any = None, text: str = "", entities: list[Any] | None = None, when: datetime = WHEN) -> T.Message:
    return T.Message(id=10, peer_id=T.PeerUser(user_id=5), date=when, message=text, media=media, entities=entities)


def document(attributes: list[Any], mime: str = "application/octet-stream", size: int = 1234,
             doc_id: int = 77) -> T.MessageMediaDocument:
    doc = T.Document(id=doc_id, access_hash=1, file_reference=b"", date=WHEN, mime_type=mime, size=size, dc_id=2,
                     attributes=attributes)
    return T.MessageMediaDocument(document=doc)


def photo(sizes: list[Any], photo_id: int = 55) -> T.MessageMediaPhoto:
    return T.MessageMediaPhoto(photo=T.Photo(id=photo_id, access_hash=1, file_reference=b"", date=WHEN,
                                             sizes=sizes, dc_id=2))


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def entity(cls: Any, text: str, part: str, **extra: Any) -> Any:
    """An entity over the first ``part`` of ``text``, with Telegram's UTF-16 offsets."""
    start = text.index(part)
    return cls(offset=utf16(text[:start]), length=utf16(part), **extra)


def one_file(content: Content) -> IncomingFile:
    (f,) = content.files
    return f


# ---------------------------------------------------------------- photos


def test_a_photo_is_its_largest_size_named_by_the_date_in_the_accounts_zone() -> None:
    sizes = [T.PhotoStrippedSize(type="i", bytes=b"\x01\x02"),
             T.PhotoSize(type="m", w=320, h=240, size=9_000),
             T.PhotoSizeProgressive(type="y", w=1280, h=960, sizes=[4_000, 20_000, 61_000]),
             T.PhotoSize(type="x", w=800, h=600, size=30_000)]
    f = one_file(describe(message(photo(sizes)), tz=MSK, lang="ru"))
    assert f == IncomingFile("photo", f"photo_{STAMP}.jpg", 61_000, "photo:55", "image/jpeg")


def test_a_plain_size_larger_than_the_progressive_one_wins() -> None:
    sizes = [T.PhotoSizeProgressive(type="y", w=1280, h=960, sizes=[4_000, 20_000]),
             T.PhotoSize(type="w", w=2560, h=1920, size=90_000)]
    assert one_file(describe(message(photo(sizes)), tz=MSK, lang="ru")).size == 90_000


def test_a_photo_without_a_sized_version_has_no_size() -> None:
    f = one_file(describe(message(photo([T.PhotoStrippedSize(type="i", bytes=b"\x01")])), tz=MSK, lang="ru"))
    assert f.size is None and f.kind == "photo"


def test_an_albums_made_up_names_are_numbered_by_position_and_own_names_kept() -> None:
    sizes = [T.PhotoSize(type="m", w=320, h=240, size=9_000)]
    parts = [describe(message(photo(sizes, photo_id=1)), tz=MSK, lang="ru"),
             describe(message(photo(sizes, photo_id=2)), tz=MSK, lang="ru"),
             describe(message(document([T.DocumentAttributeFilename("Акт.pdf")], "application/pdf")), tz=MSK,
                      lang="ru"),
             describe(message(document([T.DocumentAttributeVideo(duration=3, w=640, h=360)], "video/mp4")),
                      tz=MSK, lang="ru")]
    # The parts come back from the database as JSON before they are combined.
    album = combine([Content.from_json(p.to_json()) for p in parts])
    assert [f.file_name for f in album.files] == [f"photo_{STAMP}_1.jpg", f"photo_{STAMP}_2.jpg", "Акт.pdf",
                                                  f"video_{STAMP}_4.mp4"]
    assert [f.unique_id for f in album.files] == ["photo:1", "photo:2", "document:77", "document:77"]


def test_a_single_message_keeps_its_made_up_name_unnumbered() -> None:
    sizes = [T.PhotoSize(type="m", w=320, h=240, size=9_000)]
    (f,) = combine([describe(message(photo(sizes)), tz=MSK, lang="ru")]).files
    assert f.file_name == f"photo_{STAMP}.jpg"


@pytest.mark.parametrize(("tz", "when", "stamp"), [
    (timezone.utc, WHEN, "2026-11-27_11-05-33"),
    (MSK, WHEN, STAMP),
    (ZoneInfo("Asia/Vladivostok"), WHEN, "2026-11-27_21-05-33"),
    (MSK, datetime(2026, 12, 31, 22, 30, 0, tzinfo=timezone.utc), "2027-01-01_01-30-00"),
    (ZoneInfo("America/New_York"), WHEN, "2026-11-27_06-05-33"),
])
def test_generated_names_use_the_accounts_time_zone(tz: Any, when: datetime, stamp: str) -> None:
    content = describe(message(document([T.DocumentAttributeAudio(duration=2, voice=True)], "audio/ogg"),
                               when=when), tz=tz, lang="ru")
    assert one_file(content).file_name == f"voice_{stamp}.ogg"


# ---------------------------------------------------------------- documents


@pytest.mark.parametrize(("attributes", "mime", "kind", "name"), [
    ([T.DocumentAttributeFilename("Акт сверки.pdf")], "application/pdf", "document", "Акт сверки.pdf"),
    ([], "application/pdf", "document", f"document_{STAMP}.pdf"),
    ([], "application/x-unknown-thing", "document", f"document_{STAMP}.bin"),
    ([T.DocumentAttributeVideo(duration=3, w=640, h=360), T.DocumentAttributeFilename("clip.mov")],
     "video/quicktime", "video", "clip.mov"),
    ([T.DocumentAttributeVideo(duration=3, w=640, h=360)], "video/mp4", "video", f"video_{STAMP}.mp4"),
    # A round video keeps no name of its own, even when Telegram gives one.
    ([T.DocumentAttributeVideo(duration=3, w=240, h=240, round_message=True),
      T.DocumentAttributeFilename("round.mp4")], "video/mp4", "video_note", f"video_note_{STAMP}.mp4"),
    ([T.DocumentAttributeAudio(duration=5, voice=True), T.DocumentAttributeFilename("x.oga")],
     "audio/ogg", "voice", f"voice_{STAMP}.ogg"),
    ([T.DocumentAttributeAudio(duration=5, title="Song"), T.DocumentAttributeFilename("song.mp3")],
     "audio/mpeg", "audio", "song.mp3"),
    ([T.DocumentAttributeAudio(duration=5)], "audio/mpeg", "audio", f"audio_{STAMP}.mp3"),
    ([T.DocumentAttributeAudio(duration=5)], "audio/x-m4a", "audio", f"audio_{STAMP}.m4a"),
    ([T.DocumentAttributeVideo(duration=1, w=320, h=240), T.DocumentAttributeAnimated(),
      T.DocumentAttributeFilename("funny.mp4")], "video/mp4", "animation", "funny.mp4"),
    # The attribute order does not change what an animation is.
    ([T.DocumentAttributeAnimated(), T.DocumentAttributeVideo(duration=1, w=320, h=240)],
     "video/mp4", "animation", f"animation_{STAMP}.mp4"),
    ([T.DocumentAttributeImageSize(w=512, h=512), T.DocumentAttributeFilename("sticker.webp"),
      T.DocumentAttributeSticker(alt="😂", stickerset=T.InputStickerSetEmpty())],
     "image/webp", "sticker", f"sticker_{STAMP}.webp"),
    ([T.DocumentAttributeSticker(alt="👍", stickerset=T.InputStickerSetEmpty())],
     "application/x-tgsticker", "sticker", f"sticker_{STAMP}.tgs"),
])
def test_document_kinds_and_names(attributes: list[Any], mime: str, kind: str, name: str) -> None:
    content = describe(message(document(attributes, mime, size=4321)), tz=MSK, lang="ru")
    assert one_file(content) == IncomingFile(kind, name, 4321, "document:77", mime)
    assert one_file(content).generated == name.startswith(f"{kind}_{STAMP}")
    assert content.unsupported is False


def test_a_sticker_brings_its_emoji_as_a_line() -> None:
    attrs = [T.DocumentAttributeSticker(alt="😂", stickerset=T.InputStickerSetEmpty())]
    content = describe(message(document(attrs, "image/webp")), tz=MSK, lang="ru")
    assert content.extra_lines == ("😂",) and content.text == "😂" and content.html == "😂"


def test_a_caption_comes_with_the_file() -> None:
    content = describe(message(document([T.DocumentAttributeFilename("a.txt")], "text/plain"), text="смотрите"),
                       tz=MSK, lang="ru")
    assert content.typed == "смотрите" and content.text == "смотрите" and one_file(content).file_name == "a.txt"


# ---------------------------------------------------------------- things without files


def test_a_location_is_coordinates_and_a_map_link() -> None:
    geo = T.GeoPoint(long=37.6176, lat=55.755814, access_hash=0)
    content = describe(message(T.MessageMediaGeo(geo=geo)), tz=MSK, lang="ru")
    assert content.files == () and content.kind_key == "kind_location"
    assert content.extra_lines == ("55.755814, 37.617600",
                                   "https://yandex.ru/maps/?pt=37.617600,55.755814&z=16&l=map")
    assert content.html == ("55.755814, 37.617600<br>"
                            "https://yandex.ru/maps/?pt=37.617600,55.755814&amp;z=16&amp;l=map")


def test_a_live_location_is_a_location() -> None:
    geo = T.GeoPoint(long=30.3, lat=59.9, access_hash=0)
    content = describe(message(T.MessageMediaGeoLive(geo=geo, period=900)), tz=MSK, lang="ru")
    assert content.extra_lines[0] == "59.900000, 30.300000" and content.kind_key == "kind_location"


def test_a_venue_names_itself_before_the_coordinates() -> None:
    geo = T.GeoPoint(long=37.6, lat=55.7, access_hash=0)
    venue = T.MessageMediaVenue(geo=geo, title="Офис", address="Тверская, 1", provider="", venue_id="",
                                venue_type="")
    content = describe(message(venue), tz=MSK, lang="ru")
    assert content.extra_lines[:2] == ("Офис, Тверская, 1", "55.700000, 37.600000")
    assert content.extra_lines[2].startswith("https://yandex.ru/maps/?pt=37.600000,55.700000")


def test_a_location_without_a_point_still_says_what_it_was() -> None:
    content = describe(message(T.MessageMediaGeo(geo=T.GeoPointEmpty())), tz=MSK, lang="en")
    assert content.extra_lines == ("Location",) and content.kind_key == "kind_location"


@pytest.mark.parametrize(("lang", "first", "last", "line"), [
    ("ru", "Иван", "Петров", "Контакт: Иван Петров, +79123456789"),
    ("ru", "Иван", "", "Контакт: Иван, +79123456789"),
    ("en", "Ivan", "Petrov", "Contact: Ivan Petrov, +79123456789"),
])
def test_a_shared_contact_is_its_name_and_phone(lang: str, first: str, last: str, line: str) -> None:
    media = T.MessageMediaContact(phone_number="+79123456789", first_name=first, last_name=last, vcard="",
                                  user_id=0)
    content = describe(message(media), tz=MSK, lang=lang)
    assert content.extra_lines == (line,) and content.kind_key == "kind_contact" and content.files == ()


def test_a_poll_is_its_question() -> None:
    poll = T.Poll(id=1, question=T.TextWithEntities(text="Когда обед?", entities=[]), hash=0,
                  answers=[T.PollAnswer(text=T.TextWithEntities(text="В 13", entities=[]), option=b"0")])
    content = describe(message(T.MessageMediaPoll(poll=poll, results=T.PollResults())), tz=MSK, lang="ru")
    assert content.extra_lines == ("Опрос: Когда обед?",) and content.kind_key == "kind_poll"


def test_a_dice_is_its_emoji_and_value() -> None:
    content = describe(message(T.MessageMediaDice(value=4, emoticon="🎲")), tz=MSK, lang="ru")
    assert content.extra_lines == ("🎲 4",) and content.kind_key == "kind_dice"


def test_a_link_preview_is_just_the_text() -> None:
    media = T.MessageMediaWebPage(webpage=T.WebPageEmpty(id=1, url="https://example.com"))
    content = describe(message(media, text="https://example.com"), tz=MSK, lang="ru")
    assert content == Content(typed="https://example.com", typed_html="https://example.com")


@pytest.mark.parametrize("media", [
    T.MessageMediaUnsupported(),
    T.MessageMediaPhoto(photo=T.PhotoEmpty(id=1)),
    T.MessageMediaDocument(document=T.DocumentEmpty(id=1)),
])
def test_what_cannot_be_carried_says_so(media: Any) -> None:
    ru = describe(message(media), tz=MSK, lang="ru")
    assert ru.unsupported and ru.files == () and ru.kind_key == "kind_other"
    assert ru.extra_lines == ("[Сообщение этого типа не поддерживается]",)
    assert describe(message(media), tz=MSK, lang="en").extra_lines == ("[This kind of message is not supported]",)


def test_a_plain_text_message() -> None:
    content = describe(message(text="Принтер не печатает"), tz=MSK, lang="ru")
    assert content == Content(typed="Принтер не печатает", typed_html="Принтер не печатает")


# ---------------------------------------------------------------- entities -> HTML


def test_formatting_is_kept_and_mentions_and_custom_emoji_are_dropped() -> None:
    text = "😀 Важно: срочно, см. инструкцию, @ivan ✅ #тег"
    entities = [
        entity(T.MessageEntityBold, text, "срочно"),
        entity(T.MessageEntityTextUrl, text, "инструкцию", url="https://ex.com/?a=1&b=2"),
        entity(T.MessageEntityMention, text, "@ivan"),
        entity(T.MessageEntityCustomEmoji, text, "✅", document_id=5),
        entity(T.MessageEntityHashtag, text, "#тег"),
        entity(T.MessageEntityItalic, text, "Важно"),
    ]
    got = typed_html(text, entities)
    assert got == ('😀 <em>Важно</em>: <strong>срочно</strong>, см. '
                   '<a href="https://ex.com/?a=1&amp;b=2">инструкцию</a>, @ivan ✅ #тег')


def test_special_characters_are_escaped_and_newlines_become_breaks() -> None:
    text = "a < b & c > d\nвторая\r\nтретья"
    assert typed_html(text, None) == "a &lt; b &amp; c &gt; d<br>вторая<br>третья"
    with_bold = typed_html(text, [entity(T.MessageEntityBold, text, "вторая")])
    assert with_bold == "a &lt; b &amp; c &gt; d<br><strong>вторая</strong><br>третья"


def test_only_dropped_entities_mean_plain_escaped_text() -> None:
    text = "<b>@ivan</b>"
    assert typed_html(text, [entity(T.MessageEntityMention, text, "@ivan")]) == "&lt;b&gt;@ivan&lt;/b&gt;"


def test_code_and_pre_are_kept() -> None:
    text = "run ls -la then\ncat <file>"
    html = typed_html(text, [entity(T.MessageEntityCode, text, "ls -la"),
                             entity(T.MessageEntityPre, text, "cat <file>", language="")])
    assert "<code>ls -la</code>" in html and "cat &lt;file&gt;" in html and "<pre>" in html


def test_a_caption_with_entities_reaches_the_content() -> None:
    text = "жирный текст"
    media = document([T.DocumentAttributeFilename("a.pdf")], "application/pdf")
    content = describe(message(media, text, [entity(T.MessageEntityBold, text, "жирный")]), tz=MSK, lang="ru")
    assert content.typed_html == "<strong>жирный</strong> текст" and content.typed == text


# ---------------------------------------------------------------- serialization and fingerprints

texts = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40)
files = st.builds(IncomingFile, kind=st.sampled_from(["photo", "video", "voice", "document", "sticker"]),
                  file_name=texts, size=st.none() | st.integers(0, 2**40), unique_id=texts, mime_type=texts,
                  generated=st.booleans())
contents = st.builds(Content, typed=texts, typed_html=texts, extra_lines=st.lists(texts, max_size=3).map(tuple),
                     files=st.lists(files, max_size=3).map(tuple),
                     kind_key=st.none() | st.sampled_from(["kind_location", "kind_contact"]),
                     unsupported=st.booleans())


@settings(max_examples=200, deadline=None)
@given(contents)
def test_content_survives_json(content: Content) -> None:
    again = Content.from_json(content.to_json())
    assert again == content
    assert [f.generated for f in again.files] == [f.generated for f in content.files]


def _file(uid: str, name: str = "f.jpg") -> IncomingFile:
    return IncomingFile("photo", name, 10, uid)


def test_the_fingerprint_ignores_whitespace_names_and_file_order() -> None:
    a = Combined((Content(typed="Не печатает\nпринтер", files=(_file("photo:1", "photo_1.jpg"),)),
                  Content(files=(_file("photo:2"),))))
    b = Combined((Content(typed="  Не  печатает принтер ", files=(_file("photo:2", "photo_2_2.jpg"),)),
                  Content(files=(_file("photo:1", "other.jpg"),))))
    assert a.fingerprint() == b.fingerprint()


@pytest.mark.parametrize("other", [
    Combined((Content(typed="Не печатает принтер!", files=(_file("photo:1"), _file("photo:2"))),)),
    Combined((Content(typed="Не печатает принтер", files=(_file("photo:1"),)),)),
    Combined((Content(typed="Не печатает принтер", files=(_file("photo:1"), _file("photo:3"))),)),
    Combined((Content(typed="Не печатает принтер"),)),
    Combined((Content(files=(_file("photo:1"), _file("photo:2"))),)),
])
def test_the_fingerprint_differs_for_other_words_or_files(other: Combined) -> None:
    base = Combined((Content(typed="Не печатает принтер", files=(_file("photo:1"), _file("photo:2"))),))
    assert base.fingerprint() != other.fingerprint()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="аб c\n\t", min_size=1, max_size=8), min_size=1, max_size=5),
       st.lists(st.sampled_from(["photo:1", "document:2", "photo:3"]), max_size=3, unique=True))
def test_the_fingerprint_is_whitespace_blind(words: list[str], ids: list[str]) -> None:
    spaced = Combined((Content(typed="\n".join(words), files=tuple(_file(i) for i in ids)),))
    tight = Combined((Content(typed=" ".join(" ".join(words).split()), files=tuple(_file(i) for i in reversed(ids))),))
    assert spaced.fingerprint() == tight.fingerprint()


def test_an_album_combines_its_parts() -> None:
    first = Content(typed="подпись", typed_html="<b>подпись</b>", files=(_file("photo:1", "a.jpg"),))
    second = Content(extra_lines=("55.1, 37.2",), files=(_file("photo:2", "b.jpg"),), kind_key="kind_location")
    combined = Combined((first, second))
    assert [f.file_name for f in combined.files] == ["a.jpg", "b.jpg"]
    assert combined.text == "подпись\n\n55.1, 37.2" and combined.typed == "подпись"
    assert combined.html == "<b>подпись</b><br><br>55.1, 37.2" and combined.kind_key == "kind_location"
