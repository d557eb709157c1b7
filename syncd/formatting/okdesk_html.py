"""Okdesk comment HTML -> Telegram text with entities (never Telegram's HTML parse mode).

Telegram's own HTML parser rejects most of what the Okdesk editor writes (<div>, <p>,
<span style>, &nbsp;, unclosed tags...), and a rejected message is a lost message.  So the
HTML is rendered here to plain text plus entities, which Telegram accepts unconditionally
once the offsets are right.  Decisions, each made so that no text is lost:

* Layout: <p>/<h1..6> are paragraphs (an empty line between), other blocks (<div>, <li>,
  <tr>, <blockquote>, <pre>, <hr>...) start a new line, <br> is one line break.  Never
  more than one empty line in a row, no blank lines at the start or end.
* &nbsp; becomes an ordinary space, but is not collapsed (three &nbsp; stay three spaces,
  as a browser shows them).  Editors put &nbsp; everywhere as an artifact; a U+00A0 left in
  the text breaks search and copy-paste of numbers and commands, and counts as "not a
  space" for Telegram's own link detection.
* Lists: "• item" (nested "◦", then "▪"), "1. item" (honours start/value/type), nested
  lists and continuation lines indented under the item text.
* Links: a text_url entity for http(s)/tg URLs; plain text when the text already is the
  URL (Telegram links it itself); mailto:/tel:/other schemes, which Telegram does not
  accept in text_url, print the address after the text: "write us (a@b.ru)";
  javascript:/data:/anchors and unresolvable relative links: just the text.
* Images: "[image: alt]" (or the file name from src, or "[image]"), linked to src when it
  is an absolute http(s) URL: the reader sees that there was a picture and can open it.
* Tables (Telegram has none): one line per row, cells joined by " | ", <th> bold.
* <script>/<style>/<title>/<template>/<svg> content and <!-- comments --> are dropped; any
  tag we do not know (e.g. "<ivan@example.com>", "<https://...>" in a pasted e-mail) is
  kept as text, because to a person it is text.
* Input without a single known tag is plain text (an e-mail): its line breaks are kept.
"""
from __future__ import annotations

import html as _html
import re

from . import _html_rules as rules
from ._html_converter import Converter
from .entities import FormattedText

__all__ = ["html_to_telegram"]

_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _plain_text(s: str) -> str:
    """A comment without markup: decode entities, keep its line breaks, tidy blank lines."""
    s = _html.unescape(s).replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    lines: list[str] = []
    blank = False
    for line in s.split("\n"):
        line = line.rstrip()
        if not line.strip():
            blank = bool(lines)
            continue
        if blank:
            lines.append("")
        lines.append(line)
        blank = False
    return "\n".join(lines).lstrip()


def html_to_telegram(
    html: str, *, base_url: str | None = None, image_label: str = "image"
) -> FormattedText:
    """Render Okdesk comment HTML as Telegram text + entities.  Never raises.

    ``base_url`` (the Okdesk account URL) resolves relative links and image sources;
    ``image_label`` is the word in "[image: scan.png]".
    """
    if not isinstance(html, str):
        html = "" if html is None else str(html)
    # Lone surrogates cannot be sent at all (UTF-8 encoding fails); "\r" would be
    # dropped by Telegram and shift every entity after it.
    source = _SURROGATE.sub("\ufffd", html).replace("\r\n", "\n").replace("\r", "\n")
    try:
        if not rules.looks_like_html(source):
            return FormattedText(_plain_text(source))
        return Converter(source, base_url, image_label).run()
    except Exception:  # a converter bug must not cost the comment: show it as text
        return FormattedText(_plain_text(source))
