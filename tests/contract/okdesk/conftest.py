"""One Okdesk contract, two implementations: ``side`` is MemoryOkdesk, or the real OkdeskClient talking
to the in-process emulator (tests/okdesk_emulator), each with a seeding adapter.

The seeding API is the emulator's control API; MemoryOkdesk offers the same names (syncd/okdesk/
memory_seed.py), so ``side.seed`` is the emulator or the fake itself. ``side.options`` are the
emulator's switches or the fake's (the same names). Faults go through :class:`Side` methods, which
arm an emulator ``Fault`` on one side and the fake's fault switch on the other.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from syncd.okdesk.errors import OkdeskError, OkdeskOutcomeUnknown
from syncd.okdesk.memory import MemoryOkdesk, rate_limited, token_refused, unavailable
from syncd.okdesk.port import Okdesk
from tests.okdesk_emulator import Fault, OkdeskEmulator, Upload
from tests.unit.okdesk._helpers import TOKEN, make_client

# Where each Protocol method goes over HTTP: (method, path regex) for the emulator's faults.
ROUTES = {
    "get_issue": ("GET", r"/issues/\d+/?$"),
    "list_issues": ("GET", r"/issues/list"),
    "list_comments": ("GET", r"/issues/\d+/comments"),
    "create_comment": ("POST", r"/issues/\d+/comments"),
    "create_issue": ("POST", r"/issues/?$"),
    "change_status": ("POST", r"/statuses"),
    "get_contact": ("GET", r"/contacts/?$"),
}


@dataclass
class Side:
    name: str
    okd: Okdesk  # the implementation under test, used only through the Protocol
    seed: Any  # OkdeskEmulator or MemoryOkdesk: the same control-API names
    emu: OkdeskEmulator | None = None
    fake: MemoryOkdesk | None = None
    _closing: list[Any] = field(default_factory=list)  # extra clients, closed at the end

    @property
    def options(self) -> Any:
        return self.seed.options

    @contextmanager
    def _every_call(self, fault: Fault, error: OkdeskError) -> Iterator[None]:
        if self.emu is not None:
            self.emu.add_fault(fault)
            try:
                yield
            finally:
                self.emu.clear_faults()
        else:
            assert self.fake is not None
            with self.fake.outage(error):
                yield

    def outage(self, status: int = 503) -> Any:
        """Okdesk answers ``status`` (5xx) to everything."""
        return self._every_call(Fault(kind="status", status=status, times=None), unavailable(status))

    def rate_limited(self, retry_after: int) -> Any:
        """Okdesk answers 429 with ``Retry-After: retry_after`` to everything."""
        return self._every_call(Fault(kind="retry_after", retry_after=retry_after, times=None),
                                rate_limited(retry_after))

    def token_refused(self) -> Any:
        return self._every_call(Fault(kind="status", status=401, times=None), token_refused())

    def shift_clock(self, seconds: float) -> None:
        """Okdesk's clock runs ``seconds`` off the machine's (the emulator's clock_offset)."""
        if self.emu is not None:
            self.emu.options.clock_offset = seconds
        else:
            assert self.fake is not None
            self.fake.clock.advance(seconds)

    def lose_answer(self, method: str) -> None:
        """The next ``method`` call gets a gateway timeout (504): OkdeskOutcomeUnknown for a write.
        Nothing is carried out on either side (the emulator's status faults perform nothing)."""
        http_method, path = ROUTES[method]
        if self.emu is not None:
            self.emu.add_fault(Fault(kind="status", status=504, method=http_method, path=path))
        else:
            assert self.fake is not None
            self.fake.fail_next(method, OkdeskOutcomeUnknown("memory: gateway timeout", status=504,
                                                             kind="http_504"))


    def lose_answer_after_doing(self, method: str) -> Okdesk:
        """The next ``method`` call is carried out and its answer lost; returns the implementation to
        call (on the emulator a client with a short read timeout meets an ``after_effect_timeout``)."""
        http_method, path = ROUTES[method]
        if self.emu is not None:
            self.emu.add_fault(Fault(kind="after_effect_timeout", delay=1.0, method=http_method, path=path))
            client = make_client(self.emu, get_retries=0, timeout=0.4)
            self._closing.append(client)
            return client
        assert self.fake is not None
        self.fake.fail_next(method, OkdeskOutcomeUnknown("memory: no answer", kind="timeout"), after_effect=True)
        return self.fake


def staff_issue(side: Side, **kw: Any) -> tuple[int, int, int]:
    """A company, its contact and an issue of theirs, with a public comment carrying a file and a
    private note: (contact id, company id, issue id)."""
    company = side.seed.add_company("ООО Ромашка", inn="7701234567")
    contact = side.seed.add_contact("Иван", "Петров", phone="+79123456789", company_id=company)
    issue = side.seed.add_issue("Не печатает принтер", contact_id=contact, **kw)
    side.seed.add_comment(issue, "<p>Выезжаем</p>", attachments=[Upload("act.pdf", data=b"%PDF-1" * 10)])
    side.seed.add_comment(issue, "<p>для своих</p>", public=False)
    return contact, company, issue


@pytest.fixture(params=["memory", "emulator"])
def side(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Side]:
    if request.param == "memory":
        fake = MemoryOkdesk()
        yield Side("memory", fake, fake, fake=fake)
        return
    files = tmp_path / "emu"
    files.mkdir()
    emu = OkdeskEmulator(api_token=TOKEN, tz_offset="+03:00", files_dir=files).start()
    # No GET retries: a fault answers the call itself, as the fake's switch does (the client's retries
    # are its own business, tested in tests/unit/okdesk).
    client = make_client(emu, get_retries=0)
    emulated = Side("emulator", client, emu, emu=emu)
    try:
        yield emulated
    finally:
        for extra in [client, *emulated._closing]:
            extra.close()
        emu.stop()
    assert not emu.internal_errors
