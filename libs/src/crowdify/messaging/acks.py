"""Acknowledging a consumer's deliveries together: one ``basic.ack`` with ``multiple`` for the
messages settled in the same turn of the event loop, where the protocol allows it (ADR 0025).

On a quorum queue every acknowledgement is a command the queue's Raft log must agree on. Measured
on one broker here (20,000 persistent messages, prefetch 128), an ack per message cost RabbitMQ
about 0.13 ms of CPU per message and the consumer 0.17 ms; one ack for 64 cost RabbitMQ 0.03 and
the consumer 0.11, and the queue drained in half the time. A batch of messages handled together
(``Consumer.on_batch``) is settled in one loop turn, so it can be settled with one frame.

``multiple`` acknowledges every delivery of the channel up to the tag it names, so it is sent only
for a run of messages that are all settled as "ack": the oldest deliveries still in hand, in
delivery order, up to the first one not yet done. A message settled while an older one is still
in hand (a slow handler, a retry being published) is acknowledged alone, in the same turn: no
acknowledgement waits for another message's handler, so a slow message never holds the prefetch
window. A negative acknowledgement is always sent alone, and its message counts as in hand until
it has been sent (for good, if sending it failed on a channel still open), so that no
``multiple`` can cover it.

Every delivery is registered before its handler starts (:meth:`Acknowledgements.received`, the
first thing the consumer does with it): aio-pika starts the handlers in delivery order, so when a
message is settled every older delivery of its channel is known, and a ``multiple`` never covers a
message nobody has handled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from aio_pika.abc import AbstractIncomingMessage
from aio_pika.exceptions import ChannelInvalidStateError

from crowdify.messaging import metrics
from crowdify.messaging.wire import describe_error

log = logging.getLogger(__name__)


class Acknowledgements:
    """The deliveries of one consumer in hand, and their acknowledgements sent together."""

    def __init__(self, queue: str) -> None:
        self.queue = queue
        self._channel: Any = None  # the channel the deliveries in hand came on
        # Delivery tag -> message, in delivery order (tags only grow on a channel). A message is
        # in hand when it is the one registered under its tag: that also says it came on the
        # current channel, without asking the message (whose channel may be closed by then).
        self._in_hand: dict[int, AbstractIncomingMessage] = {}
        self._done: dict[int, asyncio.Future[None]] = {}  # settled as "ack", not yet sent
        self._flusher: asyncio.Task[None] | None = None

    def received(self, message: AbstractIncomingMessage) -> None:
        """Register a delivery before anything else is done with it."""
        tag = message.delivery_tag
        try:
            channel = message.channel
        except ChannelInvalidStateError:
            return  # closed already: it cannot be acknowledged, and it comes again
        if tag is None:
            return
        if channel is not self._channel:
            # A new channel (a reconnection): the old one's tags mean nothing on it, and its
            # deliveries cannot be acknowledged any more; they come again.
            self._channel = channel
            self._in_hand.clear()
            for waiting in self._done.values():
                if not waiting.done():
                    waiting.set_result(None)
            self._done.clear()
        self._in_hand[tag] = message

    def _holds(self, message: AbstractIncomingMessage) -> bool:
        tag = message.delivery_tag
        return tag is not None and self._in_hand.get(tag) is message

    async def ack(self, message: AbstractIncomingMessage) -> None:
        """Acknowledge ``message``, with the others settled in this turn of the loop where they
        are the oldest in hand. Returns once its acknowledgement is sent (or could not be)."""
        if not self._holds(message) or message.delivery_tag in self._done:
            await self._alone(message, message.ack(), "ack")
            return
        tag = message.delivery_tag
        assert tag is not None  # held
        done = asyncio.get_running_loop().create_future()
        self._done[tag] = done
        if self._flusher is None or self._flusher.done():
            # Its first step runs after the messages woken with this one (they are scheduled
            # already), so it finds theirs settled too. A task of its own: a message's task may
            # be cancelled while it waits, the flush must not be.
            self._flusher = asyncio.create_task(self._flush(), name=f"acks:{self.queue}")
        await asyncio.shield(done)

    async def nack(self, message: AbstractIncomingMessage, *, requeue: bool) -> None:
        """Refuse ``message`` alone; it stays in hand until the refusal is sent."""
        await self._alone(message, message.nack(requeue=requeue), "nack")

    async def _alone(self, message: AbstractIncomingMessage, settlement: Awaitable[None], kind: str) -> None:
        # Out of hand only once sent: a settlement that failed on a channel still open keeps its
        # message in hand, so that no later ``multiple`` can cover it.
        if await self._settle(settlement, kind) and self._holds(message):
            assert message.delivery_tag is not None
            del self._in_hand[message.delivery_tag]

    async def _flush(self) -> None:
        """Send what is settled: the oldest run in hand with one ``multiple``, the rest alone."""
        while self._done:
            run: list[int] = []
            for tag in self._in_hand:
                if tag not in self._done:
                    break
                run.append(tag)
            if len(run) > 1:
                settlement, kind = self._in_hand[run[-1]].ack(multiple=True), "multiple"
            else:
                run = run or [next(iter(self._done))]
                settlement, kind = self._in_hand[run[0]].ack(), "ack"
            channel = self._channel
            sent = await self._settle(settlement, kind)
            if self._channel is not channel:
                continue  # a reconnection cleared what was in hand meanwhile
            for tag in run:
                if sent:
                    self._in_hand.pop(tag, None)
                done = self._done.pop(tag, None)
                if done is not None and not done.done():
                    done.set_result(None)

    async def _settle(self, settlement: Awaitable[None], kind: str) -> bool:
        try:
            await settlement
        except Exception as error:
            # A lost channel means the broker will deliver the message again; the inbox or the
            # retry counter deals with that, so this is worth a warning, not a crash.
            log.warning("could not settle a message on %s: %s", self.queue, describe_error(error))
            return False
        metrics.ACK_FRAMES.labels(queue=self.queue, kind=kind).inc()
        return True
