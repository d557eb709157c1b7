"""The bound on how long personal data is kept (sync.personal_data_days): an hourly purge."""

from __future__ import annotations

from datetime import timedelta

from syncd.clock import utcnow
from syncd.logs import get_logger
from syncd.store import Store

log = get_logger(__name__)
EVERY = 3600.0


def purge_personal_data(store: Store, days: float) -> None:
    """Blank what is older than ``days`` (0: keep everything); counts are logged, never contents."""
    if days <= 0:
        return
    try:
        purged = store.purge_personal_data(utcnow() - timedelta(days=days))
    except Exception as exc:  # noqa: BLE001 - the next run tries again; the daemon goes on
        log.warning("personal_data_purge_failed", error=type(exc).__name__)
        return
    if purged.messages or purged.payloads or purged.phones or purged.dialogs:
        log.info("personal_data_purged", messages=purged.messages, payloads=purged.payloads,
                 phones=purged.phones, dialogs=purged.dialogs)
