"""A Telegram MTProto test server for the real, unmodified Telethon client.

See docs/dev/test-harness-api.md ("Telegram test server") and TelegramTestServer.
"""

from __future__ import annotations

from .control import TelegramTestServer
from .faults import FloodWindow, Hold
from .images import make_png, sniff_image
from .rpc import Options
from .state import CallbackAnswer, Edit, RpcRecord, Sent, TgUser

__all__ = [
    "CallbackAnswer",
    "Edit",
    "FloodWindow",
    "Hold",
    "Options",
    "RpcRecord",
    "Sent",
    "TelegramTestServer",
    "TgUser",
    "make_png",
    "sniff_image",
]
