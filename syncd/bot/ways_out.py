"""The cancel buttons: one under every question that waits for the client (syncd.bot.cancel acts on them).

Two kinds, by what the question waits for: the client's next message ("write your comment", "describe
the problem", "your remark", "what went wrong?"), or a choice about a message already sent (where to put
it, reopen or not), whose job the button names.
"""

from __future__ import annotations

from typing import Any

from telethon import Button

from syncd.sync.routing import Callback, encode
from syncd.texts import t


def cancel_prompt_row(lang: str) -> list[Any]:
    """Under a question waiting for the client's message: nothing more is waited for."""
    return [Button.inline(t(lang, "cancel_button"), encode(Callback("cancel")))]


def cancel_job_row(lang: str, job_id: int) -> list[Any]:
    """Under a question about a message: cancel it, the message is not sent."""
    return [Button.inline(t(lang, "cancel_button"), encode(Callback("drop", job_id=job_id)))]
