"""What a Telethon exception means for an outbox item."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from telethon import errors
from telethon.errors.rpcerrorlist import rpc_errors_dict

# The user is gone for us until they write again: keep their items, stop trying.
_BLOCKED = (errors.UserIsBlockedError, errors.InputUserDeactivatedError, errors.UserDeactivatedError,
            errors.UserDeactivatedBanError, errors.PeerIdInvalidError, errors.UserIdInvalidError)
# Telegram would not take the file as a photo: the same file goes as a document.
_PHOTO_REFUSED = {"PHOTO_INVALID_DIMENSIONS", "PHOTO_SAVE_FILE_INVALID", "PHOTO_EXT_INVALID",
                  "IMAGE_PROCESS_FAILED", "PHOTO_INVALID", "PHOTO_CONTENT_TYPE_INVALID", "PHOTO_FILE_MISSING"}


# Telethon gives the errors it knows a class whose ``message`` is only the generic "BAD_REQUEST":
# the name Telegram sent is recovered from the class.
_NAME_OF = {cls: name for name, cls in rpc_errors_dict.items()}


def error_name(exc: errors.RPCError) -> str:
    return _NAME_OF.get(type(exc)) or (exc.message or type(exc).__name__).upper()


@dataclass(frozen=True)
class SendFailure:
    """Why one step of a delivery failed: Telegram's answer, or the Okdesk download before it."""

    kind: str  # duplicate | flood | blocked | photo_refused | outage | item
    detail: str
    wait: float = 0.0


def classify(exc: BaseException) -> SendFailure:
    name = type(exc).__name__
    if isinstance(exc, errors.RandomIdDuplicateError):
        return SendFailure("duplicate", "RANDOM_ID_DUPLICATE")
    if isinstance(exc, (errors.FloodWaitError, errors.FloodPremiumWaitError, errors.SlowModeWaitError)):
        return SendFailure("flood", f"FLOOD_WAIT_{exc.seconds}", float(exc.seconds or 1))
    if isinstance(exc, _BLOCKED):
        return SendFailure("blocked", error_name(exc) if isinstance(exc, errors.RPCError) else name)
    if isinstance(exc, errors.RPCError):
        message = error_name(exc)
        if message in _PHOTO_REFUSED:
            return SendFailure("photo_refused", message)
        if isinstance(exc, (errors.ServerError, errors.TimedOutError)) or exc.code in (-503, 500, 503):
            return SendFailure("outage", message)
        return SendFailure("item", message)
    if isinstance(exc, (ConnectionError, OSError, asyncio.TimeoutError, TimeoutError)):
        return SendFailure("outage", name)
    return SendFailure("item", f"{name}: {exc}"[:300])
