"""Text messages the bot sends and edits, message lookups, and callback answers."""

from __future__ import annotations

import time
from typing import Any

from telethon.extensions import BinaryReader
from telethon.tl import functions, types

from .limits import RpcFail, check_reply_markup, check_text, utf16_len
from .rpc import Ctx, rpc
from .state import CallbackAnswer, Edit, Replay, Sent, State, StoredMedia, now_dt, peer_key


def _peer_ids(peer: Any) -> tuple[int | None, int | None]:
    return getattr(peer, "user_id", None), getattr(peer, "chat_id", None)


def reply_to_id(reply_to: Any) -> int | None:
    return getattr(reply_to, "reply_to_msg_id", None)


def writable_peer(ctx: Ctx, input_peer: Any, random_ids: list[int] | None = None,
                  ) -> tuple[types.PeerUser | types.PeerChat, types.Updates | None]:
    """The peer a send goes to, checked as Telegram does; with Options.repeat_checked_first, a repeated
    random_id is answered (the second value) before the peer's state is looked at."""
    peer = ctx.state.resolve_peer(input_peer, zero_access_hash=ctx.options.zero_access_hash)
    if random_ids and ctx.options.repeat_checked_first:
        replayed = replay_or_check(ctx, peer, random_ids)
        if isinstance(replayed, types.Updates):
            return peer, replayed
    ctx.state.check_can_write(peer, ctx.options.deactivated_error)
    return peer, None


def replay_or_check(ctx: Ctx, peer: types.PeerUser | types.PeerChat, random_ids: list[int],
                    *, album: bool = False) -> types.Updates | list[int] | None:
    """What Telegram does with a send's random_ids before sending anything.

    None: all new, send. An Updates: every random_id was used towards this peer before, and this is
    the answer (the earlier messages, nothing sent). A list (albums, album_partial_repeat="replay_used"
    only): the random_ids still to send, the others being replayed in the same answer.
    RANDOM_ID_DUPLICATE (500, which Telethon classes as a server error) while any of them is in flight,
    and, in the "duplicate_error" variant, for any used one.
    """
    state, options = ctx.state, ctx.options
    key = peer_key(peer)
    if any((key, rid) in state.in_flight for rid in random_ids) or len(set(random_ids)) < len(random_ids):
        raise RpcFail("RANDOM_ID_DUPLICATE", 500)
    used = [rid for rid in random_ids if (key, rid) in state.random_ids]
    if not used:
        return None
    if options.random_id_repeat == "duplicate_error":
        raise RpcFail("RANDOM_ID_DUPLICATE", 500)
    if len(used) < len(random_ids):
        if not album or options.album_partial_repeat != "replay_used":
            raise RpcFail("RANDOM_ID_DUPLICATE", 500)
        return [rid for rid in random_ids if rid not in used]
    return replay(ctx, peer, random_ids)


def replayed_updates(state: State, peer: types.PeerUser | types.PeerChat,
                     random_ids: list[int]) -> tuple[list[Any], list[Any], list[int]]:
    """updateMessageID + updateNewMessage (its original pts: already seen by the client) per used
    random_id, with the messages as they are now."""
    key = peer_key(peer)
    updates: list[Any] = []
    messages: list[Any] = []
    ids: list[int] = []
    for rid in random_ids:
        found = state.random_ids.get((key, rid))
        if found is None:
            continue
        msg_id, pts = found
        ids.append(msg_id)
        updates.append(types.UpdateMessageID(id=msg_id, random_id=rid))
        current = state.messages.get(msg_id)
        if current is not None:
            messages.append(current)
            updates.append(types.UpdateNewMessage(message=current, pts=pts, pts_count=1))
    return updates, messages, ids


def replay(ctx: Ctx, peer: types.PeerUser | types.PeerChat, random_ids: list[int]) -> types.Updates:
    state = ctx.state
    updates, messages, ids = replayed_updates(state, peer, random_ids)
    state.replays.append(Replay(ctx.method, list(random_ids), ids, time.time()))
    # Nothing happened: the answer goes to the caller only, no other session hears of it.
    return state.updates(updates, messages)


