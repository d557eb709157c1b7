"""A client's text and formatting -> HTML staff open in Okdesk: escaped, properly nested, and no link
but http(s), mailto, tel and tg."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncd.formatting.entities import Entity, utf16_offsets
from syncd.formatting.outgoing import (
    SAFE_SCHEMES,
    entities_to_okdesk_html,
    safe_href,
)

PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ALLOWED_TAGS = {"strong", "em", "u", "del", "code", "pre", "blockquote", "a", "br"}


class Reader(HTMLParser):
    """What a browser would make of our HTML: the tags, the hrefs, the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.text: list[str] = []
        self.open: list[str] = []
        self.misnested = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "br":
            self.text.append("\n")
            return
        assert attrs == [] or (tag == "a" and [k for k, _v in attrs] == ["href"]), (tag, attrs)
        self.hrefs += [v or "" for k, v in attrs if k == "href"]
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.misnested = True

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def read(html_text: str) -> Reader:
    reader = Reader()
    reader.feed(html_text)
    reader.close()
    return reader


def browser_scheme(href: str) -> str:
    """The scheme a browser reads from an href (WHATWG: controls and spaces around stripped, tabs
    and line breaks anywhere removed), lower-cased; "" without one."""
    cleaned = "".join(c for c in href if c not in "\t\n\r").strip("".join(chr(i) for i in range(0x21)))
    head, colon, _ = cleaned.partition(":")
    return head.lower() if colon and head[:1].isascii() and head[:1].isalpha() else ""


# -- safe_href ---------------------------------------------------------------------------------


def test_dangerous_schemes_are_refused_however_disguised():
    for url in ("javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
                "java\nscript:alert(1)", "\x00javascript:alert(1)", "\x01 JAVASCRIPT:x", "java\x00script:x",
                "data:text/html;base64,PHNjcmlwdD4=", "vbscript:msgbox(1)", "file:///etc/passwd",
                "javascript&colon;alert(1)", "//evil.example/x", "/relative", "example.com", "", None,
                "ja\u200bvascript:x", "\u212aavascript:x"):
        assert safe_href(url) is None, url


def test_safe_schemes_pass_cleaned():
    assert safe_href("https://ex.com/?a=1&b=2") == "https://ex.com/?a=1&b=2"
    assert safe_href("  HTTP://ex.com\t/x\n") == "HTTP://ex.com/x"
    assert safe_href("mailto:a@b.ru") == "mailto:a@b.ru"
    assert safe_href("tel:+79001234567") == "tel:+79001234567"
    assert safe_href("tg://resolve?domain=x") == "tg://resolve?domain=x"
    assert safe_href("https://ex.com/\x00x") == "https://ex.com/%00x"


_NOISE = st.sampled_from(["", " ", "\t", "\n", "\r", "\x00", "\x1f", "\x0b"])


@st.composite
def disguised(draw, scheme: str) -> str:
    """``scheme`` with random case, noise around it and tabs or line breaks inside."""
    letters = [draw(st.sampled_from([c.lower(), c.upper()])) + draw(st.sampled_from(["", "\t", "\n", "\r"]))
               for c in scheme]
    return draw(_NOISE) + draw(_NOISE) + "".join(letters) + ":" + draw(st.text(max_size=20))


@PROPS
@given(st.sampled_from(["javascript", "data", "vbscript", "file", "blob"]).flatmap(disguised))
def test_disguised_dangerous_schemes_never_pass(url):
    assert safe_href(url) is None


@PROPS
@given(st.sampled_from(sorted(SAFE_SCHEMES)).flatmap(disguised))
def test_disguised_safe_schemes_pass_and_read_the_same(url):
    href = safe_href(url)
    assert href is not None and browser_scheme(href) in SAFE_SCHEMES


@PROPS
@given(st.text())
def test_whatever_passes_a_browser_reads_as_a_safe_scheme(url):
    href = safe_href(url)
    assert href is None or browser_scheme(href) in SAFE_SCHEMES


