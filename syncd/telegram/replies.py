"""Replies sent straight from handlers: menus, cards, questions, linking steps, button answers.

Every such reply goes through here rather than Telethon's ``send_message``, because:

- FloodWait. The daemon's client raises it at once (``flood_sleep_threshold=0``), and Telethon then
  refuses later calls of the same request type locally, to any chat, until it has passed. A reply
  waits it out (up to ``telegram.reply_flood_max`` seconds) and goes then. The outbox's Pacer is
  paused with it, and a pause the outbox started holds replies back too: neither sends inside a window.
- Exactly once. A send is one SendMessageRequest with its own random_id, built once; every retry
  (after a FloodWait, a dropped connection, or RANDOM_ID_DUPLICATE, which Telegram answers while the
  first call with that random_id is still in flight) repeats THAT request, so Telegram keeps one message.
- A handler never dies of a reply: what cannot be sent within the bounds is logged as an error and
  given up, and the caller learns it from the None it gets.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from telethon import errors, utils
from telethon.tl import functions, types

from syncd.logs import get_logger
from syncd.store.repo import new_random_id
from syncd.telegram.errors import REPLY_TARGET_REFUSED, error_name
from syncd.telegram.pacing import Pacer
from syncd.telegram.peers import without_access_hash
from syncd.telegram.port import TelegramPort

log = get_logger(__name__)
# Telethon's own convention for "the client's parse mode" (Markdown unless set), as send_message uses it.
DEFAULT_PARSE: Any = ()
TRIES = 5  # attempts of one reply, the first included
RETRY_BASE, RETRY_CAP = 0.5, 8.0  # seconds before asking again after a dropped connection or a duplicate
_FLOOD = (errors.FloodWaitError, errors.FloodPremiumWaitError, errors.SlowModeWaitError)
# The request may or may not have reached Telegram: asked again, the same request, the same random_id.
_TRANSIENT = (ConnectionError, OSError, asyncio.TimeoutError, TimeoutError, errors.ServerError, errors.TimedOutError)
# What an edit came to (Replies.edit_outcome).
EDITED, UNCHANGED, EDIT_FAILED = "edited", "unchanged", "failed"
# The client is gone for us (blocked the bot, deleted, an address refused even with access_hash 0):
# nothing to do about it here (the outbox tells staff when a delivery meets it).
_GONE = (errors.UserIsBlockedError, errors.InputUserDeactivatedError, errors.UserDeactivatedError,
         errors.UserDeactivatedBanError, errors.PeerIdInvalidError, errors.UserIdInvalidError)


class _GaveUp(Exception):
    """A reply not sent within the bounds (already logged as an error)."""


class NotSent(Exception):
    """For callers that must try again later: a reply send() gave up on (it logged why)."""


@dataclass(frozen=True)
class Sent:
    """A reply Telegram has. ``id`` is its message id, or None when every repeat was answered
    RANDOM_ID_DUPLICATE for the whole in-flight window: taken as sent, under an id never told."""

    id: int | None


class Replies:
    def __init__(self, tg: TelegramPort, *, pacer: Pacer, flood_max: float, in_flight_window: float = 300.0,
                 tries: int = TRIES) -> None:
        self.tg, self.pacer, self.flood_max, self.tries = tg, pacer, flood_max, tries
        # As the outbox (telegram.in_flight_window): RANDOM_ID_DUPLICATE is asked again this long, then
        # Telegram is taken to have the message.
        self.in_flight_window = in_flight_window

    # ------------------------------------------------------------ sending

    async def send(self, peer: Any, text: str, *, buttons: Any = None, reply_to: int | None = None,
                   parse_mode: Any = DEFAULT_PARSE, formatting_entities: list[Any] | None = None,
                   link_preview: bool = False) -> Sent | None:
        """One message to ``peer``; None when it could not be sent (logged)."""
        message, entities = (text, formatting_entities) if formatting_entities is not None \
            else self._parse(text, parse_mode)
        request = functions.messages.SendMessageRequest(
            peer=peer, message=message, random_id=new_random_id(), entities=entities or None,
            no_webpage=not link_preview, reply_markup=self.tg.build_reply_markup(buttons),
            reply_to=types.InputReplyToMessage(reply_to_msg_id=reply_to) if reply_to else None,
        )
        bound = log.bind(**_about(peer))
        try:
            result = await self._invoke(request, "send", bound, duplicates=True)
        except _GaveUp:
            return None
        except _GONE as exc:
            bound.warning("reply_not_sent_client_gone", error=error_name(exc))
            return None
        except errors.RPCError as exc:
            bound.error("reply_refused", error=error_name(exc))
            return None
        if result is None:  # RANDOM_ID_DUPLICATE for the whole in-flight window: taken as sent
            bound.info("reply_taken_as_sent")
            return Sent(None)
        return Sent(_message_id(result, request.random_id))

    async def respond(self, event: Any, text: str, **kwargs: Any) -> Sent | None:
        """A message to the chat an update came from (a message or a button press)."""
        return await self.send(await event.get_input_chat(), text, **kwargs)

    async def edit(self, peer: Any, msg_id: int, text: str | None = None, *, buttons: Any = None,
                   parse_mode: Any = DEFAULT_PARSE, formatting_entities: list[Any] | None = None,
                   link_preview: bool = False) -> bool:
        """Edit a bot message: the text (None keeps it) and the inline buttons (None removes them, as
        Telegram does). False when not done (logged); an edit changing nothing counts as done."""
        outcome = await self.edit_outcome(peer, msg_id, text, buttons=buttons, parse_mode=parse_mode,
                                          formatting_entities=formatting_entities, link_preview=link_preview)
        return outcome != EDIT_FAILED

    async def edit_outcome(self, peer: Any, msg_id: int, text: str | None = None, *, buttons: Any = None,
                           parse_mode: Any = DEFAULT_PARSE, formatting_entities: list[Any] | None = None,
                           link_preview: bool = False) -> str:
        """As :meth:`edit`, telling apart an edit that changed nothing (Telegram's MESSAGE_NOT_MODIFIED):
        EDITED, UNCHANGED or EDIT_FAILED (logged)."""
        if text is None:
            message, entities = None, None
        elif formatting_entities is not None:
            message, entities = text, formatting_entities
        else:
            message, entities = self._parse(text, parse_mode)
        request = functions.messages.EditMessageRequest(
            peer=peer, id=msg_id, message=message, entities=entities or None, no_webpage=not link_preview,
            reply_markup=self.tg.build_reply_markup(buttons),
        )
        bound = log.bind(**_about(peer), tg_message_id=msg_id)
        try:
            await self._invoke(request, "edit", bound, duplicates=False)
        except _GaveUp:
            return EDIT_FAILED
        except errors.MessageNotModifiedError:
            return UNCHANGED
        except errors.RPCError as exc:
            # An old message (past Telegram's edit window), or one deleted meanwhile.
            bound.info("reply_edit_refused", error=error_name(exc))
            return EDIT_FAILED
        return EDITED

    # ------------------------------------------------------------ button presses

    async def answer(self, event: Any, text: str | None = None, *, alert: bool = False) -> bool:
        """Answer a button press. Never raises: an answer Telegram refuses (too late, QUERY_ID_INVALID,
        or a FloodWait, which outlasts the answer's few seconds anyway) is logged, and the caller's work
        goes on. Not retried: by the time a retry could go, the press is dead."""
        try:
            await event.answer(text, alert=alert)
            return True
        except errors.QueryIdInvalidError:
            log.warning("callback_answer_too_late")
        except _FLOOD as exc:
            log.warning("callback_answer_flood_wait", seconds=exc.seconds)
        except Exception as exc:  # noqa: BLE001 - the answer is the courtesy; the press's work is not
            log.warning("callback_answer_failed", error=type(exc).__name__)
        return False

    # ------------------------------------------------------------ the one retry loop

    async def _invoke(self, request: Any, what: str, bound: Any, *, duplicates: bool) -> Any:
        """``request``'s answer, the very same request asked again after a FloodWait or a transient
        failure. With ``duplicates``: None when Telegram kept answering RANDOM_ID_DUPLICATE (the first
        call in flight) for the whole in-flight window, and so is taken to have the message. Raises
        _GaveUp at the bounds (the outcome may then be unknown: logged), and Telegram's other
        refusals as they are."""
        loop = asyncio.get_running_loop()
        in_flight_since: float | None = None
        failures = 0  # floods and transient failures: bounded by self.tries
        while True:
            await self._sit_out_pause(bound, what)
            try:
                return await self.tg(request)
            except _FLOOD as exc:
                seconds = float(max(1, exc.seconds or 0))
                self.pacer.pause(seconds)  # the outbox holds back too; the next turn waits it out
                bound.warning("reply_flood_wait", what=what, seconds=seconds)
                failures += 1
            except (errors.PeerIdInvalidError, errors.UserIdInvalidError):
                # A stored access_hash refused: once more with access_hash 0, the same random_id (a
                # refused request left nothing behind), as the outbox does (syncd.telegram.peers).
                fallback = without_access_hash(getattr(request, "peer", None))
                if fallback is None:
                    raise
                bound.info("access_hash_refused_trying_zero", what=what)
                request.peer = fallback
            except REPLY_TARGET_REFUSED as exc:
                # The message replied to is gone (the client deleted it): at once as a plain message,
                # the same random_id (a refused request created nothing; see syncd.telegram.media).
                if getattr(request, "reply_to", None) is None:
                    raise
                bound.info("reply_target_refused_sent_plain", what=what, error=error_name(exc))
                request.reply_to = None
            except errors.RandomIdDuplicateError:
                if not duplicates:
                    raise
                # The first call with this random_id is still in flight at Telegram: its outcome is
                # unknown, so it is asked again later, never with a new random_id.
                now = loop.time()
                in_flight_since = now if in_flight_since is None else in_flight_since
                waited = now - in_flight_since
                if waited >= self.in_flight_window:
                    return None
                bound.info("reply_in_flight", waited=round(waited, 1))
                await asyncio.sleep(min(RETRY_CAP, max(RETRY_BASE, waited), self.in_flight_window - waited))
            except _TRANSIENT as exc:
                bound.warning("reply_retry", what=what, error=type(exc).__name__)
                failures += 1
                await asyncio.sleep(_backoff(failures))
            if failures >= self.tries:
                bound.error("reply_given_up", what=what, tries=failures,
                            outcome_unknown=in_flight_since is not None)
                raise _GaveUp

    async def _sit_out_pause(self, bound: Any, what: str) -> None:
        """Wait while sending is paused (a FloodWait, ours or the outbox's); give up on a longer one."""
        wait = self.pacer.paused_for
        if wait > self.flood_max:
            bound.error("reply_given_up", what=what, reason="flood_wait_too_long", seconds=round(wait, 1),
                        reply_flood_max=self.flood_max)
            raise _GaveUp
        if wait > 0:
            await asyncio.sleep(wait)

    def _parse(self, text: str, parse_mode: Any) -> tuple[str, list[Any]]:
        """The text and its entities as Telethon's send_message makes them for ``parse_mode``."""
        mode = self.tg.parse_mode if parse_mode == DEFAULT_PARSE else utils.sanitize_parse_mode(parse_mode)
        if not mode:
            return text, []
        message, entities = mode.parse(text)
        # Telegram refuses empty entities (Telethon drops them too, in _parse_message_text).
        return message, [e for e in entities if e.length]


def _backoff(attempt: int) -> float:
    return min(RETRY_CAP, RETRY_BASE * 2 ** (attempt - 1))


def _about(peer: Any) -> dict[str, Any]:
    user_id = getattr(peer, "user_id", None)
    return {"tg_user_id": user_id} if user_id is not None else {}


def _message_id(result: Any, random_id: int) -> int | None:
    """The id Telegram gave the message: from its UpdateMessageID (matched by random_id), else from
    the new message itself."""
    if isinstance(result, types.UpdateShortSentMessage):
        return result.id
    updates = getattr(result, "updates", None) or []
    for update in updates:
        if isinstance(update, types.UpdateMessageID) and update.random_id == random_id:
            return update.id
    for update in updates:
        if isinstance(update, types.UpdateNewMessage) and getattr(update.message, "out", False):
            return update.message.id
    return None
