"""The HTML rewrite of `Options.rewrite_comment_html` (Okdesk's sanitizer, approximated).

Real Okdesk runs comment and description HTML through its editor's sanitizer, so what a
client reads back is not byte-for-byte what it sent.  The rewrite here is small and
idempotent: void `<br>` tags become `<br />`; content that does not start with a
block-level tag is wrapped in `<p>...</p>`; in text (outside tags) `"` becomes `&quot;`
and runs of spaces collapse to one.  Apostrophes, `&#39;` and other entities are kept.
"""

from __future__ import annotations

import re

_TAG_RE = re.compile(r"(<[^<>]*>)")
_BR_RE = re.compile(r"<br\s*/?\s*>", re.IGNORECASE)
_BLOCK_START_RE = re.compile(
    r"^\s*<(p|div|ul|ol|table|blockquote|pre|h[1-6])(\s[^<>]*)?>", re.IGNORECASE
)


def rewrite_html(content: str) -> str:
    if not content.strip():
        return content
    parts = _TAG_RE.split(content)
    for index, part in enumerate(parts):
        if index % 2:  # a tag
            parts[index] = _BR_RE.sub("<br />", part)
        else:  # text between tags
            parts[index] = re.sub(r" {2,}", " ", part.replace('"', "&quot;"))
    rewritten = "".join(parts)
    if not _BLOCK_START_RE.match(rewritten):
        rewritten = f"<p>{rewritten}</p>"
    return rewritten
