"""`syncd run` with metrics.textfile: a Prometheus text file node_exporter can read, replaced whole at every
write, and a directory it cannot write to is logged once while the daemon goes on."""

from __future__ import annotations

import stat
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from syncd import __version__
from tests.e2e.helpers import client_with_issue, eventually, wait_text
from tests.okdesk_emulator import Fault

pytestmark = pytest.mark.e2e

INTERVAL = 0.1  # seconds between writes: many replacements while the test reads


def read_metrics(path: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """(sample name, sorted labels) -> value, as Prometheus' own parser reads the file."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(path.read_text(encoding="utf-8")) for s in family.samples}


def by_label(values: dict[Any, float], name: str) -> dict[str, float]:
    return {labels[0][1]: v for (sample, labels), v in values.items() if sample == name}


class Reader(threading.Thread):
    """Reads the file over and over, as node_exporter would at any moment: each read must be one whole file."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path, self.reads, self.bad = path, 0, []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                text = self.path.read_text(encoding="utf-8")
            except FileNotFoundError:
                if self.reads:  # once written, it is always there: replaced, never removed first
                    self.bad.append("missing")
                time.sleep(0.005)
                continue
            self.reads += 1
            try:
                names = [f.name for f in text_string_to_metric_families(text)]
            except ValueError as exc:
                self.bad.append(f"unparsable: {exc}")
                continue
            # The first and the last family of every write: a cut-off file lacks the last.
            if not text.endswith("\n") or names[0] != "syncd_info" or names[-1] != "syncd_metrics_written_timestamp_seconds":
                self.bad.append(text[-200:])


def test_metrics_file_counts_deliveries_requests_and_polls_and_is_replaced_whole(make_daemon, emu, tg,
                                                                                  employee, tmp_path) -> None:
    directory = tmp_path / "node-exporter"
    directory.mkdir()
    path = directory / "syncd.prom"
    # What a write cut short by a kill leaves: removed at the next start.
    (directory / ".syncd.prom.k1ll3d.tmp").write_text("syncd_info{version=\"0\"} 1\n")
    reader = Reader(path)
    reader.start()
    daemon, user, _, issue_id = client_with_issue(make_daemon, emu, tg, "Метрики",
                                                  metrics={"textfile": str(path), "interval": INTERVAL})
    daemon.wait_event("metrics_textfile", path=str(path))
    # A file node_exporter has open keeps what it had: each write is a new file renamed over the old one,
    # never the old one rewritten in place.
    held = eventually(lambda: path.exists() and open(path, encoding="utf-8"),  # noqa: SIM115 - held across writes
                      what="the first write")
    first = held.read()
    # One Okdesk answer of 503 (retried), and one FloodWait met by the delivery.
    emu.add_fault(Fault(kind="status", status=503, path=r"/issues/list", times=1))
    tg.inject_flood_wait("SendMessage", seconds=1, times=1)
    emu.add_comment(issue_id, "<p>ответ с метриками</p>", author=("employee", employee))
    wait_text(tg, user, "ответ с метриками")

    def delivered() -> dict[Any, float] | None:
        values = read_metrics(path)
        done = by_label(values, "syncd_outbox_items").get("done", 0)
        floods = values.get(("syncd_telegram_flood_waits_total", ()), 0)
        failed = by_label(values, "syncd_okdesk_requests_total").get("server_error", 0)
        return values if done >= 1 and floods >= 1 and failed >= 1 else None

    values = eventually(delivered, what="the delivery, the 503 and the FloodWait in the metrics file")
    started = time.time()
    assert by_label(values, "syncd_outbox_items")["failed"] == 0
    assert by_label(values, "syncd_outbox_items")["waiting"] == 0
    assert set(by_label(values, "syncd_inbound_items")) == {"done", "waiting", "failed", "refused", "cancelled"}
    requests = by_label(values, "syncd_okdesk_requests_total")
    assert requests["ok"] >= 3 and requests["server_error"] == 1 and requests["connection_error"] == 0
    assert values[("syncd_telegram_flood_wait_seconds_total", ())] == pytest.approx(1.0)
    # The last poll Okdesk answered was a moment ago (polls every 0.3 s), and said when.
    age = values[("syncd_last_successful_poll_age_seconds", ())]
    assert 0 <= age < 10
    polled = values[("syncd_last_successful_poll_timestamp_seconds", ())]
    written = values[("syncd_metrics_written_timestamp_seconds", ())]
    assert polled <= written <= started + 1 and written - polled == pytest.approx(age, abs=0.01)
    assert 0 < values[("syncd_okdesk_budget_used_ratio", ())] <= 1
    assert values[("syncd_okdesk_budget_requests_per_minute", ())] == 6000
    assert sum(by_label(values, "syncd_okdesk_comments_bump_updated_at").values()) == 1
    assert values[("syncd_info", (("version", __version__),))] == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # node_exporter reads it as another user
    held.seek(0)
    assert held.read() == first != path.read_text(encoding="utf-8")
    held.close()

    assert daemon.stop() == 0
    reader.done.set()
    reader.join(5)
    # The last write, at stop, counts every request Okdesk got from this daemon.
    final = by_label(read_metrics(path), "syncd_okdesk_requests_total")
    assert sum(final.values()) == len(emu.requests)
    assert reader.reads > 50 and reader.bad == [], reader.bad[:3]
    assert [p.name for p in directory.iterdir()] == ["syncd.prom"]  # no temporary file left behind
    assert daemon.errors() == []


def test_an_unwritable_metrics_directory_is_logged_once_and_the_daemon_goes_on(make_daemon, emu, tg,
                                                                                tmp_path) -> None:
    path = tmp_path / "not-yet" / "syncd.prom"
    daemon = make_daemon(metrics={"textfile": str(path), "interval": INTERVAL}).start()
    failed = daemon.wait_event("metrics_write_failed")
    assert failed["path"] == str(path) and "ENOENT" in failed["error"]
    daemon.wait_cycles(5)  # dozens of writes tried meanwhile
    assert len(daemon.find("metrics_write_failed")) == 1
    assert daemon.proc.poll() is None
    path.parent.mkdir()  # the sysadmin makes the directory: the next turn writes
    daemon.wait_event("metrics_written_again")
    assert read_metrics(path)[("syncd_info", (("version", __version__),))] == 1
    assert daemon.stop() == 0
    assert daemon.errors() == []
