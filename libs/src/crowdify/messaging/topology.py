"""The queues of one consumer, declared from the contracts it handles.

For a consumer queue ``Q`` bound to the topic exchange:

- ``Q``: the work queue, bound to each handled contract's routing key.
- ``Q.retry.<ms>ms``: one queue per retry tier. Nobody consumes them: a message waits there for
  the tier's TTL, then RabbitMQ dead-letters it through the default exchange with routing key
  ``Q``, i.e. back into ``Q`` only (other services bound to the same routing key do not get
  it again). A per-queue TTL (not per-message ``expiration``) so every message in a tier waits
  the same time and none is stuck behind a longer one.
- ``Q.parking``: where messages go when retries are exhausted, or when they cannot be read at
  all; an operator replays them with ``python -m crowdify.messaging.replay``.

The queue type is a setting (``AMQP_QUEUE_TYPE``), quorum by default:

- **quorum** (production): the replicated, durable queue type RabbitMQ recommends for work that
  must not be lost: confirms are sent only once a majority holds the message, and they support
  what is used here (per-queue TTL since 3.10, dead-lettering, ``x-delivery-limit``). The cost,
  more disk and memory than a classic queue (each quorum queue is a Raft group with its own log),
  is fine for a handful of long-lived business queues; nothing here needs what quorum queues
  lack (priorities, exclusive or transient queues, global QoS).

  Dead-lettering uses the at-least-once strategy (with ``x-overflow=reject-publish``, which it
  requires): with the default at-most-once strategy a message moving from a retry queue back to
  ``Q`` can be lost if a node fails during the move. The work queue dead-letters to the parking
  queue too, which catches what the consumer's own retry logic cannot: a message that crashes
  the process before it is acknowledged, ``x-delivery-limit`` times in a row.

- **classic** (tests, a single development node): durable, same dead-lettering through
  ``x-dead-letter-exchange``/``x-dead-letter-routing-key`` and the same per-queue TTL (every
  message of a tier has the same TTL, so expiry at the head of the queue is expiry in order).
  Classic queues have no delivery limit (a message that kills the process before its ack comes
  back for ever) and no at-least-once dead-lettering; cheap to create and delete, which is what
  hundreds of short-lived test queues need.

Changing the type of an existing queue is not possible in place (RabbitMQ refuses the
redeclaration): drain the queues and delete them, then start the consumers with the new setting.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue

from crowdify.messaging.exchange import declare_exchange

QueueType = Literal["quorum", "classic"]
QUEUE_TYPES: tuple[QueueType, ...] = get_args(QueueType)

# Seconds a failed message waits before each retry; after the last tier it is parked.
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (1, 5, 30, 120)

# Deliveries without an acknowledgement (process killed mid-handler) before RabbitMQ parks the
# message itself; ordinary failures are retried and parked by the consumer long before this.
DELIVERY_LIMIT = 10


def _dead_lettering_to(queue: str, queue_type: QueueType) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "x-queue-type": queue_type,
        "x-dead-letter-exchange": "",  # the default exchange: routes by queue name
        "x-dead-letter-routing-key": queue,
    }
    if queue_type == "quorum":
        arguments["x-dead-letter-strategy"] = "at-least-once"
        arguments["x-overflow"] = "reject-publish"
    return arguments


@dataclass(frozen=True)
class ConsumerTopology:
    exchange: str
    queue: str
    retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS
    queue_type: QueueType = "quorum"

    def __post_init__(self) -> None:
        if self.queue_type not in QUEUE_TYPES:
            raise ValueError(f"queue_type must be one of {', '.join(QUEUE_TYPES)}, not {self.queue_type!r}")

    @property
    def parking_queue(self) -> str:
        return f"{self.queue}.parking"

    @property
    def retry_queues(self) -> list[str]:
        """One per tier, named by its delay so changing the delays never redeclares a queue
        with different arguments (which RabbitMQ refuses)."""
        return [f"{self.queue}.retry.{round(delay * 1000)}ms" for delay in self.retry_delays]

    @property
    def queue_names(self) -> list[str]:
        return [self.queue, *self.retry_queues, self.parking_queue]

    def retry_queue_for(self, retries_done: int) -> str | None:
        """The tier for a message that has been retried ``retries_done`` times, or None when
        the retries are exhausted."""
        tiers = self.retry_queues
        return tiers[retries_done] if retries_done < len(tiers) else None

    def queue_arguments(self) -> dict[str, dict[str, Any]]:
        """The arguments each queue is declared with, by name."""
        work = _dead_lettering_to(self.parking_queue, self.queue_type)
        if self.queue_type == "quorum":
            work["x-delivery-limit"] = DELIVERY_LIMIT
        arguments = {self.parking_queue: {"x-queue-type": self.queue_type}, self.queue: work}
        for name, delay in zip(self.retry_queues, self.retry_delays, strict=True):
            arguments[name] = {
                **_dead_lettering_to(self.queue, self.queue_type),
                "x-message-ttl": round(delay * 1000),
            }
        return arguments

    async def declare(self, channel: AbstractChannel, routing_keys: Iterable[str]) -> AbstractQueue:
        """Declare everything (idempotent) and bind the work queue; returns the work queue.

        The parking queue comes first and the retry tiers last, so no queue ever dead-letters to
        one that does not exist yet.
        """
        exchange: AbstractExchange = await declare_exchange(channel, self.exchange)
        arguments = self.queue_arguments()
        await channel.declare_queue(self.parking_queue, durable=True, arguments=arguments[self.parking_queue])
        work_queue = await channel.declare_queue(self.queue, durable=True, arguments=arguments[self.queue])
        for name in self.retry_queues:
            await channel.declare_queue(name, durable=True, arguments=arguments[name])
        for routing_key in routing_keys:
            await work_queue.bind(exchange, routing_key=routing_key)
        return work_queue
