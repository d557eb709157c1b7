"""Telegram's entity limits: the ever plainer versions of a message tried after ENTITIES_TOO_LONG,
and the splitter keeping each part within the limits in the first place."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncd.formatting import (
    Entity,
    FormattedText,
    html_to_telegram,
    normalize_entities,
    split_formatted,
)
from syncd.formatting.entities import utf16_len, utf16_offsets
from syncd.formatting.entity_limits import (
    MAX_ENTITIES,
    MAX_ENTITIES_SIZE,
    TEXT_LIMIT,
    Attempt,
    attempts,
    entities_size,
    fits,
    shows_url,
)

PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def links_comment(n: int, url_len: int = 30) -> FormattedText:
    """A staff comment of ``n`` lines, each a bold word and a link: 2n entities."""
    lines = "".join(f'<p><b>Пункт {i}</b>: <a href="https://kb.example.ru/{i:04d}/{"x" * url_len}">статья {i}</a></p>'
                    for i in range(n))
    return html_to_telegram(lines)


def is_subsequence(needle: str, haystack: str) -> bool:
    it = iter(haystack)
    return all(c in it for c in needle)


def link_urls(ft: FormattedText) -> list[str]:
    return [e.url or "" for e in ft.entities if e.kind == "text_url"]


def assert_every_link_shown(original: FormattedText, attempt: Attempt) -> None:
    """Each of the original's links is still an entity, or its address is in the text, or its label
    shows it; the ones that are neither are exactly those counted as lost."""
    kept = {(attempt.text.entity_text(e), e.url) for e in attempt.text.entities if e.kind == "text_url"}
    missing = 0
    for e in original.entities:
        if e.kind != "text_url":
            continue
        label = original.entity_text(e)
        if (label, e.url) in kept or shows_url(label, e.url or ""):
            continue
        if f"{label.rstrip()} ({e.url})" not in attempt.text.text:
            missing += 1
    assert missing == attempt.urls_lost


# -- examples --------------------------------------------------------------------------------


def test_a_text_within_the_limits_is_tried_as_it_is_first_then_ever_plainer():
    ft = links_comment(20)  # 40 entities, well within
    versions = list(attempts(ft))
    assert versions[0] == Attempt(ft)
    assert [len(v.text.entities) for v in versions] == [40, 20, 10, 5, 2, 1, 0]
    # links only: the bold is gone, the words are not
    assert versions[1].text == FormattedText(ft.text, tuple(e for e in ft.entities if e.kind == "text_url"))
    last = versions[-1]
    assert last.urls_lost == 0 and not last.text.entities
    assert "статья 0 (https://kb.example.ru/0000/" in last.text.text
    for version in versions:
        assert_every_link_shown(ft, version)


def test_too_many_links_start_from_as_many_as_fit():
    ft = links_comment(150)  # 300 entities
    first = next(attempts(ft))
    assert len(first.text.entities) == MAX_ENTITIES and fits(first.text)
    assert all(e.kind == "text_url" for e in first.text.entities)
    # the 50 links past the 100th are written out after their label while the text stays within
    # 4096 units; the others are counted (the splitter never lets it come to that: see below)
    written = first.text.text.count("(https://kb.example.ru/")
    assert written > 0 and written + first.urls_lost == 50 and utf16_len(first.text.text) <= TEXT_LIMIT
    assert_every_link_shown(ft, first)


def test_the_size_limit_counts_urls():
    ft = links_comment(45, url_len=300)  # 45 links of ~340 units each: about 15000
    assert len(ft.entities) <= MAX_ENTITIES and entities_size(ft.entities) > MAX_ENTITIES_SIZE
    first = next(attempts(ft))
    assert fits(first.text) and 0 < len(first.text.entities) < 45


def test_addresses_that_do_not_fit_in_4096_are_counted_not_hidden():
    ft = links_comment(40, url_len=300)  # ~12000 units of addresses could never be written out
    last = list(attempts(ft))[-1]
    assert not last.text.entities and utf16_len(last.text.text) <= TEXT_LIMIT
    assert 0 < last.urls_lost < 40
    assert_every_link_shown(ft, last)


def test_a_label_showing_its_address_is_not_written_twice():
    text = "see example.com/a and the guide\n"
    ft = FormattedText(text, (Entity("text_url", 4, 13, url="https://example.com/a/"),
                              Entity("text_url", 22, 9, url="https://x.ru/guide")))
    last = list(attempts(ft))[-1]
    assert last.text.text == "see example.com/a and the guide (https://x.ru/guide)\n"  # before the line break


def test_no_entities_means_one_attempt():
    assert list(attempts(FormattedText("plain"))) == [Attempt(FormattedText("plain"))]


def test_split_keeps_each_part_within_the_entity_limits():
    ft = links_comment(150)  # one message by length, 300 entities
    assert ft.utf16_length < TEXT_LIMIT
    parts = split_formatted(ft, max_entities=MAX_ENTITIES, max_entities_size=MAX_ENTITIES_SIZE)
    assert len(parts) == 3 and all(fits(p) for p in parts)
    assert "".join(p.text for p in parts) == ft.text
    assert all(p.text.startswith("Пункт") for p in parts)  # cut at paragraph breaks
    long_urls = links_comment(60, url_len=300)
    parts = split_formatted(long_urls, max_entities=MAX_ENTITIES, max_entities_size=MAX_ENTITIES_SIZE)
    assert len(parts) > 1 and all(fits(p) for p in parts)


def test_split_cannot_help_an_entity_too_big_on_its_own():
    huge = FormattedText("a b c d", (Entity("text_url", 0, 1, url="https://x.ru/" + "y" * 200),))
    assert split_formatted(huge, max_entities_size=100) == [huge]  # no pointless one-letter parts


# -- properties ------------------------------------------------------------------------------

_URLS = ["https://x.ru", "https://example.com/a/b?c=d", "tg://resolve?domain=x", "https://" + "z" * 60]


@st.composite
def linked_texts(draw):
    text = draw(st.text(alphabet=st.sampled_from(list("ab Жё😀\n.")), min_size=1, max_size=300))
    offs = utf16_offsets(text)
    entities = []
    for _ in range(draw(st.integers(0, 40))):
        i = draw(st.integers(0, len(text) - 1))
        j = draw(st.integers(i + 1, min(len(text), i + 12)))
        kind = draw(st.sampled_from(["text_url", "text_url", "bold", "italic", "code"]))
        url = draw(st.sampled_from(_URLS)) if kind == "text_url" else None
        entities.append(Entity(kind, offs[i], offs[j] - offs[i], url))
    return FormattedText(text, normalize_entities(text, entities))


@PROPS
@given(linked_texts(), st.integers(0, 20), st.integers(0, 300))
def test_attempts_fit_shrink_keep_the_words_and_every_address(ft, max_entities, max_size):
    versions = list(attempts(ft, max_entities, max_size))
    assert fits(versions[0].text, max_entities, max_size)
    counts = [len(v.text.entities) for v in versions]
    assert counts == sorted(set(counts), reverse=True) and counts[-1] == 0
    for version in versions:
        assert is_subsequence(ft.text, version.text.text)  # words are only ever added
        assert utf16_len(version.text.text) <= max(TEXT_LIMIT, ft.utf16_length)
        for e in version.text.entities:
            assert e.kind == "text_url" or version.text == ft
            assert e.end <= version.text.utf16_length
        assert_every_link_shown(ft, version)
        assert version.urls_lost == 0  # these texts are short: every address fits


@PROPS
@given(linked_texts(), st.integers(4, 60), st.integers(1, 12), st.integers(20, 200))
def test_split_parts_stay_within_entity_limits_unless_one_character_cannot(ft, limit, max_entities, max_size):
    parts = split_formatted(ft, limit=limit, max_entities=max_entities, max_entities_size=max_size)
    assert "".join(p.text for p in parts) == ft.text
    for part in parts:
        assert 0 < part.utf16_length <= limit
        if not fits(part, max_entities, max_size):
            first = FormattedText(part.text[:1], tuple(
                e.moved(e.offset, min(e.end, utf16_len(part.text[:1])) - e.offset)
                for e in part.entities if e.offset == 0))
            assert not fits(first, max_entities, max_size)
