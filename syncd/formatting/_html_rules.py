"""Tables, helpers and per-element state for the Okdesk HTML converter."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urljoin, urlsplit

from ._builder import OpenEntity

# Elements whose content is not text for a reader.
# (Not <head>: an unclosed one would swallow the whole body.)
DROP = frozenset({"script", "style", "template", "title", "xml", "svg"})

# Elements that never have content or an end tag.
VOID = frozenset({
    "area", "base", "basefont", "bgsound", "br", "col", "command", "embed", "frame", "hr",
    "image", "img", "input", "keygen", "link", "meta", "param", "source", "track", "wbr",
})

# Block elements and the newlines they put around themselves (2 = an empty line between).
BLOCK_BREAKS = {
    "p": 2, "h1": 2, "h2": 2, "h3": 2, "h4": 2, "h5": 2, "h6": 2,
    "div": 1, "blockquote": 1, "pre": 1, "listing": 1, "xmp": 1, "plaintext": 1,
    "ul": 1, "ol": 1, "menu": 1, "dir": 1, "li": 1, "dl": 1, "dt": 1, "dd": 1,
    "table": 1, "tr": 1, "caption": 1, "hr": 1,
    "address": 1, "article": 1, "aside": 1, "center": 1, "details": 1, "dialog": 1,
    "fieldset": 1, "figcaption": 1, "figure": 1, "footer": 1, "form": 1, "header": 1,
    "hgroup": 1, "legend": 1, "main": 1, "nav": 1, "section": 1, "summary": 1, "search": 1,
    "option": 1, "optgroup": 1, "body": 1, "html": 1, "frameset": 1, "noframes": 1,
}

# Inline elements that map onto one Telegram entity.
INLINE_ENTITY = {
    "b": "bold", "strong": "bold",
    "i": "italic", "em": "italic", "cite": "italic", "var": "italic", "dfn": "italic",
    "u": "underline", "ins": "underline",
    "s": "strike", "strike": "strike", "del": "strike",
    "code": "code", "kbd": "code", "samp": "code", "tt": "code",
}

# Inline elements that are simply transparent (their text shows, nothing else).
TRANSPARENT = frozenset({
    "a", "abbr", "acronym", "audio", "bdi", "bdo", "big", "blink", "button", "canvas",
    "colgroup", "data", "datalist", "font", "head", "iframe", "label", "map", "mark", "marquee",
    "math", "meter", "nobr", "noembed", "noscript", "object", "output", "picture",
    "progress", "q", "rb", "rp", "rt", "rtc", "ruby", "select", "slot", "small", "span",
    "sub", "sup", "tbody", "td", "textarea", "tfoot", "th", "thead", "time", "video",
})

HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
LISTS = frozenset({"ul", "ol", "menu", "dir"})
PRE_TAGS = frozenset({"pre", "listing", "xmp", "plaintext"})

KNOWN = frozenset(DROP | VOID | BLOCK_BREAKS.keys() | INLINE_ENTITY.keys() | TRANSPARENT)

# Office/Word markup pasted into the editor: <o:p>, <st1:metricconverter>, <w:wrap>...
_NAMESPACED = re.compile(r"[a-z][a-z0-9]*:[a-z][a-z0-9_-]*")


def is_known(tag: str) -> bool:
    return tag in KNOWN or _NAMESPACED.fullmatch(tag) is not None


# Is there any real markup at all?  Only known tag names count, so an e-mail text with
# "<ivan@example.com>" or "a < b" in it is still treated as plain text.
_TAG_NAME = re.compile(r"<!--|</?([A-Za-z][A-Za-z0-9]*(?::[A-Za-z][\w-]*)?)(?=[\s/>])")


def looks_like_html(s: str) -> bool:
    return any(m.group(1) is None or is_known(m.group(1).lower()) for m in _TAG_NAME.finditer(s))


# html.parser decodes "&para=1" inside href as "¶=1" (it applies text rules to attributes);
# browsers do not decode a named reference without ";" in an attribute, so neither do we.
_ATTR = re.compile(r"""([^\s/>"'=][^\s/>=]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]*)))?""")
_REF = re.compile(r"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[A-Za-z][A-Za-z0-9]*;)")


def raw_attr(starttag_text: str | None, name: str) -> str | None:
    if not starttag_text:
        return None
    m = re.match(r"<[^\s/>]+", starttag_text)
    rest = starttag_text[m.end():] if m else starttag_text
    for a in _ATTR.finditer(rest):
        if a.group(1).lower() == name:
            value = next((v for v in a.group(2, 3, 4) if v is not None), "")
            return _REF.sub(lambda r: html.unescape(r.group(0)), value)
    return None


_LINKABLE = ("http", "https", "tg")
_DANGEROUS = ("javascript", "vbscript", "data", "about", "blob", "file")


def resolve_url(href: str | None, base_url: str | None) -> tuple[str | None, str | None]:
    """``(url, shown)``: ``url`` can become a text_url entity; otherwise ``shown`` is the
    address worth printing next to the link text (mailto:/tel:/ftp:...), or both are None
    (javascript:, anchors, relative links we cannot resolve)."""
    href = "".join(ch for ch in (href or "") if ch >= " ").strip()
    if not href or href.startswith("#"):
        return None, None
    if href.startswith("//"):
        href = "https:" + href
    elif href.lower().startswith("www."):
        href = "http://" + href
    scheme_m = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", href)
    if scheme_m is None:
        if not base_url:
            return None, None
        href = urljoin(base_url, href)
        scheme_m = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", href)
        if scheme_m is None:
            return None, None
    scheme = scheme_m.group(1).lower()
    if scheme in _DANGEROUS:
        return None, None
    href = href.replace(" ", "%20")
    if scheme in _LINKABLE:
        try:
            ok = scheme == "tg" or bool(urlsplit(href).netloc)
        except ValueError:  # e.g. a malformed IPv6 host
            ok = False
        return (href, None) if ok else (None, None)
    # Telegram only accepts http(s)/tg URLs in text_url; show the address instead.
    if scheme in ("mailto", "tel", "sms", "callto"):
        return None, unquote(href[len(scheme) + 1:].split("?", 1)[0]).lstrip("/")
    return None, href


def _bare(s: str) -> str:
    s = s.strip().lower()
    s = re.sub(r"^(?:https?://|mailto:|tel:)", "", s)
    s = re.sub(r"^www\.", "", s)
    return s.rstrip("/")


def same_address(text: str, address: str) -> bool:
    """Does the visible link text already show this address (so a link adds nothing)?"""
    bare_text, bare_addr = _bare(text), _bare(address)
    if not bare_text:
        return False
    if bare_text == bare_addr or bare_text == _bare(unquote(address)):
        return True
    digits_text = re.sub(r"\D", "", text)
    digits_addr = re.sub(r"\D", "", address)
    # Phone numbers are written in many ways: compare the digits (last ten: +7 vs 8).
    return len(digits_addr) >= 5 and digits_text[-10:] == digits_addr[-10:] and bool(
        re.fullmatch(r"[\d\s()+.-]+", text.strip())
    )


def image_name(alt: str | None, src: str | None) -> str:
    alt = " ".join((alt or "").split())
    if alt:
        return alt
    src = (src or "").strip()
    if not src or src.lower().startswith("data:"):
        return ""
    try:
        path = urlsplit(src).path
    except ValueError:
        return ""
    name = unquote(path.rstrip("/").rsplit("/", 1)[-1])
    # "/attachments/123/download" says nothing; a real file name has an extension.
    return name if "." in name.strip(".") else ""


def style_kinds(style: str | None) -> tuple[set[str], set[str]]:
    """Entities asked for (and suppressed) by an inline style attribute, as editors and
    Word/Google Docs pastes write them: ``<span style="font-weight:bold">``,
    ``<b style="font-weight:normal">`` (Google Docs wraps whole documents in that)."""
    add: set[str] = set()
    suppress: set[str] = set()
    for decl in (style or "").lower().split(";"):
        prop, _, value = decl.partition(":")
        prop, value = prop.strip(), value.replace("!important", "").strip()
        if prop == "font-weight":
            if value in ("bold", "bolder") or (value.isdigit() and int(value) >= 600):
                add.add("bold")
            elif value in ("normal", "lighter") or (value.isdigit() and int(value) < 600):
                suppress.add("bold")
        elif prop == "font-style":
            (add if value in ("italic", "oblique") else suppress).add("italic")
        elif prop in ("text-decoration", "text-decoration-line"):
            if "underline" in value:
                add.add("underline")
            if "line-through" in value:
                add.add("strike")
            if value == "none":
                suppress.update(("underline", "strike"))
    return add, suppress


def white_space_mode(style: str | None) -> str | None:
    """CSS white-space that keeps line breaks (e-mail bodies are often wrapped in
    ``<div style="white-space: pre-wrap">``): "pre" keeps spaces too, "pre-line" not."""
    m = re.search(r"white-space\s*:\s*([a-z-]+)", (style or "").lower())
    if not m:
        return None
    value = m.group(1)
    if value in ("pre", "pre-wrap", "break-spaces"):
        return "pre"
    if value == "pre-line":
        return "pre-line"
    return "normal"


def pre_language(attrs: dict[str, str | None]) -> str | None:
    for cls in (attrs.get("class") or "").split():
        for prefix in ("language-", "lang-"):
            if cls.lower().startswith(prefix) and len(cls) > len(prefix):
                return cls[len(prefix):]
    return None


def ordinal(n: int, style: str) -> str:
    """List numbering for <ol type="1|a|A|i|I">."""
    if style in ("a", "A") and n > 0:
        letters = ""
        while n > 0:
            n, rem = divmod(n - 1, 26)
            letters = chr(ord("a") + rem) + letters
        return letters.upper() if style == "A" else letters
    if style in ("i", "I") and 0 < n < 4000:
        numerals = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                    (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]
        out = ""
        for value, numeral in numerals:
            while n >= value:
                out += numeral
                n -= value
        return out.upper() if style == "I" else out
    return str(n)


def to_int(value: str | None, default: int) -> int:
    try:
        return int((value or "").strip())
    except ValueError:
        return default


# -- state the converter keeps per open element ----------------------------------------


@dataclass
class ListState:
    ordered: bool
    counter: int
    style: str
    depth: int


@dataclass
class RowState:
    has_text: bool = False


@dataclass
class LinkState:
    url: str | None  # becomes a text_url entity
    shown: str | None  # printed after the text when it cannot be an entity
    entity: OpenEntity | None
    capture: int | None = None
    pre_mark: int | None = None  # where the link text starts in the <pre> buffer


@dataclass(eq=False)
class Frame:
    tag: str
    attrs: list[tuple[str, str | None]]
    starttag: str | None
    entities: list[OpenEntity] = field(default_factory=list)
    close_break: int = 0
    kind: str = ""  # list | li | row | cell | quote | pre | pre-block | link
    formatting: bool = False  # pure inline formatting: re-opened after a misnested end tag
    code: bool = False
    ws: str | None = None
    row: RowState | None = None
    pos: int = 0
    link: LinkState | None = None


@dataclass
class PreBuffer:
    parts: list[str]
    language: str | None
    length: int = 0

    def add(self, s: str) -> None:
        self.parts.append(s)
        self.length += len(s)

    def text(self) -> str:
        return "".join(self.parts)
