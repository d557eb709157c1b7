"""What users do, pushed to the bot: messages, files, contacts, button presses.

A mixin of TelegramTestServer; every method runs its work on the server loop.
"""

from __future__ import annotations

import re
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from telethon.tl import types

from .files import FileStore
from .limits import markup_callback_data, utf16_len
from .media import inbound_media
from .rpc import Options
from .server import ServerCore
from .state import State, TgUser, random_long

T = TypeVar("T")
_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?")


def _chat_instance(bot_id: int, peer: Any) -> int:
    """A stable opaque id per (bot, chat), as Telegram's chat_instance is."""
    key = f"{bot_id}:{getattr(peer, 'user_id', None)}:{getattr(peer, 'chat_id', None)}"
    return zlib.crc32(key.encode()) << 20 | 0x5A5A


class UserActions:
    _state: State
    _files: FileStore
    options: Options

    def _call(self, fn: Callable[..., T], *args: Any) -> T:
        raise NotImplementedError

    def _require_core(self) -> ServerCore:
        raise NotImplementedError

    def _push_user_messages(
        self, user: TgUser, make: Callable[[], list[dict[str, Any]]]
    ) -> list[int]:
        """Create the messages make() describes, as one Updates pushed to the bot."""

        def run() -> list[int]:
            state = self._state
            with state.cond:
                sender = state.users[user.id]
                if sender.deactivated:
                    raise ValueError("a deactivated user cannot send messages")
                # Everything that may fail (files) first: a message created but never pushed
                # would leave a pts gap behind.
                described = make()
                # Writing to the bot requires unblocking it first, as in Telegram.
                sender.blocked = False
                messages, updates = [], []
                for fields in described:
                    msg, update = state.new_message(out=False, **fields)
                    messages.append(msg)
                    updates.append(update)
                pushed = state.updates(updates, messages)
                state.cond.notify_all()
            self._require_core().push(pushed)
            return [m.id for m in messages]

        return self._call(run)

    def delete_message(self, user: TgUser, msg_id: int) -> None:
        """The user deletes their own message in the bot's chat, for both sides: it is gone from the
        bot's box (a reply to it is then refused or ignored: Options.reply_to_deleted), and
        updateDeleteMessages is pushed to the bot."""

        def run() -> None:
            state = self._state
            with state.cond:
                msg = state.messages.get(msg_id)
                if msg is None or getattr(msg.peer_id, "user_id", None) != user.id or msg.out:
                    raise ValueError(f"message {msg_id} is not one of user {user.id}'s in the bot's chat")
                del state.messages[msg_id]
                update = state.log_update(types.UpdateDeleteMessages(messages=[msg_id], pts=state.next_pts(1),
                                                                     pts_count=1))
                pushed = state.updates([update], [])
                state.cond.notify_all()
            self._require_core().push(pushed)

        self._call(run)

    @staticmethod
    def _private(
        user: TgUser, text: str, entities: list[Any] | None, **extra: Any
    ) -> dict[str, Any]:
        if entities is None:
            command = _COMMAND_RE.match(text)
            # Telegram marks a leading /command with a bot_command entity.
            entities = (
                [types.MessageEntityBotCommand(offset=0, length=utf16_len(command.group()))]
                if command
                else None
            )
        return dict(peer=types.PeerUser(user_id=user.id), text=text, entities=entities, **extra)

    def send_text(
        self,
        user: TgUser,
        text: str,
        *,
        entities: list[Any] | None = None,
        reply_to: int | None = None,
    ) -> int:
        fields = self._private(user, text, entities, reply_to_msg_id=reply_to)
        return self._push_user_messages(user, lambda: [fields])[0]

    def send_contact(
        self,
        user: TgUser,
        phone: str,
        first_name: str,
        last_name: str = "",
        user_id: int | None = None,
        vcard: str = "",
    ) -> int:
        media = types.MessageMediaContact(
            phone_number=phone,
            first_name=first_name,
            last_name=last_name,
            vcard=vcard,
            user_id=user_id or 0,  # 0: a contact that is not a Telegram user
        )
        fields = self._private(user, "", None, media=media)
        return self._push_user_messages(user, lambda: [fields])[0]

    def send_group_text(self, user: TgUser, chat_id: int, text: str) -> int:
        def make() -> list[dict[str, Any]]:
            self._state.chat(chat_id).members.add(user.id)
            fields = self._private(user, text, None)
            fields.update(
                peer=types.PeerChat(chat_id=chat_id), from_id=types.PeerUser(user_id=user.id)
            )
            return [fields]

        return self._push_user_messages(user, make)[0]

    def send_media(
        self,
        user: TgUser,
        kind: str,
        data: bytes = b"",
        *,
        path: Path | str | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        caption: str = "",
        grouped_id: int | None = None,
        reply_to: int | None = None,
        **details: Any,
    ) -> int:
        """kind: photo / document / video / video_note / voice / audio / sticker / animation
        (data = the file, or path = a file on disk, copied in chunks: for big files), location
        (details lat=, long=) or contact (as send_contact)."""
        if kind == "contact":
            return self.send_contact(user, **details)
        item = dict(
            kind=kind,
            data=data,
            path=path,
            file_name=file_name,
            mime_type=mime_type,
            caption=caption,
            grouped_id=grouped_id,
            reply_to=reply_to,
            **details,
        )
        return self._send_items(user, [item])[0]

    def send_album(self, user: TgUser, items: list[dict[str, Any]]) -> list[int]:
        """Several media sharing a grouped_id (items: send_media kwargs): pushed in one Updates, or
        each in its own, Options.album_items_apart seconds apart."""
        if len(items) > 1:
            grouped_id = random_long()
            items = [{**item, "grouped_id": grouped_id} for item in items]
        apart = self.options.album_items_apart
        if apart is None or len(items) < 2:
            return self._send_items(user, items)
        ids: list[int] = []
        for n, item in enumerate(items):
            if n:
                time.sleep(apart)
            ids += self._send_items(user, [item])
        return ids

    def _send_items(self, user: TgUser, items: list[dict[str, Any]]) -> list[int]:
        def make() -> list[dict[str, Any]]:
            return [self._media_fields(user, dict(item)) for item in items]

        return self._push_user_messages(user, make)

    def _media_fields(self, user: TgUser, item: dict[str, Any]) -> dict[str, Any]:
        kind = item.pop("kind")
        caption = item.pop("caption", "") or ""
        extra = dict(
            grouped_id=item.pop("grouped_id", None), reply_to_msg_id=item.pop("reply_to", None)
        )
        if kind == "location":
            geo = types.GeoPoint(long=item["long"], lat=item["lat"], access_hash=random_long())
            media: Any = types.MessageMediaGeo(geo=geo)
        else:
            media, _stored = inbound_media(
                self._state, self._files, kind, item.pop("data", b""), **item
            )
        return self._private(user, caption, None, media=media, **extra)

    def pin_message(self, user: TgUser, msg_id: int) -> int:
        """The user pins a message of their chat with the bot: a service message (messageActionPinMessage)
        in the chat, which takes a message id and a pts like any message. Returns its id."""

        def run() -> int:
            state = self._state
            with state.cond:
                msg, update = state.new_service_message(
                    peer=types.PeerUser(user_id=user.id), action=types.MessageActionPinMessage(),
                    reply_to_msg_id=msg_id)
                pushed = state.updates([update], [msg])
                if not any(u.id == user.id for u in pushed.users):
                    pushed.users.append(state.users[user.id].to_tl())
                state.cond.notify_all()
            self._require_core().push(pushed)
            return msg.id

        return self._call(run)

    def press_button(self, user: TgUser, msg_id: int, data: bytes, *, check: bool = True) -> int:
        """A press on an inline button of the bot's message -> UpdateBotCallbackQuery.
        check: the message must exist and currently carry a button with this data."""

        def run() -> int:
            state = self._state
            with state.cond:
                msg = state.messages.get(msg_id)
                if check and (msg is None or data not in markup_callback_data(msg.reply_markup)):
                    raise ValueError(f"message {msg_id} has no inline button with data {data!r}")
                press = state.new_callback(user, msg_id, data)
                peer = msg.peer_id if msg is not None else types.PeerUser(user_id=user.id)
                update = types.UpdateBotCallbackQuery(
                    query_id=press.query_id,
                    user_id=user.id,
                    peer=peer,
                    msg_id=msg_id,
                    chat_instance=_chat_instance(state.bot.id, peer),
                    data=data,
                )
                pushed = state.updates([update], [msg] if msg is not None else [])
                if not any(u.id == user.id for u in pushed.users):
                    pushed.users.append(state.users[user.id].to_tl())
                state.cond.notify_all()
            self._require_core().push(pushed)
            return press.query_id

        return self._call(run)
