"""The part of Telethon's ``TelegramClient`` the running daemon uses: Telegram's one interface.

Everything syncd does with Telegram goes through these members (``syncd check`` excepted: it makes
its own plain client, connects, logs in and out). Raw requests go through ``__call__``; those the
daemon sends: ``messages.SendMessage``, ``SendMedia`` (one or a batch of them), ``UploadMedia``,
``SendMultiMedia``, ``EditMessage``, ``users.GetUsers``, ``updates.GetState``,
``bots.GetBotCommands`` and ``bots.SetBotCommands``. The rest are
Telethon's high-level methods, named with the parameters syncd passes. Event objects the handlers
get (``event.answer()``, ``event.get_input_chat()``, ...) are Telethon's and come with the client.

Two classes satisfy it: :class:`syncd.telegram.client.SyncdTelegramClient` (checked by mypy in
``syncd/telegram/conformance.py``, as far as Telethon, which ships no types, lets it) and the tests'
in-memory ``tests.fakes.telegram.InProcessTelegram``; tests/contract/telegram/ runs one suite
against both, and tests/unit/test_telegram_port.py checks every member exists on both with these
parameters. Importing this module loads no Telethon.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, Protocol

# Told of every updates.getDifference Telethon makes: (the request, its result or None, the error
# or None). syncd.telegram.catchup mends what Telethon's own catch-up leaves behind.
DifferenceWatcher = Callable[[Any, Any, BaseException | None], None]


class TelegramSession(Protocol):
    """What the daemon does with Telethon's session: its update state, written at once."""

    def get_update_states(self) -> Iterable[tuple[int, Any]]: ...

    def set_update_state(self, entity_id: int, state: Any) -> None: ...

    def save(self) -> None: ...


class TelegramPort(Protocol):
    """The daemon's Telegram client. Errors are Telethon's classes (``telethon.errors``)."""

    session: TelegramSession
    parse_mode: Any  # the default formatting of texts (Telethon's Markdown unless set)
    difference_watcher: DifferenceWatcher | None

    # ------------------------------------------------------------ life

    def start(self, *, bot_token: str) -> Any:
        """Connect and log in as the bot (awaitable; a session already logged in only connects)."""

    def is_connected(self) -> bool: ...

    @property
    def disconnected(self) -> Awaitable[Any]:
        """Resolves when the connection ends for good (Telethon gave up reconnecting, or disconnect)."""

    def disconnect(self) -> Any:
        """Awaitable inside a running loop."""

    def catch_up(self) -> Awaitable[Any]:
        """Ask for the updates missed (updates.getDifference from where Telethon stopped)."""

    def add_event_handler(self, callback: Callable[[Any], Awaitable[Any]], event: Any = None) -> None: ...

    # ------------------------------------------------------------ requests

    def __call__(self, request: Any, ordered: bool = False,
                 flood_sleep_threshold: int | None = None) -> Awaitable[Any]:
        """One TL request (or a list: a batch; Telethon raises MultiError if any failed)."""

    def get_me(self, input_peer: bool = False) -> Awaitable[Any]: ...

    def get_messages(self, entity: Any, *args: Any, ids: Any = None, **kwargs: Any) -> Awaitable[Any]:
        """With ``ids``: the messages by id (None / MessageEmpty where there is none)."""

    def upload_file(self, file: Any, *, part_size_kb: float | None = None, file_size: int | None = None,
                    file_name: str | None = None) -> Awaitable[Any]:
        """Upload in parts (upload.saveFilePart / saveBigFilePart); the InputFile to send it with."""

    def iter_download(self, file: Any, *, offset: int = 0, request_size: int = ...,
                      dc_id: int | None = None) -> AsyncIterator[bytes]:
        """A file's bytes in parts of request_size, from offset (upload.getFile)."""

    def build_reply_markup(self, buttons: Any) -> Any:
        """Telethon's ``Button`` rows as the layer's reply markup (None without buttons)."""

