"""Titles for Okdesk issues created from a Telegram message."""

from __future__ import annotations

import re

__all__ = ["make_title"]

ELLIPSIS = "…"
# A sentence ends at . ! ? or … (any run of them: "?!", "...") followed by a space or the
# end, so "версия 2.5" or "report.pdf" do not end one.
_SENTENCE_END = re.compile(r"[.!?…]+(?= |$)")
_DANGLING = ",;: -–—"


def make_title(text: str, limit: int = 80) -> str:
    """A title of at most ``limit`` characters (code points, as Okdesk counts them).

    Whitespace is normalised (line breaks become spaces, runs collapse).  The whole text
    if it fits; else its first sentence if that fits; else as many whole words as fit
    followed by "…" (which counts toward the limit).  Only a first word too long to fit
    even with the "…" alone - typically a URL - is cut, to ``limit - 1`` characters + "…".
    Empty or whitespace-only text gives "" (callers then use the file name or the kind
    of message).
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    norm = " ".join(text.split())
    if len(norm) <= limit:
        return norm
    m = _SENTENCE_END.search(norm)
    if m is not None:
        sentence = norm[: m.end()]
        # A sentence of punctuation only ("... да") would make a useless title.
        if len(sentence) <= limit and any(ch.isalnum() for ch in sentence):
            return sentence
    words = norm.split(" ")
    if len(words[0]) + len(ELLIPSIS) > limit:
        return words[0][: limit - len(ELLIPSIS)] + ELLIPSIS
    title = words[0]
    for word in words[1:]:
        if len(title) + 1 + len(word) + len(ELLIPSIS) > limit:
            break
        title += " " + word
    # "принтер в 204,…" reads better as "принтер в 204…"; a trailing lone dash goes too.
    return (title.rstrip(_DANGLING) or title) + ELLIPSIS
