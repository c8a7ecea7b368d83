"""Closing broker connections with a bound.

Closing an AMQP connection (or cancelling a consumer) waits for the broker's answer, and aio-pika
puts no time limit on it: a broker that is restarting, or a connection that a network fault left
half open, never answers, and a worker asked to stop would then wait until the process is killed
(heartbeats notice a dead peer only after a minute or more). Stopping is best effort past the
bound: the messages in hand are already finished or unacknowledged, and the broker requeues
unacknowledged messages once it sees the connection gone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

log = logging.getLogger(__name__)

# How long stopping waits for the broker to answer a cancel or a close.
BROKER_STOP_SECONDS = 5.0


async def within(step: Awaitable[object], what: str, seconds: float = BROKER_STOP_SECONDS) -> bool:
    """Await ``step`` for at most ``seconds``; False (and a warning) if it timed out or failed."""
    try:
        await asyncio.wait_for(step, timeout=seconds)
    except TimeoutError:
        log.warning("the broker did not answer %s within %.1f s; going on without it", what, seconds)
        return False
    except Exception:
        log.warning("could not %s cleanly", what, exc_info=True)
        return False
    return True
