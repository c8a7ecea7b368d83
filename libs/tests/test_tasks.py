"""A loop that retries on errors still stops when its cancellation comes back as an error."""

from __future__ import annotations

import asyncio

from crowdify.tasks import cancelling


async def test_a_retrying_loop_whose_cancellation_became_an_error_still_stops() -> None:
    attempts = 0
    waiting = asyncio.Event()

    async def driver_call() -> None:
        waiting.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError as cancelled:
            raise ConnectionError("connection lost") from cancelled  # as some drivers do

    async def retrying_loop() -> None:
        nonlocal attempts
        while True:
            attempts += 1
            try:
                await driver_call()
            except Exception:
                if cancelling():
                    raise asyncio.CancelledError from None
            await asyncio.sleep(0)

    task = asyncio.create_task(retrying_loop())
    await waiting.wait()
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=5)
    assert task in done and task.cancelled()
    assert attempts == 1


async def test_outside_a_cancelled_task_nothing_is_cancelling() -> None:
    assert cancelling() is False
