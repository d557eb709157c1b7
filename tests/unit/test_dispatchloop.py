"""The loop the outbox sender and the inbound worker share (syncd.relay.dispatchloop), with a dispatch of
the test's own: woken from another thread, run again when due, alive through a failing dispatch, and a
stop that gives what is in flight its grace and cuts off the rest."""

from __future__ import annotations

import asyncio
import threading

from syncd.relay.dispatchloop import DispatchLoop


class Counting(DispatchLoop):
    """Each dispatch counted; the first one fails (a database hiccup); a key's task may be started."""

    def __init__(self, idle: float) -> None:
        self.idle, self.beats, self.calls = idle, 0, 0
        self.heartbeat = self._beat
        self.start_work: float | None = None
        self._init_loop()

    def _beat(self) -> None:
        self.beats += 1

    async def _dispatch(self) -> float:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("database is locked")
        if self.start_work is not None:
            work, self.start_work = self.start_work, None
            self._busy[1] = asyncio.get_running_loop().create_task(asyncio.sleep(work))
        return 10.0


def test_a_failing_dispatch_does_not_end_the_loop_and_a_wake_runs_it_at_once() -> None:
    loop = Counting(idle=0.2)

    async def scenario() -> tuple[int, int]:
        task = asyncio.create_task(loop.run())
        await asyncio.sleep(0.3)  # the failure, then the idle wait
        loop.idle = 30.0  # from now on only a wake-up runs the dispatch again
        await asyncio.sleep(0.3)  # the turn under way ends its 0.2 s wait and starts the long one
        before = loop.calls
        threading.Thread(target=loop.wake).start()
        for _ in range(200):  # a busy machine may take a while to switch threads
            if loop.calls > before:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        woken = loop.calls
        await loop.stop(grace=0.1)
        await asyncio.wait_for(task, 1)
        return before, woken

    before, woken = asyncio.run(scenario())
    assert before >= 2  # the failing dispatch was followed by others
    assert woken == before + 1
    assert loop.beats == loop.calls


def test_stop_gives_work_in_flight_its_grace_then_cuts_it_off() -> None:
    quick, slow = Counting(idle=0.05), Counting(idle=0.05)
    quick.start_work, slow.start_work = 0.1, 5.0

    async def stopped(loop: Counting) -> tuple[bool, float]:
        task = asyncio.create_task(loop.run())
        await asyncio.sleep(0.15)
        assert loop.in_flight == 1
        work = loop._busy[1]
        began = asyncio.get_running_loop().time()
        await loop.stop(grace=0.5)
        await asyncio.wait_for(task, 1)
        return work.cancelled(), asyncio.get_running_loop().time() - began

    cancelled, took = asyncio.run(stopped(quick))
    assert not cancelled and took < 0.5
    cancelled, took = asyncio.run(stopped(slow))
    assert cancelled and 0.45 < took < 1.5
