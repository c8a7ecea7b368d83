"""A worker's background loop: a failing pass is logged and tried again, and a cancellation
always stops the loop, even one a driver turned into an error of its own."""

from __future__ import annotations

import asyncio
import logging

import pytest

from crowdify.tasks import cancelling, pause, survive

log = logging.getLogger("test.loop")


async def test_a_failing_pass_is_logged_and_the_loop_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    async def fails() -> int:
        raise ConnectionError("database away")

    async def works() -> int:
        return 3

    with caplog.at_level(logging.ERROR, logger="test.loop"):
        assert await survive(fails(), log, "pass failed; retrying") is None
    assert [r.getMessage() for r in caplog.records] == ["pass failed; retrying"]
    assert caplog.records[0].exc_info is not None
    assert await survive(works(), log, "pass failed; retrying") == 3


async def test_a_loop_whose_cancellation_became_an_error_still_stops() -> None:
    passes = 0
    in_pass = asyncio.Event()

    async def driver_call() -> int:
        in_pass.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError as cancelled:
            raise ConnectionError("connection lost") from cancelled  # as some drivers do
        return 0

    async def loop() -> None:
        nonlocal passes
        while True:
            passes += 1
            await survive(driver_call(), log, "pass failed; retrying")
            await pause(0.01)

    task = asyncio.create_task(loop())
    await in_pass.wait()
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=5)
    assert task in done and task.cancelled()
    assert passes == 1


async def test_a_pause_ends_when_woken_and_a_cancelled_one_stops() -> None:
    wake = asyncio.Event()
    wake.set()
    await asyncio.wait_for(pause(30, wake), timeout=5)  # woken: no 30 s wait

    waiting = asyncio.create_task(pause(30, asyncio.Event()))
    await asyncio.sleep(0)
    waiting.cancel()
    done, _ = await asyncio.wait([waiting], timeout=5)
    assert waiting in done and waiting.cancelled()
    assert cancelling() is False  # this task was never asked to stop
