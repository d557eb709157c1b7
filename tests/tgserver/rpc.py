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
    """Behaviour switches, changeable while the server runs (srv.options)."""

    # Updates produced while no connection listens are pushed to the next connection that
    # makes a request, as Telegram does after a short disconnection. False: they are only
    # available through updates.getDifference (Telethon then finds them on its next gap).
    redeliver_after_reconnect: bool = True
    # At most this many messages per updates.difference; more -> updates.differenceSlice.
    difference_limit: int = 100


@dataclass
class Ctx:
    state: State
    files: FileStore
    options: Options
    owner: int  # auth_key_id of the calling session: uploads belong to it
    port: int
    method: str
    push_others: Callable[[Any], None]  # updates for the other connections of the bot
