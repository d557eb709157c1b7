"""Property tests for syncd.formatting: no character lost, entities always valid for
Telegram, splitting exact."""

from __future__ import annotations

import html
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncd.formatting import (
    Entity,
    FormattedText,
    html_to_telegram,
    normalize_entities,
    split_formatted,
)
from syncd.formatting._html_converter import Converter
from syncd.formatting._html_rules import looks_like_html
from syncd.formatting.entities import slice16, utf16_len, utf16_offsets

PROPS = settings(max_examples=200, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])

# Characters that matter here: markup, entities, astral emoji, Cyrillic, every whitespace.
_SPECIAL = list("<>&;#/='\" \n\t\r\xa0\u2003\u200dабвЖё😀👍🏽x1.,")
tricky_text = st.text(alphabet=st.sampled_from(_SPECIAL) | st.characters(exclude_categories=["Cs"]))


def visible(s: str) -> list[str]:
    return [c for c in s if not c.isspace()]


def is_subsequence(needle: list[str], haystack: list[str]) -> bool:
    it = iter(haystack)
    return all(c in it for c in needle)


def assert_valid_for_telegram(ft: FormattedText) -> None:
    """Bounds, order and nesting rules Telegram (TDLib's fix_entities) imposes."""
    total = utf16_len(ft.text)
    offs = set(utf16_offsets(ft.text))  # offsets that fall between whole characters
    es = list(ft.entities)
    assert [e.offset for e in es] == sorted(e.offset for e in es)
    for e in es:
        assert e.length > 0 and e.offset >= 0 and e.end <= total
        assert e.offset in offs and e.end in offs
    for i, a in enumerate(es):
        for b in es[i + 1:]:
            if a.end <= b.offset or b.end <= a.offset:
                continue
            # sorted by offset, outer first on equal offsets: ``a`` must contain ``b``
            outer, inner = (a, b) if b.end <= a.end else (b, a)
            assert outer.offset <= inner.offset and inner.end <= outer.end, (a, b)  # nest only
            assert outer.kind not in ("code", "pre"), (a, b)  # nothing inside code/pre
            if inner.kind in ("code", "pre"):
                assert outer.kind == "blockquote", (a, b)
            if inner.kind in ("text_url", "blockquote"):
                assert outer.kind not in ("text_url", inner.kind), (a, b)


# -- html_to_telegram -----------------------------------------------------------------------


@PROPS
@given(tricky_text)
def test_escaped_text_keeps_every_visible_character(t):
    for src in (html.escape(t), f"<p>{html.escape(t)}</p>",
                f"<div><b>{html.escape(t)}</b><br></div>"):
        ft = html_to_telegram(src)
        assert visible(ft.text) == visible(t)
        assert_valid_for_telegram(ft)


_CONTAINERS = ["p", "div", "b", "i", "u", "s", "code", "pre", "blockquote", "ul", "ol", "li",
               "table", "tr", "td", "th", "span", "h1", "em", "strong", "a", "font", "q"]
_ATTRS = ["", ' href="https://x.ru/a"', ' href="mailto:a@b.ru"', ' href="javascript:x()"',
          ' style="font-weight:bold"', ' style="white-space:pre-wrap"', ' class="language-py"']
_VOIDS = ["<br>", "<hr>", '<img src="https://x.ru/i.png" alt="pic">', "&nbsp;", "<!-- c -->"]


@st.composite
def _element(draw, children):
    tag = draw(st.sampled_from(_CONTAINERS))
    attr = draw(st.sampled_from(_ATTRS))
    inner = "".join(draw(st.lists(children, max_size=4)))
    closed = draw(st.booleans()) or draw(st.booleans())  # 1 in 4 left unclosed
    return f"<{tag}{attr}>{inner}" + (f"</{tag}>" if closed else "")


_leaf = tricky_text.map(html.escape) | st.sampled_from(_VOIDS)
html_docs = st.recursive(_leaf, _element, max_leaves=25)


def _leaf_texts(doc: str) -> list[str]:
    """The escaped text leaves, recovered by removing the markup we generated."""
    for v in _VOIDS:
        doc = doc.replace(v, " ")
    return visible(html.unescape(re.sub(r"</?[a-z0-9]+(?: [a-z]+=\"[^\"]*\")?>", " ", doc)))


