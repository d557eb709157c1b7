"""RPC handler registry and the context handlers get.

A handler is a plain function (ctx, request) -> result run on the server loop while
holding State.cond. It returns a TL object, a bool (Bool) or a list (Vector), or raises
RpcFail(message, code) for an rpc_error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .files import FileStore
from .state import State

Handler = Callable[["Ctx", Any], Any]
HANDLERS: dict[type, Handler] = {}


def rpc(*request_types: type) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for request_type in request_types:
            HANDLERS[request_type] = fn
        return fn

    return register


def method_names(request: Any) -> tuple[str, str]:
    """("SendMessage", "messages.SendMessage") for a SendMessageRequest."""
    short = type(request).__name__.removesuffix("Request")
    namespace = type(request).__module__.rsplit(".", 1)[-1]
    return short, short if namespace == "functions" else f"{namespace}.{short}"


def matches(pattern: str, names: tuple[str, str]) -> bool:
    """A fault or hold names a method either way: "SendMessage" or "messages.SendMessage"."""
    return pattern in names


@dataclass
class Options:
    """Behaviour switches, changeable while the server runs (srv.options).

    Each is listed in tests/tgserver/README.md with its source (documented / reported / assumed).
    Where Telegram's behaviour is not documented, the default is the least convenient variant.
    """

    # Updates produced while no connection listens are pushed to the next connection that makes a
    # request. Reported (Telethon's client/updates.py, _handle_auto_reconnect: "Telegram seems to send
    # them without asking"), not documented: by default they are only available through
    # updates.getDifference, which the client must then call.
    redeliver_after_reconnect: bool = False
    # At most this many messages per updates.difference; more -> updates.differenceSlice.
    difference_limit: int = 100
    # updates.getDifference answers updates.differenceTooLong when the client is more than this many
    # pts events behind (documented: the answer exists and means "the gap is skipped"; the bound for
    # bots is not documented). None: never.
    difference_too_long_after: int | None = 40
    # A send repeated with a random_id already used towards the same peer. Documented
    # (core.telegram.org/api/updates#updatemessageid-updates): "replay" answers the messages the first
    # call created, with their updateMessageID, and sends nothing. "duplicate_error" is the behaviour
    # an earlier version of this server had (RANDOM_ID_DUPLICATE for every repeat), kept as a variant.
    # A repeat while the first call is still in flight is RANDOM_ID_DUPLICATE in both.
    random_id_repeat: str = "replay"
    # An album whose random_ids were partly used before: undocumented. "duplicate_error" refuses the
    # whole album with RANDOM_ID_DUPLICATE; "replay_used" answers the used items with their earlier
    # messages and sends the others as a new album.
    album_partial_repeat: str = "duplicate_error"
    # Seconds a file_reference stays valid (documented that they expire: core.telegram.org/api/
    # file_reference; the lifetime is not). Checked on every upload.getFile, so a slow download can
    # outlive its reference (reported: Telethon issue #4341). None: references never expire.
    file_reference_ttl: float | None = 5.0
    # Seconds after a button press within which messages.setBotCallbackAnswer is accepted; later:
    # QUERY_ID_INVALID. Reported (Telethon issue #4073: a few seconds), not documented. None: no limit.
    callback_answer_deadline: float | None = 3.0
    # Formatting entities per message. Reported (tdlib/telegram-bot-api #820, rubenlagus/TelegramBots
    # #854): at most 100 take effect. "error": more are refused with ENTITIES_TOO_LONG (documented among
    # messages.sendMessage's errors); "ignore": those past the limit are silently dropped.
    max_entities: int | None = 100
    entities_over_limit: str = "error"
    # The total size of the entities (each entity's own text plus its URL): ENTITIES_TOO_LONG beyond.
    # Reported (tdlib/telegram-bot-api #165: "about 9500 characters" of marked-up text, said a Telegram
    # developer); the exact measure is not documented. None: no limit.
    max_entities_size: int | None = 9500
    # InputPeerUser with access_hash 0 accepted for a user the bot has met. Documented only for bots,
    # and only under some conditions (core.telegram.org/api/peers): off by default, so a fallback to it
    # fails unless a test turns this on.
    zero_access_hash: bool = False
    # The answer to a messages.sendMessage that created a message. Telegram often answers with the short
    # updateShortSentMessage (its id, pts and date; no random_id, no updateMessageID), reported: Telethon
    # handles it (telethon/client/messages.py, send_message; _get_response_message). "updates": the full
    # updates with updateMessageID and updateNewMessage. The short form is the default: code that reads
    # the message id off updateMessageID alone would miss it.
    send_message_answer: str = "short"
    # Whether a repeated random_id is recognised before the peer's state is checked: a repeat towards a
    # user who has since blocked the bot is answered with the earlier message (True) or USER_IS_BLOCKED
    # (False, the default). Assumed either way.
    repeat_checked_first: bool = False
    # Seconds between the pushes of an album's items: Telegram may deliver them as separate updates,
    # apart (assumed: observed clients gather them by grouped_id). None: one updates with all of them.
    album_items_apart: float | None = 0.05
    # What a send to a deleted account is answered. Documented among messages.sendMessage's errors:
    # INPUT_USER_DEACTIVATED (400). "USER_DEACTIVATED" (401) is the variant some methods are listed with.
    deactivated_error: str = "INPUT_USER_DEACTIVATED"
    # A send (messages.sendMessage, messages.sendMedia) replying to a message that is not in the chat
    # (never was, or deleted since, by the user for both sides). REPLY_MESSAGE_ID_INVALID (400) is
    # documented among both methods' errors ("The specified reply-to message ID is invalid"); that a
    # deleted target gets it is assumed. "error": refused with it, nothing sent; "ignored": sent, the
    # reply header naming the missing message.
    reply_to_deleted: str = "error"


@dataclass
class Ctx:
    state: State
    files: FileStore
    options: Options
    owner: int  # auth_key_id of the calling session: uploads belong to it
    port: int
    method: str
    push_others: Callable[[Any], None]  # updates for the other connections of the bot