# -- entities_to_okdesk_html -----------------------------------------------------------------


def test_links_keep_their_tag_only_when_safe():
    text = "one two three four"
    html = entities_to_okdesk_html(text, [
        Entity("text_url", 0, 3, url="javascript:alert(1)"),
        Entity("text_url", 4, 3, url="https://ex.com/?a=1&b=\"2\""),
        Entity("text_url", 8, 5, url=" Data:text/html,x"),
        Entity("bold", 14, 4),
    ])
    assert html == 'one <a href="https://ex.com/?a=1&amp;b=&quot;2&quot;">two</a> three <strong>four</strong>'


def test_text_is_escaped_and_tags_nest():
    text = "<script>alert(1)</script> & bold\r\nnext"
    html = entities_to_okdesk_html(text, [Entity("italic", 0, 8), Entity("bold", 4, 30)])
    assert html == ("<em>&lt;scr</em><strong><em>ipt&gt;</em>alert(1)&lt;/script&gt; &amp; bold"
                    "<br></strong>next")


def test_html_recorded_by_an_older_syncd_is_not_trusted():
    """A client's message recorded before the HTML was made here (Telethon's html.unparse passed any link
    scheme, and a code block's language unescaped) goes as plain words, escaped."""
    from syncd.relay.content import Content

    old = json.dumps({"typed": "tap <me>\nnow", "typed_html": "<a href=\"javascript:alert(1)\">tap</a>"
                                                          "<code class='x'><img src=x onerror=alert(1)>'>"})
    content = Content.from_json(old)
    assert content.html == "tap &lt;me&gt;<br>now"
    fresh = Content.from_json(Content(typed="ok", typed_html="<strong>ok</strong>").to_json())
    assert fresh.html == "<strong>ok</strong>"


_URL_POOL = ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "java\tscript:x", "data:text/html,<b>",
             "vbscript:x", "https://ex.com/?q=<\"'>&x", "http://a.b", "mailto:a@b.ru", "tel:+7900",
             "tg://user?id=1", "ftp://x", "x\" onmouseover=\"alert(1)"]


@st.composite
def client_texts(draw):
    text = draw(st.text(alphabet=st.sampled_from(list("<>&\"'ab Ж😀\n\r;/=")) | st.characters(exclude_categories=["Cs"]),
                        min_size=1, max_size=80))
    offs = utf16_offsets(text)
    entities = []
    for _ in range(draw(st.integers(0, 8))):
        i = draw(st.integers(0, len(text) - 1))
        j = draw(st.integers(i + 1, len(text)))
        kind = draw(st.sampled_from(["text_url", "text_url", "bold", "italic", "underline", "strike", "code",
                                     "pre", "blockquote"]))
        url = draw(st.sampled_from(_URL_POOL)) if kind == "text_url" else None
        entities.append(Entity(kind, offs[i], offs[j] - offs[i], url))
    return text, entities


@PROPS
@given(client_texts())
def test_any_client_text_gives_safe_well_formed_html_with_every_character(case):
    text, entities = case
    html = entities_to_okdesk_html(text, entities)
    reader = read(html)
    assert set(reader.tags) <= ALLOWED_TAGS
    assert not reader.misnested and not reader.open
    assert all(browser_scheme(h) in SAFE_SCHEMES for h in reader.hrefs)
    assert "".join(reader.text) == text.replace("\r\n", "\n").replace("\r", "\n")
    # A safe link keeps its tag (when alone: a link overlapping other links, code or a quote can be
    # dropped, as Telegram does), an unsafe one loses it.
    wanted = [e for e in entities if e.kind == "text_url" and safe_href(e.url)]
    alone = len([e for e in entities if e.kind in ("text_url", "code", "pre", "blockquote")]) == 1
    if len(wanted) == 1 and alone:
        assert reader.hrefs == [safe_href(wanted[0].url)]
    if not wanted:
        assert reader.hrefs == []
