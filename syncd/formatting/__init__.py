"""Text conversion between Okdesk (HTML) and Telegram (text + entities).

Pure functions, no I/O: Okdesk comment HTML -> Telegram text with entities, splitting
long texts into Telegram-sized messages, client text -> Okdesk HTML, and issue titles.
All entity offsets and lengths are UTF-16 code units, as Telegram counts them.
"""

from __future__ import annotations

from .entities import KINDS, Entity, FormattedText, normalize_entities, utf16_len
from .okdesk_html import html_to_telegram
from .outgoing import text_to_okdesk_html
from .split import split_formatted
from .titles import make_title

__all__ = [
    "KINDS",
    "Entity",
    "FormattedText",
    "html_to_telegram",
    "make_title",
    "normalize_entities",
    "split_formatted",
    "text_to_okdesk_html",
    "utf16_len",
]