def create_outgoing(
    ctx: Ctx,
    *,
    method: str,
    peer: types.PeerUser | types.PeerChat,
    random_id: int,
    text: str,
    entities: list[Any] | None,
    reply_markup: Any = None,
    reply_to_msg_id: int | None = None,
    stored: StoredMedia | None = None,
    media: Any = None,
    grouped_id: int | None = None,
) -> tuple[types.Message, list[Any]]:
    """Create one message of the bot, record it in srv.sent, and return the message with the
    updates its answer carries: UpdateMessageID(id, random_id) + UpdateNewMessage."""
    state = ctx.state
    from_id = types.PeerUser(user_id=state.bot.id) if isinstance(peer, types.PeerChat) else None
    msg, new_update = state.new_message(
        peer=peer,
        out=True,
        text=text,
        entities=entities,
        media=media,
        reply_markup=reply_markup,
        reply_to_msg_id=reply_to_msg_id,
        grouped_id=grouped_id,
        from_id=from_id,
    )
    state.random_ids[(peer_key(peer), random_id)] = (msg.id, new_update.pts)
    user_id, chat_id = _peer_ids(peer)
    state.sent.append(
        Sent(
            id=msg.id,
            peer_user_id=user_id,
            peer_chat_id=chat_id,
            random_id=random_id,
            method=method,
            text=text,
            entities=entities or None,
            media_kind=stored.kind if stored else _plain_media_kind(media),
            file_name=stored.file_name if stored else None,
            mime_type=stored.mime_type if stored else None,
            size=stored.blob.size if stored else None,
            sha256=stored.blob.sha256 if stored else None,
            grouped_id=grouped_id,
            reply_markup=reply_markup,
            reply_to_msg_id=reply_to_msg_id,
            at=time.time(),
            file_path=stored.blob.path if stored else None,
            message=msg,
        )
    )
    return msg, [types.UpdateMessageID(id=msg.id, random_id=random_id), new_update]


def _plain_media_kind(media: Any) -> str | None:
    if isinstance(media, types.MessageMediaContact):
        return "contact"
    if isinstance(media, types.MessageMediaGeo):
        return "location"
    return None


def answer_updates(ctx: Ctx, updates: list[Any], messages: list[Any]) -> types.Updates:
    """The Updates answered to the caller; other connections of the bot get the same
    events without UpdateMessageID, as Telegram pushes them to the account's other sessions."""
    answer = ctx.state.updates(updates, messages)
    others = [u for u in updates if not isinstance(u, types.UpdateMessageID)]
    if others:
        ctx.push_others(ctx.state.updates(others, messages))
    return answer


def check_reply_target(ctx: Ctx, peer: types.PeerUser | types.PeerChat, reply_to: Any) -> None:
    """A reply to a message not in this chat (never was, or deleted since): Options.reply_to_deleted.
    Checked after the random_id: a repeat of a send that went is its replay, whatever became of its target."""
    msg_id = reply_to_id(reply_to)
    if msg_id is None or ctx.options.reply_to_deleted != "error":
        return
    target = ctx.state.messages.get(msg_id)
    if target is None or peer_key(target.peer_id) != peer_key(peer):
        raise RpcFail("REPLY_MESSAGE_ID_INVALID", 400)


@rpc(functions.messages.SendMessageRequest)
def send_message(ctx: Ctx, req: Any) -> Any:
    peer, replayed = writable_peer(ctx, req.peer, [req.random_id])
    if replayed is not None:
        return short_answer(ctx, replayed)
    entities = check_text(req.message, req.entities, caption=False, options=ctx.options)
    check_reply_markup(req.reply_markup)
    replayed = replay_or_check(ctx, peer, [req.random_id])
    if replayed is not None:
        return short_answer(ctx, replayed)
    check_reply_target(ctx, peer, req.reply_to)
    msg, updates = create_outgoing(
        ctx,
        method="SendMessage",
        peer=peer,
        random_id=req.random_id,
        text=req.message,
        entities=entities,
        reply_markup=req.reply_markup,
        reply_to_msg_id=reply_to_id(req.reply_to),
    )
    return short_answer(ctx, answer_updates(ctx, updates, [msg]))


def short_answer(ctx: Ctx, answer: types.Updates) -> Any:
    """updateShortSentMessage instead of the full updates, when Options.send_message_answer says so."""
    if ctx.options.send_message_answer != "short":
        return answer
    new = next((u for u in answer.updates if isinstance(u, types.UpdateNewMessage)), None)
    if new is None:  # a replayed message deleted since: only its updateMessageID is left to say
        return answer
    msg = new.message
    return types.UpdateShortSentMessage(id=msg.id, pts=new.pts, pts_count=new.pts_count, date=msg.date,
                                        out=True, media=msg.media, entities=msg.entities)


def _copy(msg: types.Message) -> types.Message:
    """A deep copy through serialization, so edits never alter objects already answered."""
    return BinaryReader(bytes(msg)).tgread_object()


def _same(a: Any, b: Any) -> bool:
    def norm(value: Any) -> bytes:
        if value is None:
            return b""
        if isinstance(value, list):
            return b"".join(bytes(v) for v in value)
        return bytes(value)

    return norm(a) == norm(b)


