"""Session-level RPCs: config, users, login, update state and difference, bot settings."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from telethon.tl import functions, types

from .limits import BOT_COMMANDS_MAX, RpcFail
from .rpc import Ctx, rpc
from .state import State, TgUser, now_dt

# Methods Telegram refuses to bots (user-only APIs): calling them is a daemon bug.
BOT_FORBIDDEN = (
    functions.messages.GetDialogsRequest,
    functions.messages.GetPeerDialogsRequest,
    functions.messages.GetHistoryRequest,
    functions.messages.SearchRequest,
    functions.messages.ReadHistoryRequest,
    functions.contacts.GetContactsRequest,
)


@rpc(*BOT_FORBIDDEN)
def bot_method_invalid(ctx: Ctx, req: Any) -> Any:
    raise RpcFail("BOT_METHOD_INVALID")


@rpc(functions.help.GetConfigRequest)
def get_config(ctx: Ctx, req: Any) -> types.Config:
    now = now_dt()
    return types.Config(
        date=now,
        expires=now + timedelta(hours=1),
        test_mode=False,
        this_dc=2,
        # Only DC 2 exists: it is the session's DC, so Telethon never opens "other DC"
        # connections (media included) and everything reaches this server.
        dc_options=[types.DcOption(id=2, ip_address="127.0.0.1", port=ctx.port)],
        dc_txt_domain_name="localhost",
        chat_size_max=200,
        megagroup_size_max=200_000,
        forwarded_count_max=100,
        online_update_period_ms=210_000,
        offline_blur_timeout_ms=5_000,
        offline_idle_timeout_ms=30_000,
        online_cloud_timeout_ms=300_000,
        notify_cloud_delay_ms=30_000,
        notify_default_delay_ms=1_500,
        push_chat_period_ms=60_000,
        push_chat_limit=2,
        edit_time_limit=172_800,
        revoke_time_limit=2_147_483_647,
        revoke_pm_time_limit=2_147_483_647,
        rating_e_decay=2_419_200,
        stickers_recent_limit=200,
        channels_read_media_period=604_800,
        call_receive_timeout_ms=20_000,
        call_ring_timeout_ms=90_000,
        call_connect_timeout_ms=30_000,
        call_packet_timeout_ms=10_000,
        me_url_prefix="https://t.me/",
        caption_length_max=1024,
        message_length_max=4096,
        webfile_dc_id=2,
    )


@rpc(functions.help.GetNearestDcRequest)
def get_nearest_dc(ctx: Ctx, req: Any) -> types.NearestDc:
    return types.NearestDc(country="RU", this_dc=2, nearest_dc=2)


def _input_user(state: State, input_user: Any) -> TgUser | None:
    if isinstance(input_user, types.InputUserSelf):
        return state.bot
    if isinstance(input_user, types.InputUser):
        user = state.users.get(input_user.user_id)
        if user is not None and user.access_hash == input_user.access_hash:
            return user
    if isinstance(input_user, types.InputUserFromMessage):
        return state.users.get(input_user.user_id)
    return None


@rpc(functions.users.GetUsersRequest)
def get_users(ctx: Ctx, req: Any) -> list[types.User]:
    found = (_input_user(ctx.state, u) for u in req.id)
    # Users the caller may not see (bad access_hash) are left out, as Telegram does.
    return [u.to_tl(is_self=u is ctx.state.bot) for u in found if u is not None]


@rpc(functions.users.GetFullUserRequest)
def get_full_user(ctx: Ctx, req: Any) -> types.users.UserFull:
    user = _input_user(ctx.state, req.id)
    if user is None:
        raise RpcFail("USER_ID_INVALID")
    full = types.UserFull(
        id=user.id,
        settings=types.PeerSettings(),
        notify_settings=types.PeerNotifySettings(),
        common_chats_count=0,
        blocked=user.blocked or None,
        bot_info=types.BotInfo(user_id=user.id, description="", commands=[])
        if user.is_bot
        else None,
    )
    return types.users.UserFull(
        full_user=full, chats=[], users=[user.to_tl(is_self=user is ctx.state.bot)]
    )


@rpc(functions.auth.ImportBotAuthorizationRequest)
def import_bot_authorization(ctx: Ctx, req: Any) -> types.auth.Authorization:
    if req.bot_auth_token != ctx.state.bot_token:
        raise RpcFail("ACCESS_TOKEN_INVALID")
    return types.auth.Authorization(user=ctx.state.bot.to_tl(is_self=True))


# ---------------------------------------------------------------- updates


def current_state(state: State) -> types.updates.State:
    # qts 0: this server produces no qts updates (Telethon then tracks none).
    return types.updates.State(pts=state.pts, qts=0, date=now_dt(), seq=0, unread_count=0)


@rpc(functions.updates.GetStateRequest)
def get_state(ctx: Ctx, req: Any) -> types.updates.State:
    return current_state(ctx.state)


@rpc(functions.updates.GetDifferenceRequest)
def get_difference(ctx: Ctx, req: Any) -> Any:
    state = ctx.state
    if req.pts > state.pts:
        # A session from another server run: tell the client where pts really is, or it
        # would ignore every update until pts caught up with its own.
        return types.updates.DifferenceTooLong(pts=state.pts)
    too_long = ctx.options.difference_too_long_after
    if too_long is not None and state.pts - req.pts > too_long:
        # Beyond the backlog Telegram keeps: the client must move on from the current state and the
        # gap is not handed back (core.telegram.org/method/updates.getDifference, differenceTooLong).
        state.skipped_gaps.append((req.pts, state.pts))
        return types.updates.DifferenceTooLong(pts=state.pts)
    missed = [(pts, update) for pts, update in state.update_log if pts > req.pts]
    if not missed:
        return types.updates.DifferenceEmpty(date=now_dt(), seq=0)
    limit = max(1, ctx.options.difference_limit)
    chunk = missed[:limit]
    new_messages, other_updates = [], []
    for _pts, update in chunk:
        if isinstance(update, types.UpdateNewMessage):
            # The message as it is now (edited or deleted since is reflected).
            current = state.messages.get(update.message.id)
            if current is not None:
                new_messages.append(state.handed_out(current))
        else:
            other_updates.append(update)
    carried = new_messages + [u.message for u in other_updates if hasattr(u, "message")]
    users, chats = state.entities_for(carried)
    common = dict(
        new_messages=new_messages,
        new_encrypted_messages=[],
        other_updates=other_updates,
        chats=chats,
        users=users,
    )
    if len(missed) > limit:
        intermediate = types.updates.State(
            pts=chunk[-1][0], qts=0, date=now_dt(), seq=0, unread_count=0
        )
        return types.updates.DifferenceSlice(**common, intermediate_state=intermediate)
    return types.updates.Difference(**common, state=current_state(state))


# ---------------------------------------------------------------- bot settings and misc

_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")


def _scope_key(scope: Any) -> str:
    peer = getattr(scope, "peer", None)
    suffix = f":{getattr(peer, 'user_id', None) or getattr(peer, 'chat_id', '')}" if peer else ""
    return type(scope).__name__ + suffix


@rpc(functions.bots.SetBotCommandsRequest)
def set_bot_commands(ctx: Ctx, req: Any) -> bool:
    if len(req.commands) > BOT_COMMANDS_MAX:
        raise RpcFail("BOTS_TOO_MUCH")
    for command in req.commands:
        if not _COMMAND_RE.match(command.command):
            raise RpcFail("BOT_COMMAND_INVALID")
        if not 1 <= len(command.description) <= 256:
            raise RpcFail("BOT_COMMAND_DESCRIPTION_INVALID")
    ctx.state.bot_commands[(_scope_key(req.scope), req.lang_code)] = list(req.commands)
    return True


@rpc(functions.bots.GetBotCommandsRequest)
def get_bot_commands(ctx: Ctx, req: Any) -> list[Any]:
    return ctx.state.bot_commands.get((_scope_key(req.scope), req.lang_code), [])


@rpc(functions.bots.ResetBotCommandsRequest)
def reset_bot_commands(ctx: Ctx, req: Any) -> bool:
    ctx.state.bot_commands.pop((_scope_key(req.scope), req.lang_code), None)
    return True


@rpc(functions.messages.SetTypingRequest)
def set_typing(ctx: Ctx, req: Any) -> bool:
    peer = ctx.state.resolve_peer(req.peer, zero_access_hash=ctx.options.zero_access_hash)
    ctx.state.check_can_write(peer, ctx.options.deactivated_error)
    return True


@rpc(functions.contacts.ResolveUsernameRequest)
def resolve_username(ctx: Ctx, req: Any) -> types.contacts.ResolvedPeer:
    wanted = req.username.lower().lstrip("@")
    for user in ctx.state.users.values():
        if user.username and user.username.lower() == wanted:
            return types.contacts.ResolvedPeer(
                peer=types.PeerUser(user_id=user.id),
                chats=[],
                users=[user.to_tl(is_self=user is ctx.state.bot)],
            )
    raise RpcFail("USERNAME_NOT_OCCUPIED")


@rpc(functions.messages.GetChatsRequest)
def get_chats(ctx: Ctx, req: Any) -> types.messages.Chats:
    chats = [ctx.state.chats[c].to_tl() for c in req.id if c in ctx.state.chats]
    return types.messages.Chats(chats=chats)


@rpc(functions.messages.GetFullChatRequest)
def get_full_chat(ctx: Ctx, req: Any) -> types.messages.ChatFull:
    chat = ctx.state.chats.get(req.chat_id)
    if chat is None:
        raise RpcFail("CHAT_ID_INVALID")
    members = [ctx.state.users[u] for u in sorted(chat.members)]
    participants = [
        types.ChatParticipant(user_id=u.id, inviter_id=u.id, date=chat.date) for u in members
    ]
    full = types.ChatFull(
        id=chat.id,
        about="",
        participants=types.ChatParticipants(chat_id=chat.id, participants=participants, version=1),
        notify_settings=types.PeerNotifySettings(),
    )
    users = [u.to_tl() for u in members] + [ctx.state.bot.to_tl(is_self=True)]
    return types.messages.ChatFull(full_chat=full, chats=[chat.to_tl()], users=users)
