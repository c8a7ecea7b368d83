"""The run's last wait: until notification-svc has sent the emails the release of holds queued.

Cancelling the run's events (``Platform.release_holds``) cancels thousands of orders, and each
asks notification-svc for an email to its buyer: first as a message in its queue, then as a row
of ``notification.emails`` in ``pending`` until the sender loop has handed it to the SMTP server.
Left queued, whatever runs next on the same database (a test suite, a demo) waits behind them: an
end-to-end run once had its tickets emails delayed past its timeout. So the run ends only once
notification-svc has nothing of it left to send, or fails this step after a bound.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aio_pika
import asyncpg
from aio_pika.abc import AbstractConnection

from crowdify.db import asyncpg_dsn
from crowdify.messaging.topology import ConsumerTopology
from crowdify.testing import queue_depth
from crowdify_bench.settings import BenchSettings

# notification-svc's schema (notification_svc.settings.SCHEMA; the bench does not import services).
SCHEMA = "notification"

# What counts as still to send: a ``pending`` email due within this many seconds. That is every
# email just queued (due at once), a tickets email waiting for its PDF (at most
# NOTIFICATION_SVC_PDF_WAIT_SECONDS, 60), one deferred by an open circuit breaker (30 s, again
# and again while the provider is down: the run then waits, and fails at its bound), and the
# first two retries of a failed send (30 s, then 60 s). An email whose next attempt is further
# away has failed several times and waits, by its exponential back-off, up to an hour: nothing
# the run can wait out. It is counted apart (``left_pending``), not waited for. ``sent``,
# ``failed`` (refused for good, or out of attempts) and ``withdrawn`` are done.
DUE_WITHIN_SECONDS = 60

STILL_TO_SEND = f"""
SELECT count(*) FILTER (WHERE next_attempt_at <= now() + make_interval(secs => $1)) AS to_send,
       count(*) FILTER (WHERE next_attempt_at > now() + make_interval(secs => $1)) AS later
FROM {SCHEMA}.emails WHERE status = 'pending'
"""
SENT_SINCE = f"SELECT count(*) FROM {SCHEMA}.emails WHERE status = 'sent' AND sent_at >= $1"

# A passive declare counts a queue's ready messages only, not the few (up to the worker's
# prefetch, 32) it holds unacknowledged while their transaction inserts the email: those show
# nowhere until it commits. So the queues and the table must look empty for this long in a row,
# many times what the worker takes to handle what it holds.
QUIET_SECONDS = 3.0
POLL_SECONDS = 0.5


class EmailsNotSent(RuntimeError):
    """notification-svc still had the run's emails to send when the bound ran out."""


@dataclass(frozen=True)
class Backlog:
    to_send: int  # pending emails due within DUE_WITHIN_SECONDS
    later: int  # pending emails whose next attempt is further away
    queued: int  # ready messages in notification-svc's work queue and retry tiers

    @property
    def empty(self) -> bool:
        return self.to_send == 0 and self.queued == 0


def waited_queues(settings: BenchSettings) -> list[str]:
    """notification-svc's work queue and its retry tiers (a message there comes back to the work
    queue within two minutes). Not its parking queue: a parked message waits for an operator."""
    topology = ConsumerTopology(exchange=settings.amqp_exchange, queue=settings.notification_queue)
    return [topology.queue, *topology.retry_queues]


async def backlog(connection: asyncpg.Connection, broker: AbstractConnection, queues: list[str]) -> Backlog:
    row = await connection.fetchrow(STILL_TO_SEND, float(DUE_WITHIN_SECONDS))
    depths = [await queue_depth(broker, name) for name in queues]
    return Backlog(to_send=int(row["to_send"]), later=int(row["later"]), queued=sum(depths))


@dataclass(frozen=True)
class Waited:
    first: Backlog  # when the wait began
    last: Backlog  # when it ended (empty, but for what is left for a later retry)
    seconds: float  # the whole wait, the quiet that confirms its end included
    empty_after: float  # when the backlog was first seen empty for good


async def until_empty(
    probe: Callable[[], Awaitable[Backlog]],
    *,
    within: float,
    quiet: float = QUIET_SECONDS,
    interval: float = POLL_SECONDS,
) -> Waited:
    """Call ``probe`` every ``interval`` seconds until its backlog has been empty for ``quiet``
    seconds in a row; raise ``EmailsNotSent`` once ``within`` seconds have passed without."""
    began = time.monotonic()
    first = current = await probe()
    quiet_since: float | None = None
    while True:
        now = time.monotonic()
        if not current.empty:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= quiet:
            return Waited(first, current, now - began, quiet_since - began)
        if not current.empty and now - began >= within:
            raise EmailsNotSent(
                f"notification-svc still had {current.to_send} emails to send and "
                f"{current.queued} messages queued after {within:.0f} s "
                "(BENCH_EMAILS_WITHIN_SECONDS); whatever runs next will send them first"
            )
        await asyncio.sleep(interval)
        current = await probe()


async def until_emails_sent(settings: BenchSettings, within: float | None = None) -> dict[str, Any]:
    """Poll until notification-svc's queues hold no ready message and no email is still to send,
    as seen for ``QUIET_SECONDS`` in a row; fail with ``EmailsNotSent`` after ``within`` seconds
    (``BENCH_EMAILS_WITHIN_SECONDS``). Returns what it waited for: the backlog when it began, how
    many emails were sent meanwhile (``emails_sent``: every email notification-svc sent during the
    wait, the run's or not), how long it took, and what it left (``left_pending``)."""
    queues = waited_queues(settings)
    connection = await asyncpg.connect(asyncpg_dsn(settings.notification_database_url))
    try:
        broker = await aio_pika.connect(settings.amqp_url)
        try:
            since: datetime = await connection.fetchval("SELECT now()")
            waited = await until_empty(
                lambda: backlog(connection, broker, queues),
                within=settings.emails_within_seconds if within is None else within,
            )
        finally:
            await broker.close()
        sent = int(await connection.fetchval(SENT_SINCE, since))
    finally:
        await connection.close()
    return {
        # The whole wait, the QUIET_SECONDS that confirm its end included; and when the backlog
        # was first seen empty for good.
        "seconds": round(waited.seconds, 1),
        "empty_after_seconds": round(waited.empty_after, 1),
        "emails_sent": sent,
        "emails_to_send_at_start": waited.first.to_send,
        "messages_queued_at_start": waited.first.queued,
        "left_pending": waited.last.later,
        "queues": queues,
    }
