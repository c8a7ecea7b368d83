"""Prometheus metrics for messaging, module-level so every consumer and relay in a process shares them.

Outbox lag (how many rows wait and for how long) and parking depth are the two numbers an
operator alerts on: the first says the broker or the relay is stuck, the second that handlers fail.
The unrouted depth says events are being published that no queue is bound to (a consumer not yet
deployed, or a binding lost); those are kept, not lost, but nobody handles them.
"""

from __future__ import annotations

from aio_pika.abc import AbstractConnection
from prometheus_client import Counter, Gauge

MESSAGES_CONSUMED = Counter(
    "crowdify_messages_consumed_total",
    "Messages handled and acknowledged (including duplicates skipped by the inbox)",
    ["queue", "type"],
)
MESSAGES_DUPLICATE = Counter(
    "crowdify_messages_duplicate_total",
    "Redelivered messages the inbox recognised and skipped",
    ["queue", "type"],
)
MESSAGES_FAILED = Counter(
    "crowdify_messages_failed_total",
    "Handler runs that raised (each is then retried or parked)",
    ["queue", "type"],
)
MESSAGES_RETRIED = Counter(
    "crowdify_messages_retried_total",
    "Messages re-published to a delayed retry queue",
    ["queue", "type"],
)
MESSAGES_PARKED = Counter(
    "crowdify_messages_parked_total",
    "Messages moved to the parking queue (retries exhausted, malformed or unknown type)",
    ["queue", "type"],
)
ACK_FRAMES = Counter(
    "crowdify_message_ack_frames_total",
    "Settlements sent to the broker: an ack of one message, an ack of several (multiple), a nack",
    ["queue", "kind"],
)
OUTBOX_UNPUBLISHED = Gauge(
    "crowdify_outbox_unpublished",
    "Outbox rows not yet confirmed by the broker",
    ["outbox"],
)
OUTBOX_OLDEST_UNPUBLISHED_AGE = Gauge(
    "crowdify_outbox_oldest_unpublished_age_seconds",
    "Age of the oldest outbox row not yet confirmed by the broker (0 when none)",
    ["outbox"],
)
PARKING_QUEUE_DEPTH = Gauge(
    "crowdify_parking_queue_depth",
    "Messages waiting in a consumer's parking queue",
    ["queue"],
)

UNROUTED_QUEUE_DEPTH = Gauge(
    "crowdify_unrouted_queue_depth",
    "Messages in <exchange>.unrouted: published while no queue was bound to their routing key",
    ["queue"],
)


async def parking_queue_depth(connection: AbstractConnection, parking_queue: str) -> int:
    """Messages in ``parking_queue``, read by a passive declare (which never creates the queue).

    A passive declare of a missing queue closes the channel, so it runs on a channel of its own.
    """
    channel = await connection.channel()
    try:
        queue = await channel.declare_queue(parking_queue, passive=True)
        count = queue.declaration_result.message_count
        return int(count or 0)
    finally:
        if not channel.is_closed:
            await channel.close()


async def update_parking_queue_depth(connection: AbstractConnection, parking_queue: str) -> int:
    depth = await parking_queue_depth(connection, parking_queue)
    PARKING_QUEUE_DEPTH.labels(queue=parking_queue).set(depth)
    return depth


__all__ = [
    "MESSAGES_CONSUMED",
    "MESSAGES_DUPLICATE",
    "MESSAGES_FAILED",
    "MESSAGES_PARKED",
    "MESSAGES_RETRIED",
    "OUTBOX_OLDEST_UNPUBLISHED_AGE",
    "OUTBOX_UNPUBLISHED",
    "PARKING_QUEUE_DEPTH",
    "UNROUTED_QUEUE_DEPTH",
    "parking_queue_depth",
    "update_parking_queue_depth",
]
