"""The in-memory fake where the daemon takes its Telegram client: syncd.app.parts.build wires it into every
part, the bot logs in the daemon's way, and a client's /start is answered, all in process."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from telethon.tl import types

import syncd.app.parts
from syncd.config import load_settings
from syncd.store.db import make_engine, migrate
from syncd.telegram.login import start_bot
from tests.configfile import write_config
from tests.fakes.telegram import InProcessTelegram, in_process_server

from .conftest import until


def test_the_parts_run_on_the_fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with in_process_server(tmp_path / "tg") as srv:
        config = tmp_path / "config.toml"
        write_config(config, {
            "okdesk": {"url": "http://127.0.0.1:9", "api_token": "okdesk-token"},
            "telegram": {"api_id": 12345, "api_hash": "0123456789abcdef0123456789abcdef",
                         "bot_token": srv.bot_token},
            "state": {"dir": str(tmp_path / "state")},
        })
        settings = load_settings(config, env={})
        (tmp_path / "state").mkdir()
        engine = make_engine(settings.database_url)
        migrate(engine)
        monkeypatch.setattr(syncd.app.parts, "make_telegram_client", lambda _settings: InProcessTelegram(srv))
        parts = syncd.app.parts.build(settings, engine, tmp_path)

        async def body() -> Any:
            parts.bot.register()
            await start_bot(parts.tg, settings.telegram.bot_token)
            try:
                user = srv.add_user(first_name="Ivan")
                srv.send_text(user, "/start")
                return user, await until(lambda: srv.sent_to(user))
            finally:
                await parts.tg.disconnect()

        user, (reply, *_more) = asyncio.run(body())
        assert isinstance(parts.tg, InProcessTelegram) and parts.sender.tg is parts.tg
        # The linking step: share the phone number, with Telethon's request-phone reply button.
        assert reply.peer_user_id == user.id and reply.text
        (button,) = reply.reply_markup.rows[0].buttons
        assert isinstance(button.type, types.ButtonTypeRequestPhone)
        parts.okdesk.close()
        engine.dispose()
