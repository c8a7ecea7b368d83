"""Waiting for something to become true, instead of sleeping a fixed time and hoping."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")


# A probe answers None until the thing is there; what is returned is never None.
@overload
async def wait_until(
    probe: Callable[[], Awaitable[T | None]],
    *,
    within: float = ...,
    interval: float = ...,
    message: str = ...,
) -> T: ...
@overload
async def wait_until(
    probe: Callable[[], T | None], *, within: float = ..., interval: float = ..., message: str = ...
) -> T: ...
async def wait_until(
    probe: Callable[[], Any],
    *,
    within: float = 10.0,
    interval: float = 0.05,
    message: str = "condition",
) -> Any:
    """Call ``probe`` until it returns something truthy and return that; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = probe()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"{message} not met within {within}s (last value: {result!r})")
        await asyncio.sleep(interval)
