"""Waiting on a stand-in's state: one loop for every fake that records what happened under a Condition."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_on(cond: threading.Condition, predicate: Callable[[], T], timeout: float,
            failure: Callable[[], BaseException], poll: float | None = None) -> T:
    """Hold ``cond`` and wait until ``predicate()`` is truthy (re-checked at every notify, and every
    ``poll`` seconds for state changed without one); return it, or raise ``failure()`` at the deadline."""
    deadline = time.monotonic() + timeout
    with cond:
        while True:
            result = predicate()
            if result:
                return result
            left = deadline - time.monotonic()
            if left <= 0:
                raise failure()
            cond.wait(left if poll is None else min(left, poll))
