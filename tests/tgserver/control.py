"""TelegramTestServer: the thread-safe control API the tests use (see
docs/dev/test-harness-api.md, "Telegram test server")."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import secrets
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from telethon.crypto import AuthKey
from telethon.sessions import SQLiteSession
from telethon.tl import types

from tests.waiting import wait_on

from .faults import Faults, FloodWindow, Hold, Stall
from .files import FileStore
from .inbound import UserActions
from .inprocess import ClientCallbacks, InProcessEndpoint, open_endpoint
from .rpc import Options
from .server import ServerCore
from .state import (
    CallbackAnswer,
    Edit,
    Replay,
    RpcRecord,
    Sent,
    State,
    StoredMedia,
    TgUser,
    random_long,
)

T = TypeVar("T")


class TelegramTestServer(UserActions):
    """A Telegram server on 127.0.0.1 for the real Telethon client, logged in as a bot.

    The asyncio server runs on its own loop in a daemon thread; every public method is
    meant for the test thread and is thread-safe (work is handed to the server loop).

        srv = TelegramTestServer(files_dir=tmp_path).start()
        session = srv.write_session(tmp_path / "bot.session")   # give it to the daemon
        user = srv.add_user(first_name="Иван")
        srv.send_text(user, "/start")
        srv.wait_for(lambda: srv.sent_to(user))
    """

    def __init__(
        self,
        files_dir: Path | str | None = None,
        *,
        bot_id: int = 7_000_000_001,
        bot_username: str = "syncd_test_bot",
        bot_first_name: str = "Syncd Test Bot",
        tcp: bool = True,
    ) -> None:
        """tcp=False: no listening socket; only in-process clients (open_in_process) can reach it."""
        root = Path(files_dir) if files_dir is not None else Path(tempfile.mkdtemp())
        # A subdirectory: the Okdesk emulator may be given the same tmp_path.
        self.files_dir = root / "telegram"
        bot = TgUser(
            id=bot_id,
            access_hash=random_long(),
            first_name=bot_first_name,
            username=bot_username,
            is_bot=True,
        )
        # Telethon warns when the token's numeric prefix is not the logged-in bot's id.
        self.bot_token = f"{bot_id}:AAtest{secrets.token_hex(16)}"
        self.options = Options()
        self._state = State(bot, self.bot_token)
        self._faults = Faults()
        self._files = FileStore(self.files_dir)
        self._core: ServerCore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._tcp = tcp

    # ------------------------------------------------------------ lifecycle

    def start(self) -> TelegramTestServer:
        self._core = ServerCore(self._state, self._files, self.options, self._faults)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="telegram-test-server", daemon=True
        )
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._core.start(tcp=self._tcp), self._loop).result(10)
        return self

    def stop(self) -> None:
        if self._loop is None or self._core is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._core.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> TelegramTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if not self._tcp:
            raise RuntimeError("this TelegramTestServer was started with tcp=False: no port")
        return self._require_core().port

    def open_in_process(self, callbacks: ClientCallbacks) -> InProcessEndpoint:
        """A connection for a client in this process (tests/fakes/telegram.py): requests go to
        endpoint.submit(), answers and pushes come back through callbacks, on the server loop."""
        core, loop = self._require_core(), self._loop
        assert loop is not None
        return self._call(open_endpoint, core, loop, callbacks)

    def close_in_process(self, endpoint: InProcessEndpoint) -> None:
        """The in-process client leaves (its disconnect); thread-safe, returns at once."""
        assert self._loop is not None
        self._loop.call_soon_threadsafe(endpoint.close)

    def _require_core(self) -> ServerCore:
        if self._core is None:
            raise RuntimeError("TelegramTestServer is not started")
        return self._core

    def _call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run fn on the server loop (which owns all state) and return its result."""
        if self._loop is None:
            raise RuntimeError("TelegramTestServer is not started")
        if threading.current_thread() is self._thread:
            raise RuntimeError("the control API is for the test thread, not the server loop")
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(fn(*args))
            except BaseException as exc:
                future.set_exception(exc)

        self._loop.call_soon_threadsafe(run)
        return future.result(10)

    def _mutate(self, fn: Callable[[], T]) -> T:
        """fn changes state: run it on the loop under the lock and wake up wait_for()."""

        def locked() -> T:
            with self._state.cond:
                result = fn()
                self._state.cond.notify_all()
                return result

        return self._call(locked)

    # ------------------------------------------------------------ sessions

    def write_session(self, path: Path | str) -> Path:
        """A Telethon SQLiteSession: DC 2 -> 127.0.0.1:port, a fresh authorized bot key.
        Returns the file written (Telethon appends '.session' when the name lacks it)."""
        key = os.urandom(256)
        self._call(self._require_core().add_key, key)
        name = str(path)
        session = SQLiteSession(name)
        session.set_dc(2, "127.0.0.1", self.port)
        session.auth_key = AuthKey(key)
        session.save()
        session.close()
        written = Path(name if name.endswith(".session") else name + ".session")
        os.chmod(written, 0o600)  # it holds the bot's credentials
        return written

    def revoke_sessions(self) -> None:
        """Forget every auth key: clients then get the -404 transport error."""
        self._call(self._require_core().keys.clear)

    @property
    def bot(self) -> TgUser:
        return self._state.bot

    # ------------------------------------------------------------ users

    def add_user(
        self,
        first_name: str = "User",
        last_name: str | None = None,
        phone: str | None = None,
        lang_code: str | None = None,
        username: str | None = None,
    ) -> TgUser:
        return self._mutate(
            lambda: self._state.add_user(
                first_name=first_name,
                last_name=last_name,
                phone=phone,
                lang_code=lang_code,
                username=username,
            )
        )

    def add_group(
        self, chat_id: int, title: str | None = None, members: Iterable[TgUser] = ()
    ) -> int:
        def add() -> int:
            chat = self._state.chat(chat_id)
            chat.title = title or chat.title
            chat.members.update(u.id for u in members)
            return chat.id

        return self._mutate(add)

    def block_user(self, user: TgUser) -> None:
        self._mutate(lambda: setattr(self._state.users[user.id], "blocked", True))

    def unblock_user(self, user: TgUser) -> None:
        self._mutate(lambda: setattr(self._state.users[user.id], "blocked", False))

    def change_access_hash(self, user: TgUser) -> int:
        """The user's access_hash for the bot changes: one the daemon stored is refused (PEER_ID_INVALID)
        until a new message of theirs brings the new one. Returns the new hash."""
        def change() -> int:
            self._state.users[user.id].access_hash = random_long()
            return self._state.users[user.id].access_hash

        new = self._mutate(change)
        return new

    def deactivate_user(self, user: TgUser) -> None:
        self._mutate(lambda: setattr(self._state.users[user.id], "deactivated", True))

    # ------------------------------------------------------------ observation

    def _snapshot(self, items: list[T]) -> list[T]:
        with self._state.cond:
            return list(items)

    @property
    def sent(self) -> list[Sent]:
        return self._snapshot(self._state.sent)

    def sent_to(self, user: TgUser) -> list[Sent]:
        return [s for s in self.sent if s.peer_user_id == user.id]

    @property
    def edits(self) -> list[Edit]:
        return self._snapshot(self._state.edits)

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        return self._snapshot(self._state.callback_answers)

    @property
    def skipped_gaps(self) -> list[tuple[int, int]]:
        """(from pts, to pts) of every updates.getDifference answered differenceTooLong."""
        return self._snapshot(self._state.skipped_gaps)

    @property
    def replays(self) -> list[Replay]:
        """Sends answered with the messages of an earlier call with the same random_ids."""
        return self._snapshot(self._state.replays)

    @property
    def rpc_log(self) -> list[RpcRecord]:
        return self._snapshot(self._state.rpc_log)

    def rpc_calls(self, method: str) -> list[RpcRecord]:
        return [r for r in self.rpc_log if r.method == method]

    @property
    def flood_windows(self) -> list[FloodWindow]:
        return self._snapshot(self._faults.flood_windows)

    @property
    def internal_errors(self) -> list[str]:
        """Tracebacks of test-server bugs (answered as 400 TEST_SERVER_INTERNAL_ERROR)."""
        return self._snapshot(self._state.internal_errors)

    @property
    def bot_commands(self) -> dict[tuple[str, str], list[Any]]:
        with self._state.cond:
            return dict(self._state.bot_commands)

    @property
    def phones(self) -> set[str]:
        """Every phone number the server knows: its users' and those of the contacts users sent."""
        with self._state.cond:
            found = {u.phone for u in self._state.users.values() if u.phone}
            for msg in self._state.messages.values():
                media = getattr(msg, "media", None)
                if isinstance(media, types.MessageMediaContact) and media.phone_number:
                    found.add(media.phone_number)
        return found

    @property
    def pts(self) -> int:
        """The bot's current update sequence number (what updates.getState answers)."""
        with self._state.cond:
            return self._state.pts

    def message(self, msg_id: int) -> types.Message | None:
        with self._state.cond:
            return self._state.messages.get(msg_id)

    def media_of(self, msg_id: int) -> StoredMedia | None:
        """The stored file of a message (photo or document), e.g. to compare bytes."""
        msg = self.message(msg_id)
        media = getattr(msg, "media", None)
        item = getattr(media, "photo", None) or getattr(media, "document", None)
        with self._state.cond:
            return self._state.media.get(item.id) if item is not None else None

    @property
    def connection_count(self) -> int:
        return self._call(lambda: len(self._require_core().connections))

    def wait_for(self, predicate: Callable[[], T], timeout: float = 10.0) -> T:
        """Block until predicate() is truthy (re-checked on every state change) and return it.
        Do not call the control API from the predicate: it runs under the state lock."""
        return wait_on(self._state.cond, predicate, timeout,
                       failure=lambda: TimeoutError(f"wait_for: condition not met within {timeout} s"))

    async def wait_for_async(self, predicate: Callable[[], T], timeout: float = 10.0) -> T:
        """wait_for for async tests: does not block the caller's event loop."""
        return await asyncio.to_thread(self.wait_for, predicate, timeout)

    # ------------------------------------------------------------ faults

    def inject_flood_wait(
        self, method: str = "SendMessage", seconds: int = 3, times: int = 1
    ) -> None:
        self._mutate(lambda: self._faults.add_flood(method, seconds, times))

    def fail_next(self, method: str, error: str, code: int = 400, times: int | None = 1,
                  user: TgUser | None = None) -> None:
        """`user`: only calls addressed to that user fail (one chat's trouble, not everyone's)."""
        peer = user.id if user is not None else None
        self._mutate(lambda: self._faults.add_fail(method, error, code, times, peer))

    def hold(self, method: str = "SendMessage") -> Hold:
        assert self._loop is not None
        hold = Hold(method, self._loop)
        self._mutate(lambda: self._faults.add_hold(hold))
        return hold

    def stall(self, method: str = "SendMessage", where: Callable[[Any], bool] | None = None) -> Stall:
        """The next such call stays in flight (a repeat of its random_ids: RANDOM_ID_DUPLICATE) until
        stall.release() executes it, or stall.release(error="...") fails it without storing anything.
        where: only a call whose request it accepts (e.g. lambda r: r.random_id == rid); runs on the
        server loop, so it must not call the control API."""
        assert self._loop is not None
        stall = Stall(method, self._loop, where)
        self._mutate(lambda: self._faults.add_stall(stall))
        return stall

    def clear_faults(self) -> None:
        self._mutate(self._faults.clear)

    def drop_connections(self) -> int:
        """Close every client socket abruptly; Telethon reconnects by itself."""
        return self._call(self._require_core().drop_connections)
