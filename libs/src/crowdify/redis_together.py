"""Redis commands of concurrent requests sent together.

In an on-sale every order claims its ``Idempotency-Key`` in Redis before it runs and stores its
answer after, and the answers of one batch of decisions are written in the same instant, a few
dozen at once. Each command alone takes a connection from the pool, one write and one read: the
kernel's work for those was about a tenth of purchase-api's CPU. :class:`CommandsTogether`
collects the commands issued in one turn of the event loop and sends them as one pipeline
(redis-py's, without a transaction: each command keeps its own answer or error) on one
connection. A command issued alone is sent alone, as before, and waits for nothing: the batch is
sent as soon as the turn that issued it ends.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis


@dataclass(frozen=True, slots=True)
class _Command:
    name: str
    args: tuple[Any, ...]
    options: dict[str, Any]
    answer: asyncio.Future[Any]


class CommandsTogether:
    """``await together.set(...)`` (``get``, ``delete``): the client's own commands, with the
    same answers and errors, sent with the others of the same turn of the loop."""

    def __init__(self, redis: Redis, *, max_batch: int = 256) -> None:
        self.redis = redis
        self.max_batch = max_batch
        self._filling: list[_Command] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sending: set[asyncio.Task[None]] = set()

    async def set(self, name: str, value: str | bytes, **options: Any) -> Any:
        return await self._queue("set", (name, value), options)

    async def get(self, name: str) -> Any:
        return await self._queue("get", (name,), {})

    async def delete(self, *names: str) -> Any:
        return await self._queue("delete", names, {})

    async def _queue(self, name: str, args: tuple[Any, ...], options: dict[str, Any]) -> Any:
        loop = asyncio.get_running_loop()
        batch = self._filling
        # A new batch per loop (a test's loop may end with a batch scheduled on it) and per bound.
        if batch is None or self._loop is not loop or len(batch) >= self.max_batch:
            batch = self._filling = []
            self._loop = loop
            loop.call_soon(self._send_later, batch)
        command = _Command(name, args, options, loop.create_future())
        batch.append(command)
        return await command.answer

    def _send_later(self, batch: list[_Command]) -> None:
        if self._filling is batch:
            self._filling = None
        task = asyncio.ensure_future(self._send(batch))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, batch: list[_Command]) -> None:
        try:
            if len(batch) == 1:
                only = batch[0]
                answers = [await getattr(self.redis, only.name)(*only.args, **only.options)]
            else:
                async with self.redis.pipeline(transaction=False) as pipe:
                    for command in batch:
                        getattr(pipe, command.name)(*command.args, **command.options)
                    answers = await pipe.execute(raise_on_error=False)
        except Exception as error:  # the connection's: every command of the batch failed with it
            for command in batch:
                if not command.answer.done():
                    command.answer.set_exception(error)
            return
        for command, answer in zip(batch, answers, strict=True):
            if command.answer.done():  # its request was cancelled meanwhile
                continue
            if isinstance(answer, Exception):
                command.answer.set_exception(answer)
            else:
                command.answer.set_result(answer)
