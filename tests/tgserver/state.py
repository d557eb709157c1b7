"""What the test server knows: users, chats, messages, the pts sequence, media, records.

All mutation happens on the server's event loop thread while holding State.cond; every
change ends with cond.notify_all() so that TelegramTestServer.wait_for() wakes up.
"""

from __future__ import annotations

import os
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

from telethon.extensions import BinaryReader
from telethon.tl import types

from .files import Blob
from .limits import RpcFail

# Non-zero starting points that differ from each other, so a test or a daemon that
# confuses pts with message ids (or assumes they start at 0) fails visibly.
INITIAL_PTS = 10
FIRST_USER_ID = 5_000_000_001


def now_dt() -> datetime:
    return datetime.now(timezone.utc)


def random_long() -> int:
    return random.getrandbits(63) or 1


@dataclass
class TgUser:
    id: int
    access_hash: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    phone: str | None = None
    lang_code: str | None = None
    is_bot: bool = False
    blocked: bool = False  # the user blocked the bot: sends fail with USER_IS_BLOCKED
    deactivated: bool = False  # deleted account: INPUT_USER_DEACTIVATED

    def to_tl(self, *, is_self: bool = False) -> types.User:
        if self.deactivated:
            return types.User(id=self.id, deleted=True, access_hash=self.access_hash)
        return types.User(
            id=self.id,
            is_self=is_self or None,
            bot=self.is_bot or None,
            access_hash=self.access_hash,
            first_name=self.first_name,
            last_name=self.last_name,
            username=self.username,
            # Bots never see phone numbers of users (only shared contacts carry them).
            phone=None,
            lang_code=None if self.is_bot else self.lang_code,
            bot_info_version=1 if self.is_bot else None,
            status=None if self.is_bot else types.UserStatusRecently(),
        )

    def input_peer(self) -> types.InputPeerUser:
        return types.InputPeerUser(user_id=self.id, access_hash=self.access_hash)


@dataclass
class TgChat:
    """A basic group the bot is a member of."""

    id: int
    title: str
    date: datetime
    members: set[int] = field(default_factory=set)

    def to_tl(self) -> types.Chat:
        return types.Chat(
            id=self.id,
            title=self.title,
            photo=types.ChatPhotoEmpty(),
            participants_count=len(self.members) + 1,
            date=self.date,
            version=1,
        )


@dataclass
class Sent:
    """One message the bot created (SendMessage, SendMedia, or one item of SendMultiMedia)."""

    id: int
    peer_user_id: int | None
    peer_chat_id: int | None
    random_id: int
    method: str
    text: str
    entities: list[Any] | None
    media_kind: str | None
    file_name: str | None
    mime_type: str | None
    size: int | None
    sha256: str | None
    grouped_id: int | None
    reply_markup: Any
    reply_to_msg_id: int | None
    at: float
    file_path: Path | None = None  # the stored file, for media
    message: types.Message | None = None  # the TL Message as created


@dataclass
class Edit:
    msg_id: int
    peer_user_id: int | None
    peer_chat_id: int | None
    text: str
    entities: list[Any] | None
    reply_markup: Any
    at: float


@dataclass
class CallbackPress:
    query_id: int
    user_id: int
    msg_id: int
    data: bytes
    at: float
    answered: bool = False


@dataclass
class CallbackAnswer:
    query_id: int
    user_id: int
    msg_id: int
    data: bytes
    message: str | None
    alert: bool
    url: str | None
    cache_time: int
    at: float
    delay: float = 0.0  # seconds from the press to this answer
    accepted: bool = True  # False: refused as too late (QUERY_ID_INVALID), kept so tests see it


PeerKey = tuple[str, int]  # ("user", id) or ("chat", id)


def peer_key(peer: types.PeerUser | types.PeerChat) -> PeerKey:
    if isinstance(peer, types.PeerUser):
        return ("user", peer.user_id)
    return ("chat", peer.chat_id)


@dataclass
class Replay:
    """A send answered with the messages an earlier call with its random_ids created."""

    method: str
    random_ids: list[int]
    message_ids: list[int]
    at: float


class RpcRecord(NamedTuple):
    at: float
    method: str
    error: str | None


@dataclass
class StoredMedia:
    """A photo or document the server holds, with its bytes on disk."""

    kind: str  # photo / video / document / audio / voice / animation / sticker / video_note
    tl: Any  # types.Photo or types.Document
    blob: Blob
    file_name: str | None
    mime_type: str


