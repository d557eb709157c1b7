"""syncd.telegram.port: the daemon's client and the tests' in-memory fake both have every member of
TelegramPort, with its parameters (mypy cannot tell: Telethon ships no types), the port loads no
Telethon, and the fake answers fast."""

from __future__ import annotations

import asyncio
import inspect
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from telethon.tl import types

from syncd.telegram.client import SyncdTelegramClient
from syncd.telegram.port import TelegramPort
from tests.fakes.telegram import InProcessTelegram, in_process_bot, in_process_server

ATTRIBUTES = ("session", "parse_mode", "difference_watcher")


def _methods() -> dict[str, Any]:
    return {name: member for name, member in vars(TelegramPort).items()
            if callable(member) and (not name.startswith("_") or name == "__call__")}


def _parameters(cls: type, name: str, member: Any) -> dict[str, inspect.Parameter]:
    """The parameters after self (Telethon has a static method or two)."""
    params = dict(inspect.signature(member).parameters)
    if not isinstance(inspect.getattr_static(cls, name), staticmethod):
        params.pop(next(iter(params)))
    return params


def _accepts(have: dict[str, inspect.Parameter], wanted: dict[str, inspect.Parameter]) -> list[str]:
    """What of the Protocol's signature the real method does not take (names and positions)."""
    kinds = {p.kind for p in have.values()}
    positional = [n for n, p in have.items() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    missing = []
    for index, (name, param) in enumerate(wanted.items()):
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.kind == param.POSITIONAL_OR_KEYWORD and index < len(positional) and positional[index] == name:
            continue
        if param.kind == param.POSITIONAL_OR_KEYWORD and param.VAR_POSITIONAL in kinds:
            continue
        if param.kind == param.KEYWORD_ONLY and (name in have or param.VAR_KEYWORD in kinds):
            continue
        missing.append(name)
    return missing


@pytest.mark.parametrize("cls", [SyncdTelegramClient, InProcessTelegram])
def test_every_member_of_the_port_is_there(cls: type) -> None:
    for name, member in _methods().items():
        real = getattr(cls, name, None)
        assert real is not None, f"{cls.__name__} has no {name}"
        wanted = _parameters(TelegramPort, name, member)
        assert _accepts(_parameters(cls, name, real), wanted) == [], f"{cls.__name__}.{name}"
    assert isinstance(vars(TelegramPort)["disconnected"], property)
    assert isinstance(inspect.getattr_static(cls, "disconnected"), property)
    for name in ATTRIBUTES:
        assert name in TelegramPort.__annotations__
    assert hasattr(cls, "parse_mode") and hasattr(cls, "difference_watcher")


def test_importing_the_port_loads_no_telethon() -> None:
    code = "import sys, syncd.telegram.port; print(sorted(m for m in sys.modules if m.startswith('telethon')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_fake_answers_a_send_in_well_under_10_ms(tmp_path: Path) -> None:
    with in_process_server(tmp_path) as srv:
        user = srv.add_user()
        peer = types.InputPeerUser(user_id=user.id, access_hash=user.access_hash)

        async def body() -> float:
            tg = await in_process_bot(srv)
            try:
                await tg.send_message(peer, "warm-up")
                start = time.perf_counter()
                for n in range(20):
                    await tg.send_message(peer, f"message {n}")
                return (time.perf_counter() - start) / 20
            finally:
                await tg.disconnect()

        per_send = asyncio.run(body())
        assert len(srv.sent_to(user)) == 21
    assert per_send < 0.010, f"{per_send * 1000:.1f} ms a send"
