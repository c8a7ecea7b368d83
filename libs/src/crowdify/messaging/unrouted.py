"""Look at, and send again, what the exchange could not route::

    python -m crowdify.messaging.unrouted [--exchange crowdify] [--limit N] [--republish] [--amqp-url URL]

Messages published while no queue was bound to their routing key wait in ``<exchange>.unrouted``
(see :mod:`crowdify.messaging.exchange`). Without ``--republish`` the first ``N`` (default 20) are
listed and left where they are. With ``--republish``, up to ``N`` (default: as many as are
there when it starts) are published again, with confirms, to the main exchange under their
original routing key, and only then acknowledged: once the missing consumer is deployed, it gets
them. A message still nobody is bound to goes back to the end of ``<exchange>.unrouted``.
Consumers recognise a message they already had by its id (the inbox), so sending one again is
safe.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aio_pika

from crowdify.messaging.exchange import declare_exchange, unrouted_name
from crowdify.messaging.settings import MessagingSettings
from crowdify.messaging.wire import copy_message

DEFAULT_LIST_LIMIT = 20


@dataclass(frozen=True)
class UnroutedMessage:
    routing_key: str
    message_id: str | None
    correlation_id: str | None
    published_at: datetime | None


async def list_unrouted(
    amqp_url: str, exchange: str, *, limit: int = DEFAULT_LIST_LIMIT
) -> tuple[int, list[UnroutedMessage]]:
    """How many messages wait in ``<exchange>.unrouted``, and the first ``limit`` of them.

    The messages are fetched without acknowledgement and released when the channel closes, so
    they stay in the queue, in order (marked redelivered, which changes nothing here).
    """
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        # Passive: an inspection tool must never create the queue (a typo would "succeed").
        queue = await channel.declare_queue(unrouted_name(exchange), passive=True)
        depth = int(queue.declaration_result.message_count or 0)
        seen: list[UnroutedMessage] = []
        while len(seen) < min(limit, depth):
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                break
            seen.append(
                UnroutedMessage(
                    routing_key=message.routing_key or "",
                    message_id=message.message_id,
                    correlation_id=message.correlation_id,
                    published_at=message.timestamp,
                )
            )
        await channel.close()  # releases (requeues) the unacknowledged messages
    return depth, seen


async def republish_unrouted(amqp_url: str, exchange: str, *, limit: int | None = None) -> int:
    """Publish up to ``limit`` unrouted messages (default: those there now) to ``exchange`` again."""
    moved = 0
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        queue = await channel.declare_queue(unrouted_name(exchange), passive=True)
        # Bounded by the depth at the start: messages still unroutable come back to the end of
        # the queue and must not be taken again in the same run.
        todo = int(queue.declaration_result.message_count or 0)
        if limit is not None:
            todo = min(todo, limit)
        main_exchange = await declare_exchange(channel, exchange)
        while moved < todo:
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                break
            await main_exchange.publish(
                copy_message(message, dict(message.headers or {})),
                routing_key=message.routing_key or "",
                mandatory=True,
            )
            await message.ack()
            moved += 1
    return moved


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    settings = MessagingSettings()
    parser = argparse.ArgumentParser(
        prog="python -m crowdify.messaging.unrouted",
        description="List (or publish again) the messages no queue was bound to.",
    )
    parser.add_argument(
        "--exchange", default=settings.amqp_exchange, help="the main exchange; default: AMQP_EXCHANGE"
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        help=f"list or republish at most this many (listing default: {DEFAULT_LIST_LIMIT})",
    )
    parser.add_argument(
        "--republish", action="store_true", help="publish them again to the exchange, then remove them"
    )
    parser.add_argument("--amqp-url", default=settings.amqp_url, help="default: AMQP_URL")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    queue = unrouted_name(args.exchange)
    if args.republish:
        moved = asyncio.run(republish_unrouted(args.amqp_url, args.exchange, limit=args.limit))
        print(f"republished {moved} message(s) from {queue} to {args.exchange}")
        return 0
    limit = DEFAULT_LIST_LIMIT if args.limit is None else args.limit
    depth, messages = asyncio.run(list_unrouted(args.amqp_url, args.exchange, limit=limit))
    print(f"{depth} message(s) in {queue}")
    for message in messages:
        published = message.published_at.isoformat() if message.published_at else "-"
        print(
            f"{published}  {message.routing_key}  id={message.message_id or '-'}"
            f"  correlation={message.correlation_id or '-'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
