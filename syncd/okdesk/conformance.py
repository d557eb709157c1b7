"""mypy's proof that both implementations satisfy the ``Okdesk`` Protocol (syncd/okdesk/port.py).

Nothing runs here: the assignments are only type-checked (tests/static/test_static_checks.py runs
mypy over syncd/), so a method added to the Protocol, or a signature changed in one implementation,
fails the static gate before any test runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .client import OkdeskClient
    from .memory import MemoryOkdesk
    from .port import Okdesk

    def _both_are_okdesk(real: OkdeskClient, fake: MemoryOkdesk) -> tuple[Okdesk, Okdesk]:
        return real, fake
