"""What a Telethon exception means for an outbox item."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from telethon import errors
from telethon.errors.rpcerrorlist import rpc_errors_dict

# The user blocked the bot: keep their items, stop trying until they write again.
_BLOCKED = (errors.UserIsBlockedError,)
# The stored address (access_hash) was refused: tried once more with access_hash 0, then as blocked.
_PEER_INVALID = (errors.PeerIdInvalidError, errors.UserIdInvalidError)
# The user deleted their account: they will never write again (INPUT_USER_DEACTIVATED is documented
# among messages.sendMessage's errors and names the user addressed).
_GONE = (errors.InputUserDeactivatedError,)
# USER_DEACTIVATED (401) is documented for the calling account itself (core.telegram.org/api/errors):
# it may mean the bot was deleted. Taken as the client's deleted account only once users.getUsers
# shows that account deleted, or a deleted bot would forget every client it tries to reach.
_GONE_IF_CONFIRMED = (errors.UserDeactivatedError, errors.UserDeactivatedBanError)
# Telegram would not take the file as a photo: the same file goes as a document.
_PHOTO_REFUSED = (errors.PhotoInvalidDimensionsError, errors.PhotoSaveFileInvalidError, errors.PhotoExtInvalidError,
                  errors.ImageProcessFailedError, errors.PhotoInvalidError, errors.PhotoContentTypeInvalidError,
                  errors.PhotoFileMissingError)



class ReplyMessageIdInvalidError(errors.BadRequestError):
    """REPLY_MESSAGE_ID_INVALID: "The specified reply-to message ID is invalid", among the documented
    errors of messages.sendMessage and messages.sendMedia (core.telegram.org/method/messages.sendMessage):
    the message replied to is not there (the client deleted it, say). Telethon 1.45 has no class for it."""

    def __init__(self, request: Any) -> None:
        super().__init__(request, "REPLY_MESSAGE_ID_INVALID")


class ReplyToInvalidError(errors.BadRequestError):
    """REPLY_TO_INVALID: "The specified reply_to field is invalid" (documented, as above)."""

    def __init__(self, request: Any) -> None:
        super().__init__(request, "REPLY_TO_INVALID")


# Registered with Telethon, which then raises them by name as it does its own (a later Telethon that
# knows them keeps its own classes).
rpc_errors_dict.setdefault("REPLY_MESSAGE_ID_INVALID", ReplyMessageIdInvalidError)
rpc_errors_dict.setdefault("REPLY_TO_INVALID", ReplyToInvalidError)
# Telegram refused the message a send replies to: the same send goes again as a plain message.
REPLY_TARGET_REFUSED: tuple[type[Exception], ...] = (rpc_errors_dict["REPLY_MESSAGE_ID_INVALID"],
                                                     rpc_errors_dict["REPLY_TO_INVALID"])

# Telethon gives the errors it knows a class whose ``message`` is only the generic "BAD_REQUEST":
# the name Telegram sent is recovered from the class.
_NAME_OF = {cls: name for name, cls in rpc_errors_dict.items()}


def error_name(exc: errors.RPCError) -> str:
    return _NAME_OF.get(type(exc)) or (exc.message or type(exc).__name__).upper()


@dataclass(frozen=True)
class SendFailure:
    """Why one step of a delivery failed: Telegram's answer, or the Okdesk download before it."""

    # duplicate: RANDOM_ID_DUPLICATE, the first call with the random_id is still in flight (not sent,
    # not failed: unknown yet) | flood | blocked | peer_invalid | gone (account deleted) |
    # deactivated (USER_DEACTIVATED: gone if Telegram shows the account deleted, else the bot's own
    # account may be: see syncd.relay.sender) | photo_refused | outage | item
    kind: str
    detail: str
    wait: float = 0.0


def classify(exc: BaseException) -> SendFailure:
    name = type(exc).__name__
    if isinstance(exc, errors.RandomIdDuplicateError):
        return SendFailure("duplicate", "RANDOM_ID_DUPLICATE")
    if isinstance(exc, (errors.FloodWaitError, errors.FloodPremiumWaitError, errors.SlowModeWaitError)):
        return SendFailure("flood", f"FLOOD_WAIT_{exc.seconds}", float(exc.seconds or 1))
    if isinstance(exc, _BLOCKED):
        return SendFailure("blocked", error_name(exc))
    if isinstance(exc, _PEER_INVALID):
        return SendFailure("peer_invalid", error_name(exc))
    if isinstance(exc, _GONE):
        return SendFailure("gone", error_name(exc))
    if isinstance(exc, _GONE_IF_CONFIRMED):
        return SendFailure("deactivated", error_name(exc))
    if isinstance(exc, errors.RPCError):
        message = error_name(exc)
        if isinstance(exc, _PHOTO_REFUSED):
            return SendFailure("photo_refused", message)
        if isinstance(exc, (errors.ServerError, errors.TimedOutError)) or exc.code in (-503, 500, 503):
            return SendFailure("outage", message)
        return SendFailure("item", message)
    if isinstance(exc, (ConnectionError, OSError, asyncio.TimeoutError, TimeoutError)):
        return SendFailure("outage", name)
    return SendFailure("item", f"{name}: {exc}"[:300])
