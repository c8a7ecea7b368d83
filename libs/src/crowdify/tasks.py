"""Asking the current asyncio task whether it is being cancelled.

A long-running loop that retries on ``Exception`` can swallow its own cancellation when a driver
turns the ``CancelledError`` it received into an error of its own, or when Python 3.11's
``asyncio.wait_for`` reports a cancellation that met its timeout as the timeout. The task's
cancel request is still counted, so the loop can tell and stop.
"""

from __future__ import annotations

import asyncio


def cancelling() -> bool:
    """Whether the current task has been asked to stop, whatever became of the CancelledError."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
