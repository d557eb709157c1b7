"""Client text from Telegram -> HTML for an Okdesk comment or issue description."""

from __future__ import annotations

import html

__all__ = ["text_to_okdesk_html"]


def text_to_okdesk_html(text: str) -> str:
    """Escape ``text`` for HTML and turn its line breaks into ``<br>``.

    Nothing else is rewritten: every character the client typed reaches Okdesk (runs of
    spaces included, even though a browser shows them as one).  Quotes are left alone,
    because the result is element content, never an attribute value.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return html.escape(text, quote=False).replace("\n", "<br>")
