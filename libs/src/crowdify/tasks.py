"""The background loops of a worker: a pass that fails is logged and tried again, a cancellation
always stops the loop.

A loop that retries on ``Exception`` can swallow its own cancellation: a driver may turn the
``CancelledError`` it received into an error of its own, and Python 3.11's ``asyncio.wait_for``
may report a cancellation that met its timeout as the timeout. The task's cancel request is still
counted (``Task.cancelling``), so these helpers tell and stop; a worker's stop then ends its loops
instead of waiting on one that went on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


def cancelling() -> bool:
    """Whether the current task has been asked to stop, whatever became of the CancelledError."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def survive(
    step: Awaitable[T], log: logging.Logger, failure: str, *, level: int = logging.ERROR
) -> T | None:
    """One pass of a background loop: its result, or None once ``failure`` is logged with the
    error, so that the loop goes on (the next pass tries again). A cancellation is never survived."""
    try:
        return await step
    except Exception:
        if cancelling():
            raise asyncio.CancelledError from None
        log.log(level, failure, exc_info=True)
        return None


async def pause(seconds: float, wake: asyncio.Event | None = None) -> None:
    """Wait ``seconds``, or until ``wake`` is set; a cancellation always stops the wait."""
    if wake is None:
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(wake.wait(), timeout=seconds)
    if cancelling():
        raise asyncio.CancelledError