class State:
    def __init__(self, bot: TgUser, bot_token: str) -> None:
        self.cond = threading.Condition()
        self.bot = bot
        self.bot_token = bot_token
        self.users: dict[int, TgUser] = {bot.id: bot}
        self.chats: dict[int, TgChat] = {}
        self.messages: dict[int, types.Message] = {}
        self.pts = INITIAL_PTS
        # (pts, update) for every pts-carrying update, kept for updates.getDifference.
        self.update_log: list[tuple[int, Any]] = []
        # (from pts, to pts) of every gap answered with updates.differenceTooLong.
        self.skipped_gaps: list[tuple[int, int]] = []
        # (peer, random_id) -> (message id, pts of its UpdateNewMessage): Telegram keeps used random_ids
        # per peer, forever (core.telegram.org/api/updates#updatemessageid-updates).
        self.random_ids: dict[tuple[PeerKey, int], tuple[int, int]] = {}
        # (peer, random_id) of sends received and not yet finished (see faults.Stall).
        self.in_flight: set[tuple[PeerKey, int]] = set()
        self.replays: list[Replay] = []
        self.callbacks: dict[int, CallbackPress] = {}
        self.media: dict[int, StoredMedia] = {}  # photo / document id -> media
        # file_reference -> (photo / document id, when it was handed out): see Options.file_reference_ttl.
        self.file_refs: dict[bytes, tuple[int, float]] = {}
        self.sent: list[Sent] = []
        self.edits: list[Edit] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.rpc_log: list[RpcRecord] = []
        self.bot_commands: dict[tuple[str, str], list[Any]] = {}
        self.internal_errors: list[str] = []
        self._next_msg_id = 1
        self._next_user_id = FIRST_USER_ID

    # ------------------------------------------------------------ users and chats

    def add_user(self, **fields: Any) -> TgUser:
        user = TgUser(id=self._next_user_id, access_hash=random_long(), **fields)
        self._next_user_id += 1
        self.users[user.id] = user
        return user

    def chat(self, chat_id: int) -> TgChat:
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = self.chats[chat_id] = TgChat(id=chat_id, title=f"Group {chat_id}", date=now_dt())
        return chat

    def resolve_peer(self, peer: Any, *, zero_access_hash: bool = False) -> types.PeerUser | types.PeerChat:
        """InputPeer -> Peer, checking access hashes like Telegram (PEER_ID_INVALID).
        zero_access_hash: access_hash 0 is accepted for a known user (Options.zero_access_hash)."""
        if isinstance(peer, types.InputPeerUser):
            user = self.users.get(peer.user_id)
            hash_ok = user is not None and (user.access_hash == peer.access_hash
                                            or (zero_access_hash and peer.access_hash == 0))
            if user is None or not hash_ok or user is self.bot:
                raise RpcFail("PEER_ID_INVALID")
            return types.PeerUser(user_id=user.id)
        if isinstance(peer, types.InputPeerUserFromMessage):
            if peer.user_id not in self.users or peer.user_id == self.bot.id:
                raise RpcFail("PEER_ID_INVALID")
            return types.PeerUser(user_id=peer.user_id)
        if isinstance(peer, types.InputPeerChat):
            if peer.chat_id not in self.chats:
                raise RpcFail("PEER_ID_INVALID")
            return types.PeerChat(chat_id=peer.chat_id)
        raise RpcFail("PEER_ID_INVALID")

    def check_can_write(self, peer: types.PeerUser | types.PeerChat,
                        deactivated_error: str = "INPUT_USER_DEACTIVATED") -> None:
        if isinstance(peer, types.PeerUser):
            user = self.users[peer.user_id]
            if user.deactivated:
                raise RpcFail(deactivated_error, 401 if deactivated_error == "USER_DEACTIVATED" else 400)
            if user.blocked:
                raise RpcFail("USER_IS_BLOCKED")

    def entities_for(self, messages: list[Any]) -> tuple[list[types.User], list[types.Chat]]:
        """The users and chats an Updates / Difference must carry for these messages."""
        user_ids: dict[int, None] = {self.bot.id: None}
        chat_ids: dict[int, None] = {}
        for msg in messages:
            for peer in (getattr(msg, "peer_id", None), getattr(msg, "from_id", None)):
                if isinstance(peer, types.PeerUser):
                    user_ids[peer.user_id] = None
                elif isinstance(peer, types.PeerChat):
                    chat_ids[peer.chat_id] = None
            contact = getattr(getattr(msg, "media", None), "user_id", None)
            if contact in self.users:
                user_ids[contact] = None
        users = [self.users[u].to_tl(is_self=u == self.bot.id) for u in user_ids]
        return users, [self.chats[c].to_tl() for c in chat_ids]

    # ------------------------------------------------------------ messages and pts

    def next_pts(self, count: int = 1) -> int:
        """The pts of an update that covers `count` events (pts = previous + pts_count)."""
        self.pts += count
        return self.pts

    def log_update(self, update: Any) -> Any:
        self.update_log.append((update.pts, update))
        return update

    def new_message(
        self,
        *,
        peer: types.PeerUser | types.PeerChat,
        out: bool,
        text: str = "",
        entities: list[Any] | None = None,
        media: Any = None,
        reply_markup: Any = None,
        reply_to_msg_id: int | None = None,
        grouped_id: int | None = None,
        from_id: types.PeerUser | None = None,
    ) -> tuple[types.Message, types.UpdateNewMessage]:
        """Create a message in the bot's message box (one id sequence for all private chats
        and basic groups, as in Telegram) and its pts-numbered UpdateNewMessage."""
        msg = types.Message(
            id=self._next_msg_id,
            peer_id=peer,
            date=now_dt(),
            message=text,
            out=out or None,
            from_id=from_id,
            reply_to=(
                types.MessageReplyHeader(reply_to_msg_id=reply_to_msg_id)
                if reply_to_msg_id
                else None
            ),
            media=media,
            reply_markup=reply_markup,
            entities=entities or None,
            grouped_id=grouped_id,
        )
        self._next_msg_id += 1
        self.messages[msg.id] = msg
        update = types.UpdateNewMessage(message=msg, pts=self.next_pts(), pts_count=1)
        return msg, self.log_update(update)

    def new_service_message(self, *, peer: types.PeerUser, action: Any,
                            reply_to_msg_id: int | None = None) -> tuple[types.MessageService, Any]:
        """A service message in a chat (a pin, say), with its pts-numbered UpdateNewMessage: it takes a
        message id of the same sequence as the other messages."""
        msg = types.MessageService(
            id=self._next_msg_id, peer_id=peer, date=now_dt(), action=action,
            reply_to=types.MessageReplyHeader(reply_to_msg_id=reply_to_msg_id) if reply_to_msg_id else None,
        )
        self._next_msg_id += 1
        self.messages[msg.id] = msg
        update = types.UpdateNewMessage(message=msg, pts=self.next_pts(), pts_count=1)
        return msg, self.log_update(update)

    def updates(self, updates: list[Any], messages: list[Any]) -> types.Updates:
        users, chats = self.entities_for(messages)
        # seq=0: these Updates are not part of the seq sequence (Telethon then skips the check).
        return types.Updates(updates=updates, users=users, chats=chats, date=now_dt(), seq=0)

    def new_callback(self, user: TgUser, msg_id: int, data: bytes) -> CallbackPress:
        press = CallbackPress(
            query_id=random_long(), user_id=user.id, msg_id=msg_id, data=data, at=time.time()
        )
        self.callbacks[press.query_id] = press
        return press

    def issue_reference(self, media_id: int) -> bytes:
        """A new file_reference for a photo or document, valid from now (Options.file_reference_ttl)."""
        ref = b"\x02" + os.urandom(16)
        self.file_refs[ref] = (media_id, time.time())
        return ref

    def reference_age(self, media_id: int, ref: bytes) -> float | None:
        """Seconds since this reference of this media was handed out; None if it never was."""
        issued = self.file_refs.get(bytes(ref or b""))
        if issued is None or issued[0] != media_id:
            return None
        return time.time() - issued[1]

    def handed_out(self, msg: Any) -> Any:
        """The message as a fetch hands it out now: a copy whose file, if any, carries a fresh
        file_reference (core.telegram.org/api/file_reference: refetch the message for a new one)."""
        item = getattr(getattr(msg, "media", None), "photo", None) or getattr(
            getattr(msg, "media", None), "document", None)
        if item is None or not hasattr(item, "file_reference"):
            return msg
        copy = BinaryReader(bytes(msg)).tgread_object()
        fresh = getattr(copy.media, "photo", None) or copy.media.document
        fresh.file_reference = self.issue_reference(fresh.id)
        return copy
