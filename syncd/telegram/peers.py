"""The Telegram address of a linked client, from what the store keeps of them."""

from __future__ import annotations

from telethon.tl import types

from syncd.store.rows import Link


def peer_of(link: Link) -> types.InputPeerUser:
    return types.InputPeerUser(user_id=link.tg_user_id, access_hash=link.tg_access_hash)


def without_access_hash(peer: types.InputPeerUser) -> types.InputPeerUser | None:
    """The same user with access_hash 0, which Telegram accepts from bots under some conditions
    (core.telegram.org/api/peers): the one fallback when a stored access_hash is refused. None when
    the peer has no other form to try."""
    if not isinstance(peer, types.InputPeerUser) or not peer.access_hash:
        return None
    return types.InputPeerUser(user_id=peer.user_id, access_hash=0)
