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

All are quorum queues. Quorum queues are the replicated, durable queue type RabbitMQ recommends
for work that must not be lost: confirms are sent only once a majority holds the message, and they
support what is used here (per-queue TTL since 3.10, dead-lettering, ``x-delivery-limit``). The
cost, more disk and memory than a classic queue, is fine for business events; nothing here needs
what quorum queues lack (priorities, exclusive or transient queues, global QoS).

Dead-lettering uses the at-least-once strategy (with ``x-overflow=reject-publish``, which it
requires): with the default at-most-once strategy a message moving from a retry queue back to
``Q`` can be lost if a node fails during the move. The work queue dead-letters to the parking
queue too, which catches what the consumer's own retry logic cannot: a message that crashes the
process before it is acknowledged, ``x-delivery-limit`` times in a row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue

from crowdify.messaging.publisher import declare_exchange

# Deliveries without an acknowledgement (process killed mid-handler) before RabbitMQ parks the
# message itself; ordinary failures are retried and parked by the consumer long before this.
DELIVERY_LIMIT = 10


def _quorum_dead_lettering_to(queue: str) -> dict[str, Any]:
    return {
        "x-queue-type": "quorum",
        "x-dead-letter-exchange": "",  # the default exchange: routes by queue name
        "x-dead-letter-routing-key": queue,
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }


@dataclass(frozen=True)
class ConsumerTopology:
    exchange: str
    queue: str
    retry_delays: Sequence[float]

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

    async def declare(self, channel: AbstractChannel, routing_keys: Iterable[str]) -> AbstractQueue:
        """Declare everything (idempotent) and bind the work queue; returns the work queue."""
        exchange: AbstractExchange = await declare_exchange(channel, self.exchange)
        await channel.declare_queue(self.parking_queue, durable=True, arguments={"x-queue-type": "quorum"})
        work_queue = await channel.declare_queue(
            self.queue,
            durable=True,
            arguments={**_quorum_dead_lettering_to(self.parking_queue), "x-delivery-limit": DELIVERY_LIMIT},
        )
        for name, delay in zip(self.retry_queues, self.retry_delays, strict=True):
            await channel.declare_queue(
                name,
                durable=True,
                arguments={**_quorum_dead_lettering_to(self.queue), "x-message-ttl": round(delay * 1000)},
            )
        for routing_key in routing_keys:
            await work_queue.bind(exchange, routing_key=routing_key)
        return work_queue
