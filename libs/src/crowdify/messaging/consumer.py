"""Consuming with an inbox: at-least-once delivery made idempotent, retries with growing delay.

For each message: open a unit of work, insert ``(consumer, message_id)`` into the inbox (a
duplicate is acknowledged and skipped), run the handler in the same transaction, commit (the
unit's after-commit hooks send any outbox rows the handler added), and only then acknowledge.
A process killed between commit and acknowledgement gets the message again, and the inbox row
committed with the effect turns that redelivery into a no-op.

A handler that raises has its transaction rolled back; the message is re-published, with
confirms, to the next retry tier (or to the parking queue once the tiers are used up) and only
then acknowledged, so a failed message is never acknowledged without a safe copy on the broker.

Types registered with :meth:`Consumer.on_batch` are handled in batches (group commit): the inbox
rows of a whole batch and its handler share one transaction, and each message is acknowledged
after that commit, exactly as above; a failed batch falls back to one message at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import aio_pika
from aio_pika.abc import (
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustChannel,
    AbstractRobustConnection,
)
from pydantic import ValidationError
from sqlalchemy import ARRAY, Table, Text, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.sql.dml import ReturningInsert

from crowdify.contracts.base import Contract
from crowdify.db.uow import UnitOfWork, UnitOfWorkFactory
from crowdify.messaging import closing, metrics
from crowdify.messaging.acks import Acknowledgements
from crowdify.messaging.batching import Delivery, DeliveryLane
from crowdify.messaging.context import handling_batch_var, handling_envelope_var
from crowdify.messaging.envelope import Envelope
from crowdify.messaging.tables import MessagingTables
from crowdify.messaging.topology import DEFAULT_RETRY_DELAYS, ConsumerTopology, QueueType
from crowdify.messaging.wire import (
    LAST_ERROR,
    ORIGINAL_ROUTING_KEY,
    PARKED_AT,
    PARKED_ERROR,
    PARKED_REASON,
    REQUEST_ID,
    RETRY_COUNT,
    copy_message,
    describe_error,
    retry_count,
)
from crowdify.observability.context import correlation_id_var, request_id_var

log = logging.getLogger(__name__)

C = TypeVar("C", bound=Contract)
Handler = Callable[[C, Envelope, UnitOfWork], Awaitable[None]]
# Handles the new messages of a batch, in arrival order, in one transaction.
BatchHandler = Callable[[Sequence[tuple[C, Envelope]], UnitOfWork], Awaitable[None]]

UNKNOWN_TYPE = "unknown"
# How long stopping waits for a parking-depth check in progress before cancelling it.
WATCH_STOP_SECONDS = 5.0


@functools.cache
def _claim_statement(inbox: Table) -> ReturningInsert[Any]:
    """One statement for a batch's inbox rows whatever its size, their values one array per
    column: the same statement for every batch, so it is compiled and prepared once. (A multi-row
    ``VALUES`` list was compiled again for every batch size: about a quarter of the CPU of
    admin-svc's batches of one message kind.)"""
    unnested = (
        func.unnest(
            bindparam("message_ids", type_=ARRAY(Text())), bindparam("message_types", type_=ARRAY(Text()))
        )
        .table_valued("message_id", "message_type")
        .render_derived(name="claimed")
    )
    return (
        insert(inbox)
        .from_select(
            ["consumer", "message_id", "message_type"],
            select(bindparam("consumer", type_=Text()), unnested.c.message_id, unnested.c.message_type),
        )
        .on_conflict_do_nothing(index_elements=[inbox.c.consumer, inbox.c.message_id])
        .returning(inbox.c.message_id)
    )


class Consumer:
    def __init__(
        self,
        *,
        queue: str,
        uow_factory: UnitOfWorkFactory,
        tables: MessagingTables,
        amqp_url: str,
        exchange_name: str,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        queue_type: QueueType = "quorum",
        prefetch: int = 20,
        publish_timeout: float = 10.0,
        stop_timeout: float = 30.0,
        broker_stop_timeout: float = closing.BROKER_STOP_SECONDS,
        parking_check_seconds: float | None = 30.0,
    ) -> None:
        """``queue_type``: quorum in production, classic where queues come and go by the hundred
        (tests); see :mod:`crowdify.messaging.topology`. Services pass ``AMQP_QUEUE_TYPE``.
        ``parking_check_seconds``: how often ``crowdify_parking_queue_depth`` is refreshed while
        consuming (None: never). ``stop_timeout`` bounds the wait for the messages in hand when
        stopping, ``broker_stop_timeout`` each wait for the broker's answer (:mod:`.closing`)."""
        self.topology = ConsumerTopology(
            exchange=exchange_name, queue=queue, retry_delays=tuple(retry_delays), queue_type=queue_type
        )
        self.uow_factory = uow_factory
        self.tables = tables
        self.amqp_url = amqp_url
        self.prefetch = prefetch
        self.publish_timeout = publish_timeout
        self.stop_timeout = stop_timeout
        self.broker_stop_timeout = broker_stop_timeout
        self.parking_check_seconds = parking_check_seconds
        self._handlers: dict[str, tuple[type[Contract], Handler[Any]]] = {}
        self._lanes: dict[str, DeliveryLane] = {}
        self._acks = Acknowledgements(queue)
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractRobustChannel | None = None
        self._queue: AbstractQueue | None = None
        self._consumer_tag: str | None = None
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._parking_watch: asyncio.Task[None] | None = None
        self._watch_stopping = asyncio.Event()

    @property
    def queue(self) -> str:
        return self.topology.queue

    def on(self, contract: type[C], handler: Handler[C]) -> None:
        """Handle ``contract`` with ``handler``; the queue is bound to its routing key on start."""
        key = contract.routing_key()
        if key in self._handlers:
            raise ValueError(f"{self.queue} already handles {key}")
        self._handlers[key] = (contract, handler)

    def on_batch(
        self,
        contract: type[C],
        handler: BatchHandler[C],
        *,
        max_batch: int | None = None,
        weight: Callable[[Any], int] | None = None,
        shares_lane_with: type[Contract] | None = None,
        linger: float = 0.0,
    ) -> None:
        """Handle ``contract`` in batches (group commit, :mod:`crowdify.messaging.batching`): the
        messages waiting, up to ``max_batch`` (the prefetch by default), go to ``handler`` together
        in one transaction with their inbox rows. If a batch fails, nothing of it is committed and
        each of its messages is handled alone (a batch of one) with the usual retries, so one
        poison message cannot hold the others back.

        ``shares_lane_with`` puts ``contract`` in the lane of a contract registered before: the
        messages of both then form batches together, in the order they arrived, and go to that
        contract's handler (which must take both). For a new contract that replaces an old one
        while both may be in the queue, when arrival order matters across the two.

        ``weight`` (of a message, for every contract of the lane) makes ``max_batch`` bound the
        sum of the batch's weights rather than its messages: for messages that list many orders,
        so that a batch of them stays one transaction's worth of orders.

        ``linger`` (seconds) lets a batch that is not full wait that long for more messages
        (:class:`~crowdify.group_commit.GroupCommitLane`): for handlers whose effects nobody waits
        on, such as a read model, where fewer and larger transactions are worth a delay."""

        async def alone(event: C, envelope: Envelope, uow: UnitOfWork) -> None:
            await handler([(event, envelope)], uow)

        key = contract.routing_key()
        if shares_lane_with is not None:
            shared = self._lanes.get(shares_lane_with.routing_key())
            if shared is None:
                raise ValueError(f"{shares_lane_with.routing_key()} has no lane on {self.queue} to share")
            if max_batch is not None or weight is not None or linger:
                raise ValueError("a shared lane keeps the bound, weight and linger it was made with")
            self.on(contract, alone)
            self._lanes[key] = shared
            return
        self.on(contract, alone)

        async def run(deliveries: Sequence[Delivery]) -> list[bool]:
            return await self._handle_batch(deliveries, handler)

        self._lanes[key] = DeliveryLane(
            f"{self.queue}:{key}",
            run,
            max_batch=max_batch or self.prefetch,
            weight=None if weight is None else lambda delivery: weight(delivery.event),
            linger=linger,
        )

    async def start(self) -> None:
        """Declare the topology and start consuming (robust: reconnects and re-consumes)."""
        if self._connection is not None:
            raise RuntimeError(f"the consumer of {self.queue} is already started")
        self._connection = await aio_pika.connect_robust(self.amqp_url)
        channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
        assert isinstance(channel, AbstractRobustChannel)
        self._channel = channel
        # Per-consumer prefetch (quorum queues refuse global QoS).
        await channel.set_qos(prefetch_count=self.prefetch)
        self._queue = await self.topology.declare(channel, self._handlers)
        self._consumer_tag = await self._queue.consume(self._on_message, no_ack=False)
        log.info("consuming %s (%s)", self.queue, ", ".join(sorted(self._handlers)))
        if self.parking_check_seconds is not None:
            self._watch_stopping = asyncio.Event()
            self._parking_watch = asyncio.create_task(
                self._watch_parking(self.parking_check_seconds), name=f"parking-depth:{self.queue}"
            )

    async def stop(self) -> None:
        """Stop taking messages, let those in hand finish (bounded), then close the connection."""
        if self._queue is not None and self._consumer_tag is not None:
            await closing.within(
                self._queue.cancel(self._consumer_tag),
                f"cancel the consumer of {self.queue}",
                self.broker_stop_timeout,
            )
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=self.stop_timeout)
        await self.abort()

    async def abort(self) -> None:
        """Close the connection at once; unacknowledged messages go back to the queue."""
        watch, self._parking_watch = self._parking_watch, None
        if watch is not None:
            # Let a depth check in progress finish rather than cancel it: a channel whose open or
            # close is cancelled half-way makes the broker close the whole connection
            # (CHANNEL_ERROR), and closing that connection could then hang.
            self._watch_stopping.set()
            try:
                await asyncio.wait_for(asyncio.shield(watch), timeout=WATCH_STOP_SECONDS)
            except TimeoutError:
                watch.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watch
        connection, self._connection = self._connection, None
        self._queue = self._consumer_tag = None
        if connection is not None and not connection.is_closed:
            await closing.within(
                connection.close(), f"close the connection of {self.queue}", self.broker_stop_timeout
            )

    async def _watch_parking(self, interval: float) -> None:
        """Keep ``crowdify_parking_queue_depth`` current for this consumer's parking queue."""
        while not self._watch_stopping.is_set():
            connection = self._connection
            if connection is not None and connection.connected.is_set():
                try:
                    await metrics.update_parking_queue_depth(connection, self.topology.parking_queue)
                except Exception as error:
                    log.debug("could not read the depth of %s: %r", self.topology.parking_queue, error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._watch_stopping.wait(), timeout=interval)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        self._acks.received(message)  # before any await: deliveries are registered in order
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            await self._process(message)
        finally:
            if task is not None:
                self._in_flight.discard(task)

    async def _process(self, message: AbstractIncomingMessage) -> None:
        try:
            envelope = Envelope.from_json(message.body)
        except ValidationError as error:
            await self._park(message, UNKNOWN_TYPE, "malformed", describe_error(error))
            return
        message_type = envelope.routing_key
        registered = self._handlers.get(message_type)
        if registered is None:
            await self._park(message, message_type, "unknown-type", f"no handler for {message_type}")
            return
        contract, handler = registered
        try:
            event = envelope.parse(contract)
        except ValidationError as error:
            await self._park(message, message_type, "malformed", describe_error(error))
            return
        lane = self._lanes.get(message_type)
        if lane is not None:
            first_time = await lane.submit(Delivery(message, envelope, event))
            if first_time is not None:
                await self._acknowledge(message, message_type, first_time=first_time)
                return
            # Its batch failed: it is handled alone below, with retries if it fails again.

        request_id = (message.headers or {}).get(REQUEST_ID)
        tokens = (
            correlation_id_var.set(envelope.correlation_id),
            request_id_var.set(request_id if isinstance(request_id, str) else None),
            handling_envelope_var.set(envelope),
        )
        try:
            try:
                first_time = await self._handle_once(envelope, event, handler)
            except Exception as error:
                metrics.MESSAGES_FAILED.labels(queue=self.queue, type=message_type).inc()
                log.warning("handler for %s %s failed: %s", message_type, envelope.id, describe_error(error))
                await self._retry_or_park(message, message_type, error)
                return
            await self._acknowledge(message, message_type, first_time=first_time)
        finally:
            handling_envelope_var.reset(tokens[2])
            request_id_var.reset(tokens[1])
            correlation_id_var.reset(tokens[0])

    async def _acknowledge(
        self, message: AbstractIncomingMessage, message_type: str, *, first_time: bool
    ) -> None:
        if not first_time:
            metrics.MESSAGES_DUPLICATE.labels(queue=self.queue, type=message_type).inc()
        await self._acks.ack(message)
        metrics.MESSAGES_CONSUMED.labels(queue=self.queue, type=message_type).inc()

    async def _handle_once(self, envelope: Envelope, event: Contract, handler: Handler[Any]) -> bool:
        """Run the handler unless the inbox has seen the message; False for a duplicate."""
        async with self.uow_factory() as uow:
            if not await self._claim(uow, [envelope]):
                return False
            await handler(event, envelope, uow)
        return True

    async def _handle_batch(self, deliveries: Sequence[Delivery], handler: BatchHandler[Any]) -> list[bool]:
        """One transaction for the batch: inbox rows for all, the handler for those new."""
        handling_batch_var.set([d.envelope for d in deliveries])  # the lane's task is the batch's own
        async with self.uow_factory() as uow:
            claimed = await self._claim(uow, [d.envelope for d in deliveries])
            fresh: list[Delivery] = []
            for delivery in deliveries:
                # A message sent twice may sit in one batch twice: only its first copy counts.
                if str(delivery.envelope.id) in claimed:
                    claimed.discard(str(delivery.envelope.id))
                    fresh.append(delivery)
            if fresh:
                await handler([(d.event, d.envelope) for d in fresh], uow)
        handled = {id(d) for d in fresh}
        return [id(d) in handled for d in deliveries]

    async def _claim(self, uow: UnitOfWork, envelopes: Sequence[Envelope]) -> set[str]:
        """Record the messages in the inbox; returns the ids it did not have yet."""
        claimed = await uow.session.execute(
            _claim_statement(self.tables.inbox),
            {
                "consumer": self.queue,
                "message_ids": [str(e.id) for e in envelopes],
                "message_types": [e.routing_key for e in envelopes],
            },
        )
        return set(claimed.scalars())

    async def _retry_or_park(
        self, message: AbstractIncomingMessage, message_type: str, error: Exception
    ) -> None:
        retries_done = retry_count(message)
        retry_queue = self.topology.retry_queue_for(retries_done)
        if retry_queue is None:
            await self._park(message, message_type, "retries-exhausted", describe_error(error))
            return
        headers = {
            **(message.headers or {}),
            RETRY_COUNT: retries_done + 1,
            LAST_ERROR: describe_error(error),
        }
        if await self._move(message, retry_queue, headers):
            metrics.MESSAGES_RETRIED.labels(queue=self.queue, type=message_type).inc()

    async def _park(
        self, message: AbstractIncomingMessage, message_type: str, reason: str, error: str
    ) -> None:
        log.error("parking %s message %s: %s: %s", message_type, message.message_id, reason, error)
        headers = {
            **(message.headers or {}),
            PARKED_REASON: reason,
            PARKED_ERROR: error,
            PARKED_AT: datetime.now(UTC).isoformat(),
            ORIGINAL_ROUTING_KEY: message.routing_key or "",
        }
        if await self._move(message, self.topology.parking_queue, headers):
            metrics.MESSAGES_PARKED.labels(queue=self.queue, type=message_type).inc()

    async def _move(self, message: AbstractIncomingMessage, queue: str, headers: dict[str, Any]) -> bool:
        """Publish a copy to ``queue`` and wait for the confirm, then ack the original.

        If the copy cannot be published, the original is requeued instead of acknowledged:
        a failed message is never dropped.
        """
        assert self._channel is not None
        try:
            await self._channel.default_exchange.publish(
                copy_message(message, headers),
                routing_key=queue,
                mandatory=True,
                timeout=self.publish_timeout,
            )
        except Exception as error:
            log.error("could not move message %s to %s: %s", message.message_id, queue, describe_error(error))
            await self._acks.nack(message, requeue=True)
            return False
        await self._acks.ack(message)
        return True
