"""The sender loop: claim due emails, send them, record the outcome on each row.

A claim is a short transaction: due rows are picked, tickets emails first, with
``FOR UPDATE SKIP LOCKED`` (so any number of workers share the work without ever taking the
same row) and leased (``locked_until``) with their attempt counted; then the row is sent with
no transaction open, and the outcome is written in another short transaction. A worker that
dies mid-send leaves a lease that lapses, and the email is tried again: the residual duplicate
window ADR 0010 describes. Failures back off exponentially; an open circuit breaker defers the
emails without spending their attempts.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from prometheus_client import Counter
from sqlalchemy import func, select, update
from sqlalchemy.engine import RowMapping

from crowdify.db import UnitOfWorkFactory
from crowdify.tasks import pause, survive
from notification_svc.adapters.providers import (
    GuardedProvider,
    PermanentSendError,
    ProviderUnavailable,
    TransientSendError,
)
from notification_svc.adapters.tables import emails
from notification_svc.domain.emails import Kind, retry_delay
from notification_svc.service.composing import Composer
from notification_svc.settings import NotificationSettings

log = logging.getLogger(__name__)

EMAILS_SENT = Counter("crowdify_emails_sent_total", "Emails handed to the provider", ["kind", "provider"])
EMAIL_FAILURES = Counter(
    "crowdify_email_failures_total", "Failed attempts to send an email", ["kind", "outcome"]
)


@dataclass(frozen=True)
class SenderPolicy:
    batch_size: int
    lease: timedelta
    retry_base: float
    retry_max: float
    max_attempts: int
    breaker_ttl: float
    poll_seconds: float
    parallel: int = 5

    @classmethod
    def from_settings(cls, settings: NotificationSettings) -> SenderPolicy:
        return cls(
            batch_size=settings.send_batch_size,
            lease=timedelta(seconds=settings.send_lease_seconds),
            retry_base=settings.retry_base_seconds,
            retry_max=settings.retry_max_seconds,
            max_attempts=settings.max_attempts,
            breaker_ttl=settings.breaker_ttl_seconds,
            poll_seconds=settings.send_poll_seconds,
        )


class Sender:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        provider: GuardedProvider,
        composer: Composer,
        policy: SenderPolicy,
    ) -> None:
        self.uow_factory = uow_factory
        self.provider = provider
        self.composer = composer
        self.policy = policy
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(policy.parallel)

    def wake(self) -> None:
        """Look for due emails now (a consumer just queued one) instead of at the next poll."""
        self._wake.set()

    async def run_forever(self) -> None:
        while True:
            self._wake.clear()
            if await survive(self.send_due(), log, "the email sender failed; trying again"):
                continue  # more may be due
            await pause(self.policy.poll_seconds, self._wake)

    async def send_due(self) -> int:
        """Claim and send one batch of due emails; returns how many were claimed."""
        claimed = await self._claim()
        await asyncio.gather(*(self._deliver(row) for row in claimed))
        return len(claimed)

    async def _claim(self) -> list[RowMapping]:
        due = (
            select(emails.c.id)
            .where(
                emails.c.status == "pending",
                emails.c.next_attempt_at <= func.now(),
                (emails.c.locked_until.is_(None)) | (emails.c.locked_until <= func.now()),
            )
            # Tickets first: a buyer who just paid (or asked for a resend at the door) must not
            # wait behind a wave of notices, such as an on-sale's expired holds or a cancelled
            # event's emails, which come by the thousand. Among equals, the oldest due first.
            .order_by(emails.c.kind != Kind.TICKETS.value, emails.c.next_attempt_at)
            .limit(self.policy.batch_size)
            .with_for_update(skip_locked=True)
        )
        async with self.uow_factory() as uow:
            result = await uow.session.execute(
                update(emails)
                .where(emails.c.id.in_(due.scalar_subquery()))
                .values(locked_until=func.now() + self.policy.lease, attempts=emails.c.attempts + 1)
                .returning(emails)
            )
            return list(result.mappings().all())

    async def _deliver(self, row: RowMapping) -> None:
        async with self._slots:
            labels = {"email_id": str(row["id"]), "order_id": str(row["order_id"]), "kind": row["kind"]}
            try:
                outgoing, documents = await self.composer.compose(row)
                provider_id = await self.provider.send(outgoing)
            except ProviderUnavailable:
                EMAIL_FAILURES.labels(kind=row["kind"], outcome="deferred").inc()
                await self._defer(row)
                return
            except PermanentSendError as refused:
                EMAIL_FAILURES.labels(kind=row["kind"], outcome="refused").inc()
                log.error("email refused for good: %s", refused, extra=labels)
                await self._failed(row, str(refused), final=True)
                return
            except TransientSendError as failure:
                EMAIL_FAILURES.labels(kind=row["kind"], outcome="retry").inc()
                log.warning("email not sent: %s", failure, extra={**labels, "attempts": row["attempts"]})
                await self._failed(row, str(failure))
                return
            except Exception as error:  # a template or data problem: keep it, retry after a fix
                EMAIL_FAILURES.labels(kind=row["kind"], outcome="error").inc()
                log.exception("email could not be prepared", extra=labels)
                await self._failed(row, type(error).__name__)
                return
            EMAILS_SENT.labels(kind=row["kind"], provider=self.provider.name).inc()
            await self._sent(row, provider_id, documents)
            log.info("email sent", extra={**labels, "attempts": row["attempts"], "documents": documents})

    async def _record(self, row: RowMapping, **values: Any) -> None:
        async with self.uow_factory() as uow:
            await uow.session.execute(
                update(emails)
                .where(emails.c.id == row["id"], emails.c.status == "pending")
                .values(locked_until=None, **values)
            )

    async def _sent(self, row: RowMapping, provider_id: str | None, documents: str | None) -> None:
        await self._record(
            row,
            status="sent",
            sent_at=func.now(),
            provider=self.provider.name,
            provider_message_id=(provider_id or "")[:200] or None,
            documents=documents,
            last_error=None,
        )

    async def _failed(self, row: RowMapping, error: str, *, final: bool = False) -> None:
        attempts = int(row["attempts"])
        if final or attempts >= self.policy.max_attempts:
            await self._record(row, status="failed", last_error=error[:500])
            return
        delay = retry_delay(attempts, base=self.policy.retry_base, cap=self.policy.retry_max)
        await self._record(row, next_attempt_at=func.now() + timedelta(seconds=delay), last_error=error[:500])

    async def _defer(self, row: RowMapping) -> None:
        # Not the email's fault: its attempt is given back and it waits out the breaker.
        await self._record(
            row,
            attempts=emails.c.attempts - 1,
            next_attempt_at=func.now() + timedelta(seconds=self.policy.breaker_ttl),
            last_error="provider unavailable (circuit open)",
        )
