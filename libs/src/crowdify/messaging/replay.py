"""Move parked messages back to their consumer's queue::

    python -m crowdify.messaging.replay --queue event-svc.purchase [--limit N] [--amqp-url URL]
    python -m crowdify.messaging.replay --queue event-svc.purchase --list [--limit N]

``--list`` only shows the parked messages (id, type, why and when they were parked), leaving
them in place; it is the thing to run before deciding to replay.

Each message is published (with confirms) straight to the consumer's queue through the default
exchange, so only that consumer sees it again, not every service bound to its routing key. Its
retry counter is reset so it gets the full retry ladder once more, and the parking notes are
dropped. Only then is the parked copy acknowledged: an interrupted replay leaves every message in
one of the two queues (at worst in both, which the consumer's inbox absorbs).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aio_pika

from crowdify.messaging.settings import MessagingSettings
from crowdify.messaging.topology import ConsumerTopology
from crowdify.messaging.wire import (
    LAST_ERROR,
    ORIGINAL_ROUTING_KEY,
    PARKED_AT,
    PARKED_ERROR,
    PARKED_REASON,
    RETRY_COUNT,
    copy_message,
)

# Headers describing the message's past failures: a replayed message starts afresh.
RESET_HEADERS = frozenset(
    {RETRY_COUNT, PARKED_REASON, PARKED_ERROR, PARKED_AT, ORIGINAL_ROUTING_KEY, LAST_ERROR}
)


DEFAULT_LIST_LIMIT = 20
# The parking notes --list shows, in this order, besides the AMQP properties.
LISTED_HEADERS = (PARKED_REASON, PARKED_AT, RETRY_COUNT, PARKED_ERROR, ORIGINAL_ROUTING_KEY)


@dataclass(frozen=True)
class ParkedMessage:
    message_id: str | None
    type: str | None
    correlation_id: str | None
    headers: dict[str, Any]


async def list_parked(
    amqp_url: str, queue: str, *, limit: int = DEFAULT_LIST_LIMIT
) -> tuple[int, list[ParkedMessage]]:
    """How many messages ``<queue>.parking`` holds, and the first ``limit`` of them, left in place.

    They are fetched without acknowledgement and released when the channel closes, so they stay
    in the parking queue (marked redelivered, which replay ignores).
    """
    parking_queue = ConsumerTopology(exchange="", queue=queue, retry_delays=()).parking_queue
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        parked = await channel.declare_queue(parking_queue, passive=True)
        depth = int(parked.declaration_result.message_count or 0)
        seen: list[ParkedMessage] = []
        while len(seen) < min(limit, depth):
            message = await parked.get(no_ack=False, fail=False)
            if message is None:
                break
            seen.append(
                ParkedMessage(
                    message_id=message.message_id,
                    type=message.type,
                    correlation_id=message.correlation_id,
                    headers=dict(message.headers or {}),
                )
            )
        await channel.close()  # releases (requeues) the unacknowledged messages
    return depth, seen


async def replay_parked(amqp_url: str, queue: str, *, limit: int | None = None) -> int:
    """Move up to ``limit`` (default: all) messages from ``<queue>.parking`` to ``queue``."""
    parking_queue = ConsumerTopology(exchange="", queue=queue, retry_delays=()).parking_queue
    moved = 0
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        # Passive: replay must never create queues (a typo would otherwise "succeed" silently).
        parked = await channel.declare_queue(parking_queue, passive=True)
        await channel.declare_queue(queue, passive=True)
        while limit is None or moved < limit:
            message = await parked.get(no_ack=False, fail=False)
            if message is None:
                break
            headers = {k: v for k, v in (message.headers or {}).items() if k not in RESET_HEADERS}
            await channel.default_exchange.publish(
                copy_message(message, headers), routing_key=queue, mandatory=True
            )
            await message.ack()
            moved += 1
    return moved


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    settings = MessagingSettings()
    parser = argparse.ArgumentParser(
        prog="python -m crowdify.messaging.replay",
        description="Move parked messages back to their consumer's queue.",
    )
    parser.add_argument(
        "--queue", required=True, help="the consumer's queue (its parking queue is <queue>.parking)"
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        help=f"move (or list) at most this many messages; listing default: {DEFAULT_LIST_LIMIT}",
    )
    parser.add_argument(
        "--list", action="store_true", help="only show the parked messages and why; move nothing"
    )
    parser.add_argument("--amqp-url", default=settings.amqp_url, help="default: AMQP_URL")
    return parser.parse_args(argv)


def print_parked(queue: str, depth: int, messages: list[ParkedMessage]) -> None:
    print(f"{depth} message(s) in {queue}.parking")
    for message in messages:
        print(
            f"{message.message_id or '-'}  {message.type or '-'}  correlation={message.correlation_id or '-'}"
        )
        for name in LISTED_HEADERS:
            if name in message.headers:
                print(f"    {name}: {message.headers[name]}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        limit = DEFAULT_LIST_LIMIT if args.limit is None else args.limit
        depth, messages = asyncio.run(list_parked(args.amqp_url, args.queue, limit=limit))
        print_parked(args.queue, depth, messages)
        return 0
    moved = asyncio.run(replay_parked(args.amqp_url, args.queue, limit=args.limit))
    print(f"replayed {moved} message(s) from {args.queue}.parking to {args.queue}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
