"""The Prometheus text file (syncd/app/metrics.py): what it says, read back by Prometheus' own parser, how it
is written, and the counts it is made of (the store's states, the Okdesk transport's outcomes, FloodWaits)."""

from __future__ import annotations

import asyncio
import math
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from structlog.testing import capture_logs

from syncd import __version__
from syncd.app.metrics import Metrics, Snapshot, render, write_atomically
from syncd.config import ConfigError, load_settings
from syncd.okdesk.budget import RequestBudget
from syncd.okdesk.errors import OkdeskError
from syncd.okdesk.http_errors import OUTCOMES, Outcomes, request_outcome
from syncd.store import Store
from syncd.store.states import LAST_POLL_OK_KEY, OKDESK_COMMENT_BUMP_KEY
from syncd.sync.account import BumpVerdict
from syncd.telegram.pacing import Pacer
from tests.unit import test_store_status as _status_tests
from tests.unit.test_config import REQUIRED_ENV

db_url = _status_tests.db_url
store = _status_tests.store

NOW = 1_780_000_000.0


def families(text: str) -> dict[str, Any]:
    return {f.name: f for f in text_string_to_metric_families(text)}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """(sample name, sorted labels) -> value, of every sample in ``text``."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(text) for s in f.samples}


def full_snapshot(**changes: Any) -> Snapshot:
    values: dict[str, Any] = dict(
        now=NOW, outbox={"done": 40, "pending": 2, "failed": 1, "cancelled": 3},
        inbound={"done": 7, "duplicate": 1, "queued": 1, "asking": 2, "unsure": 1, "failed": 4, "refused": 5,
                 "cancelled": 2, "expired": 1},
        okdesk_requests={**dict.fromkeys(OUTCOMES, 0), "ok": 120, "server_error": 3, "timeout": 1},
        budget_in_window=30, budget_limit=120, last_successful_poll=NOW - 2.5, flood_waits=2,
        flood_wait_seconds=7.0, bump_verdict="yes")
    values.update(changes)
    return Snapshot(**values)


def test_render_is_prometheus_text_with_every_documented_metric() -> None:
    text = render(full_snapshot())
    found = families(text)
    types = {name: family.type for name, family in found.items()}
    assert types == {
        "syncd_info": "gauge", "syncd_outbox_items": "gauge", "syncd_inbound_items": "gauge",
        "syncd_okdesk_requests": "counter",  # the parser names a counter's family without its _total
        "syncd_okdesk_budget_used_ratio": "gauge", "syncd_okdesk_budget_requests_per_minute": "gauge",
        "syncd_last_successful_poll_timestamp_seconds": "gauge", "syncd_last_successful_poll_age_seconds": "gauge",
        "syncd_telegram_flood_waits": "counter", "syncd_telegram_flood_wait_seconds": "counter",
        "syncd_okdesk_comments_bump_updated_at": "gauge", "syncd_metrics_written_timestamp_seconds": "gauge",
    }
    assert all(family.documentation for family in found.values())
    values = samples(text)
    assert values[("syncd_info", (("version", __version__),))] == 1
    # The store's own states, folded into what the gauges name.
    assert {labels[0][1]: v for (name, labels), v in values.items() if name == "syncd_outbox_items"} == {
        "done": 40, "waiting": 2, "failed": 1, "cancelled": 3}
    assert {labels[0][1]: v for (name, labels), v in values.items() if name == "syncd_inbound_items"} == {
        "done": 8, "waiting": 4, "failed": 4, "refused": 5, "cancelled": 3}
    requests = {labels[0][1]: v for (name, labels), v in values.items() if name == "syncd_okdesk_requests_total"}
    assert set(requests) == set(OUTCOMES) and requests["ok"] == 120 and requests["server_error"] == 3
    assert values[("syncd_okdesk_budget_used_ratio", ())] == pytest.approx(0.25)
    assert values[("syncd_okdesk_budget_requests_per_minute", ())] == 120
    assert values[("syncd_last_successful_poll_timestamp_seconds", ())] == pytest.approx(NOW - 2.5)
    assert values[("syncd_last_successful_poll_age_seconds", ())] == pytest.approx(2.5)
    assert values[("syncd_telegram_flood_waits_total", ())] == 2
    assert values[("syncd_telegram_flood_wait_seconds_total", ())] == 7
    assert {labels[0][1]: v for (name, labels), v in values.items()
            if name == "syncd_okdesk_comments_bump_updated_at"} == {"yes": 1, "no": 0, "unknown": 0}
    assert values[("syncd_metrics_written_timestamp_seconds", ())] == pytest.approx(NOW)
    # Totals only: no label could name a chat, a client or an issue.
    labels = {key for (_, pairs), _ in values.items() for key, _ in pairs}
    assert labels == {"version", "state", "outcome", "verdict"}
    assert text.endswith("\n") and "\n\n" not in text


def test_nothing_known_yet_leaves_samples_out_rather_than_writing_nan() -> None:
    text = render(Snapshot(now=NOW, bump_verdict="something new"))
    found = families(text)
    assert "syncd_last_successful_poll_age_seconds" not in found
    assert "syncd_last_successful_poll_timestamp_seconds" not in found
    assert "syncd_okdesk_budget_used_ratio" not in found  # no budget at all
    written = [line.rsplit(" ", 1)[1] for line in text.splitlines() if not line.startswith("#")]
    assert not [v for v in written if v.lower() in ("nan", "+inf", "-inf", "inf")]
    values = samples(text)
    assert all(math.isfinite(v) for v in values.values())
    # Every state is there from the start, at 0: a series that appears late breaks alerts on it.
    assert values[("syncd_outbox_items", (("state", "failed"),))] == 0
    assert values[("syncd_inbound_items", (("state", "done"),))] == 0
    assert values[("syncd_okdesk_comments_bump_updated_at", (("verdict", "unknown"),))] == 1
    assert values[("syncd_telegram_flood_waits_total", ())] == 0


def test_label_values_are_escaped() -> None:
    text = render(Snapshot(now=NOW, version='1.0"\\\nx'))
    assert samples(text)[("syncd_info", (("version", '1.0"\\\nx'),))] == 1


@pytest.mark.parametrize(("status", "kind", "outcome"), [
    (200, None, "ok"), (204, None, "ok"), (302, None, "redirect"), (404, None, "client_error"),
    (422, None, "client_error"), (429, None, "rate_limited"), (408, None, "timeout"), (500, None, "server_error"),
    (504, None, "server_error"), (200, "error_body", "client_error"), (200, "malformed_json", "invalid_answer"),
    (200, "not_a_list", "invalid_answer"), (None, "timeout", "timeout"), (None, "connect_timeout", "timeout"),
    (None, "storage_timeout", "timeout"), (None, "connection_refused", "connection_error"),
    (None, "dns", "connection_error"), (None, "storage_connection_reset", "connection_error"),
    (None, "upload_file_changed", "aborted"),
])
def test_request_outcomes(status: int | None, kind: str | None, outcome: str) -> None:
    error = OkdeskError("x", kind=kind) if kind else (OkdeskError("x", status=status) if status and status >= 300
                                                       else None)
    assert request_outcome(status, error) == outcome
    assert outcome in OUTCOMES


def test_outcomes_count_from_many_threads() -> None:
    from concurrent.futures import ThreadPoolExecutor

    outcomes = Outcomes()
    assert outcomes.snapshot() == dict.fromkeys(OUTCOMES, 0)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: outcomes.count(200 if i % 2 else 503), range(4000)))
    assert outcomes.snapshot()["ok"] == 2000 and outcomes.snapshot()["server_error"] == 2000


def test_budget_in_window_and_pacer_flood_counts() -> None:
    now = [0.0]
    budget = RequestBudget(120, clock=lambda: now[0])
    for _ in range(30):
        assert budget.try_acquire()
    assert budget.in_window == 30 and budget.limit == 120
    now[0] = 61.0
    assert budget.in_window == 0
    pacer = Pacer(1.0, 30.0)
    pacer.pause(3)
    pacer.pause(1.5)
    assert (pacer.flood_waits, pacer.flood_wait_seconds) == (2, 4.5)


def test_written_whole_world_readable_and_no_temporary_file_left(tmp_path: Path) -> None:
    old = os.umask(0o077)  # the daemon's umask, for this test only
    try:
        target = tmp_path / "syncd.prom"
        write_atomically(target, "a 1\n")
        write_atomically(target, "a 2\n")
    finally:
        os.umask(old)
    assert target.read_text() == "a 2\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["syncd.prom"]


class _Okdesk:
    def __init__(self) -> None:
        self.budget = RequestBudget(60)
        self.budget.try_acquire()

    def request_outcomes(self) -> dict[str, int]:
        return {**dict.fromkeys(OUTCOMES, 0), "ok": 5}


def test_the_store_counts_every_state_and_a_bad_directory_is_logged_once(store: Store, tmp_path: Path) -> None:
    for key, state in (("a", "done"), ("b", "done"), ("c", "pending"), ("d", "failed")):
        _status_tests._outbox(store, key, state=state)
    for state in ("done", "queued", "asking", "refused"):
        _status_tests._job(store, state)
    assert store.items_by_state() == {"outbox": {"done": 2, "pending": 1, "failed": 1},
                                      "inbound": {"done": 1, "queued": 1, "asking": 1, "refused": 1}}
    store.set_value(LAST_POLL_OK_KEY, "2026-01-01T00:00:00+00:00")
    store.set_value(OKDESK_COMMENT_BUMP_KEY, BumpVerdict(verdict="no", proof_issue_id=3).to_json())
    missing = tmp_path / "nowhere" / "syncd.prom"
    metrics = Metrics(missing, 5.0, store, _Okdesk(), Pacer(1.0, 30.0))  # type: ignore[arg-type]
    with capture_logs() as logs:
        assert not metrics.write(0, 0.0)
        assert not metrics.write(0, 0.0)  # the same error again: not logged again
        missing.parent.mkdir()
        assert metrics.write(1, 2.0)
    assert [e["event"] for e in logs] == ["metrics_write_failed", "metrics_written_again"]
    assert logs[0]["error"].startswith("ENOENT")
    values = samples(missing.read_text())
    assert values[("syncd_outbox_items", (("state", "done"),))] == 2
    assert values[("syncd_outbox_items", (("state", "waiting"),))] == 1
    assert values[("syncd_inbound_items", (("state", "waiting"),))] == 2
    assert values[("syncd_okdesk_requests_total", (("outcome", "ok"),))] == 5
    assert values[("syncd_okdesk_budget_used_ratio", ())] == pytest.approx(1 / 60)
    assert values[("syncd_last_successful_poll_timestamp_seconds", ())] == 1767225600
    assert values[("syncd_okdesk_comments_bump_updated_at", (("verdict", "no"),))] == 1
    assert values[("syncd_telegram_flood_wait_seconds_total", ())] == 2


def test_the_loop_writes_until_closed_and_once_more_at_close(store: Store, tmp_path: Path) -> None:
    target = tmp_path / "syncd.prom"

    async def scenario() -> int:
        metrics = Metrics(target, 0.05, store, _Okdesk(), Pacer(1.0, 30.0)).start()  # type: ignore[arg-type]
        await asyncio.sleep(0.3)
        metrics.pacer.pause(1)
        await metrics.close()
        return metrics.writes

    writes = asyncio.run(scenario())
    assert writes >= 3
    assert samples(target.read_text())[("syncd_telegram_flood_waits_total", ())] == 1  # the last write's figures


def test_metrics_settings(tmp_path: Path) -> None:
    assert load_settings(None, REQUIRED_ENV).metrics.textfile is None
    env = {**REQUIRED_ENV, "SYNCD_METRICS_TEXTFILE": "/var/lib/prometheus/node-exporter/syncd.prom",
           "SYNCD_METRICS_INTERVAL": "2.5"}
    settings = load_settings(None, env)
    assert (settings.metrics.textfile, settings.metrics.interval) == ("/var/lib/prometheus/node-exporter/syncd.prom",
                                                                      2.5)
    cfg = tmp_path / "c.toml"
    cfg.write_text('[metrics]\ntextfile = "/tmp/syncd.txt"\ninterval = 0\n')
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, REQUIRED_ENV)
    assert "metrics.interval must be greater than 0" in str(err.value)
    assert "metrics.textfile must end in .prom" in str(err.value)
