"""The Telegram address of a linked client, from what the store keeps of them."""

from __future__ import annotations

from typing import Any

from telethon.tl import types


def peer_of(link: Any) -> types.InputPeerUser:
    return types.InputPeerUser(user_id=link.tg_user_id, access_hash=link.tg_access_hash)
