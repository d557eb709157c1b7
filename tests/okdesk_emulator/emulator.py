"""OkdeskEmulator: the test-facing control API (docs/dev/test-harness-api.md)."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from .context import Context
from .model import Store
from .observe import Observation
from .options import RATE_VALUES, Options
from .orgs import company_parameters
from .routes_login import LoginLink, LoginLinks
from .routes_rates import apply_rate
from .server import EmulatorServer
from .storage import FileStore, StoredFile
from .timefmt import parse_offset


@dataclass
class Upload:
    """A file for add_comment / add_issue / add_issue_attachment: bytes or a path."""

    name: str
    data: bytes | None = None
    path: Path | str | None = None
    is_public: bool = True
    description: str = ""
    content_type: str | None = None


class OkdeskEmulator(Observation):
    """A local Okdesk REST API on 127.0.0.1 with switchable undocumented behaviour.

    Two employees exist from the start: the owner of the api_token
    (`api_employee_id`, author of REST status changes and of REST-created issues
    without `author`) and a human agent (`default_employee_id`, the default author
    of add_issue/add_comment/set_status so the daemon does not mistake them for
    its own echo).
    """

    def __init__(
        self,
        api_token: str = "secret-token",
        tz_offset: str = "+03:00",
        files_dir: Path | str | None = None,
        options: Options | None = None,
    ):
        self.api_token = api_token
        self.tz = parse_offset(tz_offset)
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if files_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="okdesk-emulator-")
            files_dir = self._tmp.name
        self.files_dir = Path(files_dir)
        opts = options or Options()
        self._ctx = Context(api_token, opts, Store(self.tz, opts), FileStore(self.files_dir))
        self._ctx.login_links = LoginLinks()
        self._server: EmulatorServer | None = None
        self._thread: threading.Thread | None = None
        self._ctx.api_employee_id = self.add_employee("API", "Интеграция")
        self.default_employee_id = self.add_employee("Сергей", "Иванов", patronymic="Петрович")

    # -- lifecycle --------------------------------------------------------------------
    def start(self, port: int = 0) -> OkdeskEmulator:
        """Serve on 127.0.0.1:port (0 = any free port; pass the old port to restart)."""
        if self._server is not None:
            raise RuntimeError("emulator already running")
        self._ctx.stopping.clear()
        self._server = EmulatorServer(self._ctx, port)
        self._ctx.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="okdesk-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and cut open connections; data is kept (start() again works)."""
        server, self._server = self._server, None
        if server is None:
            return
        self._ctx.stopping.set()  # wakes handlers sleeping in faults/latency
        server.shutdown()
        server.drop_all_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> OkdeskEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return self._ctx.base_url

    @property
    def api_url(self) -> str:
        return f"{self._ctx.base_url}/api/v1"

    @property
    def port(self) -> int:
        return int(self._ctx.base_url.rsplit(":", 1)[1])

    @property
    def options(self) -> Options:
        return self._ctx.options

    @property
    def login_links(self) -> list[LoginLink]:
        """Links minted by POST /login_link, oldest first (user, expiry, one_time, used)."""
        with self._ctx.login_links.lock:
            return list(self._ctx.login_links.items)

    @options.setter
    def options(self, value: Options) -> None:
        self._ctx.options = value
        self._ctx.store.options = value

    @property
    def api_employee_id(self) -> int:
        return self._ctx.api_employee_id

    @api_employee_id.setter
    def api_employee_id(self, employee_id: int) -> None:
        if employee_id not in self._ctx.store.employees:
            raise ValueError(f"no employee {employee_id}")
        self._ctx.api_employee_id = employee_id

    @property
    def internal_errors(self) -> list[str]:
        """Tracebacks of emulator bugs (answered as 500); tests may assert it is empty."""
        return list(self._ctx.internal_errors)

    # -- data (the read-only views are in observe.py) ----------------------------------
    def _author(self, author: tuple[str, int] | None) -> tuple[str, int]:
        return author if author is not None else ("employee", self.default_employee_id)

    def _ingest(self, uploads: Iterable[Upload]) -> list[StoredFile]:
        # Copied outside the model lock: big fixture files must not stall requests.
        return [
            self._ctx.files.ingest(
                upload.name,
                data=upload.data,
                source=Path(upload.path) if upload.path is not None else None,
                is_public=upload.is_public,
                description=upload.description,
                content_type=upload.content_type,
            )
            for upload in uploads
        ]

    def add_employee(self, first_name: str, last_name: str, **fields: Any) -> int:
        """fields: patronymic, position, email, login, phone, active."""
        return self._store.add_employee(first_name, last_name, **fields).id

    def add_company(
        self,
        name: str,
        inn: str | None = None,
        parameters: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None = None,
        **fields: Any,
    ) -> int:
        """parameters: {code: value} or [{"code", "name", "field_type", "value"}]; `inn` adds
        {"code": "inn", "name": "ИНН", ...}. fields: additional_name, phone, email, site,
        address, comment, crm_1c_id, active."""
        params = company_parameters(parameters, inn)
        return self._store.add_company(name, parameters=params, **fields).id

    def add_maintenance_entity(
        self, company_id: int, name: str, address: str | None = None, **fields: Any
    ) -> int:
        """A service object of the company. fields: active, comment."""
        return self._store.add_maintenance_entity(company_id, name, address=address, **fields).id

    def add_contact(
        self,
        first_name: str,
        last_name: str,
        phone: str | None = None,
        mobile_phone: str | None = None,
        company_id: int | None = None,
        patronymic: str | None = None,
        **fields: Any,
    ) -> int:
        """fields: email, position, comment, login, crm_1c_id, parameters ({code: value}),
        access_level (list of str), maintenance_entity_ids (service objects of company_id)."""
        return self._store.add_contact(
            first_name,
            last_name,
            phone=phone,
            mobile_phone=mobile_phone,
            company_id=company_id,
            patronymic=patronymic,
            **fields,
        ).id

    def update_contact(self, contact_id: int, **fields: Any) -> None:
        """Staff edit a contact (company_id, access_level, maintenance_entity_ids, ...), as PATCH does."""
        with self._store.lock:
            self._store.update_contact(self._store.contacts[contact_id], fields)

    def add_issue(
        self,
        title: str,
        contact_id: int | None = None,
        status: str = "opened",
        description: str = "",
        author: tuple[str, int] | None = None,
        *,
        company_id: int | None = None,
        assignee_id: int | None = None,
        maintenance_entity_id: int | None = None,
        issue_type: str = "service",
        priority: str = "normal",
        custom_parameters: dict[str, Any] | None = None,
        attachments: Iterable[Upload] = (),
    ) -> int:
        if contact_id is not None and contact_id not in self._store.contacts:
            raise ValueError(f"no contact {contact_id}")
        files = self._ingest(attachments)
        return self._store.add_issue(
            title=title,
            author=self._author(author),
            description=description,
            status=status,
            type_code=issue_type,
            priority_code=priority,
            contact_id=contact_id,
            company_id=company_id,
            assignee_id=assignee_id,
            maintenance_entity_id=maintenance_entity_id,
            parameters=custom_parameters,
            files=files,
        ).id

    def add_comment(
        self,
        issue_id: int,
        content_html: str,
        public: bool | None = True,
        author: tuple[str, int] | None = None,
        attachments: Iterable[Upload] = (),
    ) -> int:
        """``public=None``: a comment whose answers carry no public flag at all (seen in the wild:
        the predecessor dropped such comments); it is visible to the client in the web portal."""
        files = self._ingest(attachments)
        with self._store.lock:
            issue = self._store.require_issue(issue_id)
            return self._store.add_comment(
                issue, content_html, public, self._author(author), files
            ).id

    def add_issue_attachment(self, issue_id: int, upload: Upload) -> int:
        """A file added to the issue without a comment; bumps issue.updated_at."""
        files = self._ingest([upload])
        with self._store.lock:
            return self._store.add_issue_files(self._store.require_issue(issue_id), files)[0]

    def set_status(
        self,
        issue_id: int,
        code: str,
        comment_html: str | None = None,
        comment_public: bool = True,
        author: tuple[str, int] | None = None,
    ) -> None:
        with self._store.lock:
            self._store.change_status(
                self._store.require_issue(issue_id),
                code,
                self._author(author),
                comment=comment_html,
                comment_public=comment_public,
            )

    def set_contact(self, issue_id: int, contact_id: int | None) -> None:
        """Staff give the issue to another client (a field change: bumps updated_at)."""
        with self._store.lock:
            issue = self._store.require_issue(issue_id)
            if contact_id is not None and contact_id not in self._store.contacts:
                raise KeyError(f"no contact {contact_id}")
            issue.contact_id = contact_id
            issue.updated_at = self._store.now()

    def backdate_issue(self, issue_id: int, moment: datetime) -> None:
        """Move the issue's creation, status history and last update back to ``moment``.

        Real accounts have history: an issue last touched months ago is in no
        ``updated_since`` window, which is what the polling benchmark needs. Comments and
        files keep their own times.
        """
        with self._store.lock:
            issue = self._store.require_issue(issue_id)
            moment = moment.astimezone(self.tz)
            moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
            issue.created_at = issue.updated_at = moment
            issue.status_history = [(code, moment) for code, _ in issue.status_history]
            if issue.completed_at is not None:
                issue.completed_at = moment

    def set_completed_at(self, issue_id: int, moment: datetime | None) -> None:
        """Move when the issue was completed (e.g. 8 days ago for reopen-window tests)."""
        with self._store.lock:
            issue = self._store.require_issue(issue_id)
            if moment is not None:
                moment = moment.astimezone(self.tz)
                moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
            issue.completed_at = moment

    def set_rate(self, issue_id: int, value: str | None) -> None:
        """The client rated in the portal (or the rate is cleared); not logged as a request."""
        if value is not None and value not in RATE_VALUES:
            raise ValueError(f"rate must be one of {RATE_VALUES}")
        with self._store.lock:
            issue = self._store.require_issue(issue_id)
            if value is None:
                issue.rate = None
            else:
                apply_rate(self._store, issue, value)
