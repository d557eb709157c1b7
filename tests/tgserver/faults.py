"""Injected faults: scripted RPC errors, flood-wait windows, and withheld answers."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from .limits import RpcFail
from .rpc import matches


@dataclass
class FloodWindow:
    """FLOOD_WAIT window: every call of `method` between start and end got FLOOD_WAIT_N."""

    method: str
    seconds: int
    start: float
    end: float


@dataclass
class _FailRule:
    method: str
    error: str
    code: int
    times: int | None  # None: forever
    peer_user_id: int | None = None  # only calls addressed to this user


@dataclass
class _FloodRule:
    method: str
    seconds: int
    times: int


class Hold:
    """The next call of `method` is executed and recorded, but its answer is withheld
    until release(). `reached` is set once the held call has been executed. If the client
    connection closes meanwhile the answer is dropped, as a lost answer would be."""

    def __init__(self, method: str, loop: asyncio.AbstractEventLoop) -> None:
        self.method = method
        self.reached = threading.Event()
        self.delivered = threading.Event()  # the answer was written to the client
        self.dropped = threading.Event()  # the connection closed before release
        self._loop = loop
        self._released = asyncio.Event()  # only touched on the server loop
        self.armed = True

    def release(self) -> None:
        self._loop.call_soon_threadsafe(self._released.set)

    async def wait_released(self) -> None:
        await self._released.wait()


class Stall:
    """The next call of `method` is received but not executed: it stays in flight (its random_ids
    answer RANDOM_ID_DUPLICATE to any repeat) until release(). Then it is executed as usual, or, with
    release(error=...), fails with that error having stored nothing. Its answer goes to the connection
    it came on, if that is still open (`dropped` tells otherwise)."""

    def __init__(self, method: str, loop: asyncio.AbstractEventLoop,
                 where: Callable[[Any], bool] | None = None) -> None:
        self.method = method
        self.where = where  # only a call whose request this accepts (run on the server loop)
        self.reached = threading.Event()
        self.finished = threading.Event()  # released and executed (or failed)
        self.dropped = threading.Event()  # the connection closed before the answer could go
        self.error: tuple[str, int] | None = None
        self.keys: set[tuple[tuple[str, int], int]] = set()  # (peer, random_id) held in flight
        self._loop = loop
        self._released = asyncio.Event()
        self.armed = True

    def release(self, error: str | None = None, code: int = 500) -> None:
        self.error = (error, code) if error is not None else None
        self._loop.call_soon_threadsafe(self._released.set)

    async def wait_released(self) -> None:
        await self._released.wait()


class Faults:
    """Consulted before every RPC executes (only on the server loop)."""

    def __init__(self) -> None:
        self._fail_rules: list[_FailRule] = []
        self._flood_rules: list[_FloodRule] = []
        self.flood_windows: list[FloodWindow] = []
        self._holds: list[Hold] = []
        self._stalls: list[Stall] = []

    def add_fail(self, method: str, error: str, code: int, times: int | None,
                 peer_user_id: int | None = None) -> None:
        self._fail_rules.append(_FailRule(method, error, code, times, peer_user_id))

    def add_flood(self, method: str, seconds: int, times: int) -> None:
        self._flood_rules.append(_FloodRule(method, seconds, times))

    def add_hold(self, hold: Hold) -> None:
        self._holds.append(hold)

    def add_stall(self, stall: Stall) -> None:
        self._stalls.append(stall)

    def take_stall(self, names: tuple[str, str], request: Any) -> Stall | None:
        return _take(self._stalls, names, lambda stall: stall.where is None or stall.where(request))

    def clear(self) -> None:
        self._fail_rules.clear()
        self._flood_rules.clear()
        for hold in self._holds:
            hold.armed = False
        self._holds.clear()
        for stall in self._stalls:
            stall.armed = False
        self._stalls.clear()

    def check(self, names: tuple[str, str], request: object = None) -> None:
        """Raise the RpcFail an injected fault dictates for this call, if any."""
        peer_user_id = getattr(getattr(request, "peer", None), "user_id", None)
        for rule in self._fail_rules:
            if rule.peer_user_id is not None and rule.peer_user_id != peer_user_id:
                continue
            if matches(rule.method, names):
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times <= 0:
                        self._fail_rules.remove(rule)
                raise RpcFail(rule.error, rule.code)

        now = time.time()
        # Inside an open window Telegram keeps refusing with the remaining seconds.
        for window in self.flood_windows:
            if window.start <= now < window.end and matches(window.method, names):
                raise RpcFail(f"FLOOD_WAIT_{max(1, math.ceil(window.end - now))}", 420)
        for flood in self._flood_rules:
            if matches(flood.method, names):
                flood.times -= 1
                if flood.times <= 0:
                    self._flood_rules.remove(flood)
                self.flood_windows.append(
                    FloodWindow(names[0], flood.seconds, now, now + flood.seconds)
                )
                raise RpcFail(f"FLOOD_WAIT_{flood.seconds}", 420)

    def take_hold(self, names: tuple[str, str]) -> Hold | None:
        return _take(self._holds, names)


_Armed = TypeVar("_Armed", Hold, Stall)


def _take(armed: list[_Armed], names: tuple[str, str],
          accepts: Callable[[_Armed], bool] = lambda _fault: True) -> _Armed | None:
    """The first armed fault for this call (its method, then ``accepts``), disarmed and taken off the
    list: each acts once."""
    for fault in armed:
        if fault.armed and matches(fault.method, names) and accepts(fault):
            fault.armed = False
            armed.remove(fault)
            return fault
    return None
