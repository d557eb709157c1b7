"""The daemon's life in the test process: started, ready, stopped on SIGTERM within its grace."""

from __future__ import annotations

import time

from tests.unit.daemon_harness import MakeDaemon


def test_starts_ready_and_stops_on_sigterm(make_daemon: MakeDaemon) -> None:
    daemon = make_daemon().start()
    ready = daemon.wait_event("ready")
    assert ready["first_poll_ok"] is True
    began = time.monotonic()
    assert daemon.stop() == 0
    assert time.monotonic() - began < 3
    assert daemon.find("stopped", exit_code=0)
    assert not daemon.errors()
