"""Each client's share of the way into Okdesk (syncd.relay.ratelimit), on an injected clock."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.relay.ratelimit import WARN_EVERY, ClientRate


class Clock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_a_burst_of_a_third_of_the_rate_goes_at_once_then_one_every_interval() -> None:
    clock = Clock()
    rate = ClientRate(20, clock=clock)  # 20 a minute: a burst of 6, then one every 3 s
    assert [rate.take(1) for _ in range(6)] == [0.0] * 6
    wait = rate.take(1)
    assert wait == pytest.approx(1.0)  # 2/3 of a token left: a third of an interval to go
    assert rate.take(1) == pytest.approx(1.0)  # asking again spends nothing
    clock.advance(wait)
    assert rate.take(1) == 0.0
    assert rate.take(1) == pytest.approx(3.0)
    clock.advance(2.9)
    assert rate.take(1) == pytest.approx(0.1)
    clock.advance(0.1)
    assert rate.take(1) == 0.0


def test_clients_have_their_own_buckets() -> None:
    clock = Clock()
    rate = ClientRate(6, clock=clock)  # burst 2
    assert rate.take(1) == 0.0 and rate.take(1) == 0.0 and rate.take(1) > 0
    assert rate.take(2) == 0.0 and rate.take(2) == 0.0


def test_the_bucket_refills_to_the_burst_and_no_further() -> None:
    clock = Clock()
    rate = ClientRate(30, clock=clock)  # burst 10, one every 2 s
    for _ in range(10):
        assert rate.take(7) == 0.0
    assert rate.take(7) == pytest.approx(2.0)
    clock.advance(3600)
    assert [rate.take(7) for _ in range(10)] == [0.0] * 10
    assert rate.take(7) == pytest.approx(2.0)


def test_a_slow_rate_still_lets_one_message_through() -> None:
    clock = Clock()
    rate = ClientRate(1, clock=clock)  # a third of a message is no burst: one at least
    assert rate.take(3) == 0.0
    assert rate.take(3) == pytest.approx(60.0)
    clock.advance(59.0)
    assert rate.take(3) == pytest.approx(1.0)


@settings(max_examples=300, deadline=None)
@given(per_minute=st.floats(min_value=0.5, max_value=600, allow_nan=False),
       gaps=st.lists(st.floats(min_value=0, max_value=30, allow_nan=False), min_size=1, max_size=60))
def test_waiting_exactly_the_estimate_is_enough(per_minute: float, gaps: list[float]) -> None:
    clock = Clock()
    rate = ClientRate(per_minute, clock=clock)
    for gap in gaps:
        clock.advance(gap)
        wait = rate.take(1)
        if wait > 0:
            clock.advance(wait)
            assert rate.take(1) == 0.0


@settings(max_examples=200, deadline=None)
@given(per_minute=st.floats(min_value=0.5, max_value=600, allow_nan=False),
       gaps=st.lists(st.floats(min_value=0, max_value=10, allow_nan=False), min_size=1, max_size=120))
def test_never_more_than_the_burst_plus_the_rate(per_minute: float, gaps: list[float]) -> None:
    clock = Clock()
    rate = ClientRate(per_minute, clock=clock)
    start, passed = clock.now, 0
    for gap in gaps:
        clock.advance(gap)
        passed += rate.take(1) == 0.0
    elapsed = clock.now - start
    assert passed <= max(1.0, per_minute / 3) + elapsed * per_minute / 60 + 1e-6


def test_the_client_is_warned_once_per_period() -> None:
    clock = Clock()
    rate = ClientRate(20, clock=clock)
    assert rate.should_warn(1) is True
    assert rate.should_warn(1) is False
    assert rate.should_warn(2) is True  # another client has their own warning
    clock.advance(WARN_EVERY - 1)
    assert rate.should_warn(1) is False
    clock.advance(1)
    assert rate.should_warn(1) is True
    assert rate.should_warn(1) is False


def test_the_first_warning_comes_whatever_the_clock_reads() -> None:
    rate = ClientRate(20, clock=Clock(start=0.0))  # time.monotonic() may be small after a boot
    assert rate.should_warn(1) is True