@PROPS
@given(html_docs)
def test_generated_html_keeps_text_and_valid_entities(doc):
    source = doc.replace("\r\n", "\n").replace("\r", "\n")
    ft = Converter(source, None, "image").run()  # directly: no fallback may hide a bug
    if looks_like_html(source):  # (markup-free input takes the plain-text path)
        assert html_to_telegram(doc) == ft
    assert_valid_for_telegram(ft)
    assert is_subsequence(_leaf_texts(source), visible(ft.text))
    assert not ft.text.startswith("\n") and not ft.text.endswith(("\n", " "))
    if "<pre" not in doc:  # <pre> content is verbatim
        assert "\n\n\n" not in ft.text


_JUNK = ["<", ">", "</", "/>", "<!--", "-->", "<![CDATA[", "]]>", "&", "&#", "&#x", ";", "=",
         '"', "'", "<b", "<p>", "</p>", "<a href=", "<li>", "</ul>", "<td>", "<pre>", "<script>",
         "</script>", "<foo", "</bar>", "<o:p>", "😀", "Ж", " ", "\n", "\xa0", "x"]


@PROPS
@given(st.lists(st.sampled_from(_JUNK) | tricky_text, max_size=40).map("".join))
def test_arbitrary_junk_never_raises_and_entities_stay_in_bounds(src):
    source = src.replace("\r\n", "\n").replace("\r", "\n")
    ft = Converter(source, None, "image").run()
    assert_valid_for_telegram(ft)
    assert_valid_for_telegram(html_to_telegram(src))


# -- split_formatted ------------------------------------------------------------------------

_KINDS = ["bold", "italic", "underline", "strike", "code", "pre", "text_url", "blockquote"]


@st.composite
def formatted_texts(draw):
    text = draw(st.text(alphabet=st.sampled_from(list("ab Жё😀👍🏽\n.\t")), max_size=200))
    offs = utf16_offsets(text)
    entities = []
    for _ in range(draw(st.integers(0, 6)) if text else 0):
        i = draw(st.integers(0, len(text) - 1))
        j = draw(st.integers(i + 1, len(text)))
        kind = draw(st.sampled_from(_KINDS))
        url = "https://x.ru" if kind == "text_url" else None
        entities.append(Entity(kind, offs[i], offs[j] - offs[i], url))
    return FormattedText(text, tuple(entities))


@PROPS
@given(formatted_texts(), st.integers(2, 40), st.none() | st.integers(2, 40))
def test_split_parts_fit_join_exactly_and_keep_entities(ft, limit, first_limit):
    parts = split_formatted(ft, limit=limit, first_limit=first_limit)
    assert "".join(p.text for p in parts) == ft.text
    expected, actual = [], []
    base = 0
    for n, part in enumerate(parts):
        lim = first_limit if (n == 0 and first_limit is not None) else limit
        size = utf16_len(part.text)
        assert 0 < size <= lim
        for e in ft.entities:
            s, t = max(e.offset, base), min(e.end, base + size)
            if t > s:
                expected.append((e.kind, e.url, s, t))
        for e in part.entities:
            assert e.length > 0 and e.end <= size
            actual.append((e.kind, e.url, base + e.offset, base + e.end))
            assert part.entity_text(e) == slice16(ft.text, base + e.offset, base + e.end)
        base += size
    assert sorted(actual) == sorted(expected)


@PROPS
@given(st.lists(st.sampled_from(["слово", "word", "a" * 30, "b" * 70, " ", "\n", "\n\n"]),
                max_size=300).map("".join))
def test_split_cuts_after_whitespace_when_there_is_some(text):
    parts = split_formatted(FormattedText(text), limit=64)  # (BMP only: units == chars)
    start = 0
    for prev, nxt in zip(parts, parts[1:], strict=False):
        rem = text[start:]
        candidates = [c for c in range(1, 65) if rem[c - 1].isspace()
                      and not rem[c].isspace() and rem[:c].strip()]
        if candidates:  # the separator goes to the earlier part, the next starts a word
            assert prev.text[-1].isspace() and not nxt.text[0].isspace()
            assert len(prev.text) in candidates
        start += len(prev.text)


@PROPS
@given(formatted_texts())
def test_normalize_makes_any_entities_valid_and_keeps_the_formatting(ft):
    fixed = FormattedText(ft.text, normalize_entities(ft.text, ft.entities))
    assert_valid_for_telegram(fixed)
    assert normalize_entities(fixed.text, fixed.entities) == fixed.entities  # idempotent

    def covered(entities, kind):
        return {i for e in entities if e.kind == kind for i in range(e.offset, e.end)}

    code = covered(fixed.entities, "code") | covered(fixed.entities, "pre")
    for kind in ("bold", "italic", "underline", "strike"):  # formatting moves nowhere
        assert covered(fixed.entities, kind) == covered(ft.entities, kind) - code
