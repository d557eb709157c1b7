"""In-process connections (tcp=False, open_in_process): the dispatch without the wire, as
tests/fakes/telegram.py uses it. The client's own behaviour over it: tests/contract."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from telethon.extensions import BinaryReader
from telethon.tl import functions, types

from tests.tgserver import TelegramTestServer
from tests.tgserver.inprocess import ClientCallbacks


class Recorder:
    """An in-process client's side: what came back, by kind."""

    def __init__(self) -> None:
        self.answers: dict[int, Any] = {}
        self.pushes: list[Any] = []
        self.closes: list[str] = []
        self.changed = threading.Condition()
        self.callbacks = ClientCallbacks(on_answer=self._answer, on_push=self._push, on_close=self._close)

    def _note(self, fn: Any) -> None:
        with self.changed:
            fn()
            self.changed.notify_all()

    def _answer(self, msg_id: int, body: bytes) -> None:
        self._note(lambda: self.answers.__setitem__(msg_id, BinaryReader(body).tgread_object()))

    def _push(self, body: bytes) -> None:
        self._note(lambda: self.pushes.append(BinaryReader(body).tgread_object()))

    def _close(self, reason: str) -> None:
        self._note(lambda: self.closes.append(reason))

    def wait(self, predicate: Any) -> Any:
        with self.changed:
            assert self.changed.wait_for(predicate, 5)
            return predicate()


def test_no_socket_without_tcp(tmp_path: Path) -> None:
    with TelegramTestServer(files_dir=tmp_path, tcp=False) as srv:
        with pytest.raises(RuntimeError):
            srv.port  # noqa: B018 - the property is the test
        with pytest.raises(RuntimeError):
            srv.write_session(tmp_path / "bot.session")


def test_answers_pushes_and_closes(tmp_path: Path) -> None:
    with TelegramTestServer(files_dir=tmp_path, tcp=False) as srv:
        client = Recorder()
        endpoint = srv.open_in_process(client.callbacks)
        # help.getConfig (wrapped as Telethon sends it) does not subscribe; getUsers does.
        endpoint.submit(bytes(functions.InvokeWithLayerRequest(
            layer=1, query=functions.help.GetConfigRequest())), 1)
        assert isinstance(client.wait(lambda: client.answers.get(1)), types.Config)
        user = srv.add_user()
        srv.send_text(user, "not pushed: nobody subscribed")
        endpoint.submit(bytes(functions.users.GetUsersRequest(id=[types.InputUserSelf()])), 2)
        client.wait(lambda: 2 in client.answers)
        srv.send_text(user, "pushed")
        (pushed,) = client.wait(lambda: client.pushes)
        assert pushed.updates[0].message.message == "pushed"
        assert srv.connection_count == 1 and srv.drop_connections() == 1
        assert client.wait(lambda: client.closes) == ["dropped"]
        endpoint.submit(bytes(functions.updates.GetStateRequest()), 3)  # on a closed connection: lost
        second = srv.open_in_process(client.callbacks)
        srv.close_in_process(second)
        assert client.wait(lambda: client.closes[1:]) == ["client"]
        assert 3 not in client.answers and srv.connection_count == 0
        srv.open_in_process(client.callbacks)
    assert client.wait(lambda: client.closes[2:]) == ["stopped"]  # the server stopped under it