@rpc(functions.messages.EditMessageRequest)
def edit_message(ctx: Ctx, req: Any) -> types.Updates:
    state = ctx.state
    peer = state.resolve_peer(req.peer, zero_access_hash=ctx.options.zero_access_hash)
    msg = state.messages.get(req.id)
    if msg is None or _peer_ids(msg.peer_id) != _peer_ids(peer):
        raise RpcFail("MESSAGE_ID_INVALID")
    if not msg.out:
        raise RpcFail("MESSAGE_AUTHOR_REQUIRED", 403)
    if req.media is not None:
        raise RpcFail("MEDIA_EDIT_NOT_IMPLEMENTED_IN_TEST_SERVER")
    text = msg.message if req.message is None else req.message
    entities = msg.entities if req.message is None else req.entities
    if req.message is not None:
        entities = check_text(text, entities, caption=msg.media is not None, options=ctx.options)
    check_reply_markup(req.reply_markup)
    # Like Telegram, an edit without reply_markup removes the inline keyboard.
    if (
        text == msg.message
        and _same(entities, msg.entities)
        and _same(req.reply_markup, msg.reply_markup)
    ):
        raise RpcFail("MESSAGE_NOT_MODIFIED")
    edited = _copy(msg)
    edited.message, edited.entities = text, entities or None
    edited.reply_markup, edited.edit_date = req.reply_markup, now_dt()
    state.messages[msg.id] = edited
    update = state.log_update(
        types.UpdateEditMessage(message=edited, pts=state.next_pts(), pts_count=1)
    )
    user_id, chat_id = _peer_ids(peer)
    state.edits.append(
        Edit(
            msg_id=msg.id,
            peer_user_id=user_id,
            peer_chat_id=chat_id,
            text=text,
            entities=entities or None,
            reply_markup=req.reply_markup,
            at=time.time(),
        )
    )
    return answer_updates(ctx, [update], [edited])


@rpc(functions.messages.DeleteMessagesRequest)
def delete_messages(ctx: Ctx, req: Any) -> types.messages.AffectedMessages:
    state = ctx.state
    ids = [i for i in req.id if i in state.messages]
    if not ids:
        return types.messages.AffectedMessages(pts=state.pts, pts_count=0)
    for msg_id in ids:
        del state.messages[msg_id]
    update = state.log_update(
        types.UpdateDeleteMessages(messages=ids, pts=state.next_pts(len(ids)), pts_count=len(ids))
    )
    ctx.push_others(state.updates([update], []))
    return types.messages.AffectedMessages(pts=update.pts, pts_count=update.pts_count)


@rpc(functions.messages.GetMessagesRequest)
def get_messages(ctx: Ctx, req: Any) -> types.messages.Messages:
    state = ctx.state
    found: list[Any] = []
    for wanted in req.id:
        msg_id = getattr(wanted, "id", None)
        if isinstance(wanted, types.InputMessageReplyTo):
            msg_id = reply_to_id(getattr(state.messages.get(msg_id), "reply_to", None))
        msg = state.messages.get(msg_id) if msg_id else None
        found.append(state.handed_out(msg) if msg is not None else types.MessageEmpty(id=msg_id or 0, peer_id=None))
    users, chats = state.entities_for([m for m in found if not isinstance(m, types.MessageEmpty)])
    return types.messages.Messages(messages=found, topics=[], chats=chats, users=users)


@rpc(functions.messages.SetBotCallbackAnswerRequest)
def set_bot_callback_answer(ctx: Ctx, req: Any) -> bool:
    press = ctx.state.callbacks.get(req.query_id)
    if press is None or press.answered:
        raise RpcFail("QUERY_ID_INVALID")
    if req.message and utf16_len(req.message) > 200:
        raise RpcFail("MESSAGE_TOO_LONG")
    now = time.time()
    deadline = ctx.options.callback_answer_deadline
    late = deadline is not None and now - press.at > deadline
    # A late answer is refused (Telegram has already shown the user a failed press) and recorded,
    # so a test can tell "answered late" from "never answered".
    press.answered = not late
    ctx.state.callback_answers.append(
        CallbackAnswer(
            query_id=press.query_id,
            user_id=press.user_id,
            msg_id=press.msg_id,
            data=press.data,
            message=req.message,
            alert=bool(req.alert),
            url=req.url,
            cache_time=req.cache_time,
            at=now,
            delay=now - press.at,
            accepted=not late,
        )
    )
    if late:
        raise RpcFail("QUERY_ID_INVALID")
    return True
