"""What ``syncd check`` looks at: the results it prints, one line each.

Each module here checks one thing (Okdesk, Telegram, the database) and never writes to it:
Okdesk's write rights are proved by creates invalid on purpose, Telegram's session is used
from a copy in memory, and the database is neither created nor migrated.
"""

from __future__ import annotations

from dataclasses import dataclass

OK, WARN, FAIL, SKIP = "ok", "warn", "FAIL", "skip"


@dataclass(frozen=True)
class Result:
    name: str
    status: str  # OK | WARN | FAIL | SKIP; only FAIL makes the command exit non-zero
    detail: str

    @property
    def failed(self) -> bool:
        return self.status == FAIL

    def line(self) -> str:
        return f"{self.status:<4}  {self.name}: {self.detail}"


def ok(name: str, detail: str) -> Result:
    return Result(name, OK, detail)


def warn(name: str, detail: str) -> Result:
    return Result(name, WARN, detail)


def fail(name: str, detail: str) -> Result:
    return Result(name, FAIL, detail)


def skip(name: str, detail: str) -> Result:
    return Result(name, SKIP, detail)
