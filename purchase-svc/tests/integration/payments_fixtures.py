"""Fixtures for the payment tests, on the real PostgreSQL and RabbitMQ and the Mercado Pago emulator.

Import them explicitly (``from tests.integration.payments_fixtures import *``-style names listed
in each test module). The session gets a database of its own, provisioned like production and
migrated with purchase-svc's Alembic history (as event-svc's tests do). Each test gets:

- the webhook router served over real HTTP (uvicorn in a thread, with its own engine and outbox
  publisher), so the emulator delivers signed notifications to it;
- a consumer on a queue of its own running :func:`register_payment_handlers` (purchase-svc's
  worker side), whose outbox keeps its messages in the table for the tests to read;
- helpers to insert orders straight into the tables, with a preference on the emulator whose
  ``external_reference`` is the order id.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import select

from crowdify.auth import TokenVerifier, issue_backend_token
from crowdify.db import UnitOfWorkFactory, create_engine
from crowdify.errors import install_problem_handlers
from crowdify.messaging import Consumer, Outbox, Publisher
from crowdify.testing import (
    RabbitNamespace,
    TestInfrastructureSettings,
    rabbit_namespace,
    wait_until,
)
from crowdify.testing.server import serving
from crowdify.testing.service_database import migrated_database
from mp_emulator.testing import EmulatorControl, running_emulator
from purchase_svc.adapters.mercadopago import MercadoPagoClient
from purchase_svc.adapters.tables import attendees, messaging, order_items, orders, payments, tickets
from purchase_svc.api import refunds as refunds_api
from purchase_svc.api import tickets as tickets_api
from purchase_svc.api import webhook
from purchase_svc.api.dependencies import install_purchases
from purchase_svc.composition import build_purchases
from purchase_svc.consumers.payments import register_payment_handlers
from purchase_svc.service.context import Purchases
from purchase_svc.settings import SCHEMA, PurchaseSettings

WEBHOOK_SECRET = "payments-test-webhook-secret"
PREVIOUS_SECRET = "payments-test-previous-secret"
WEBHOOK_PATH = "/api/v1/purchases/webhook"


@pytest.fixture(scope="session")
async def payments_database() -> AsyncIterator[str]:
    async with migrated_database("crowdify_test_payments", ["purchase-svc"]) as name:
        yield name


@pytest.fixture(scope="session")
def mp_emulator_url() -> Iterator[str]:
    with running_emulator(webhook_secret=WEBHOOK_SECRET, retry_schedule=[]) as url:
        yield url


@pytest.fixture
async def payments_rabbit() -> AsyncIterator[RabbitNamespace]:
    async with rabbit_namespace(TestInfrastructureSettings().amqp_url, prefix="payments") as namespace:
        yield namespace


@pytest.fixture
def payments_settings(
    payments_database: str, payments_rabbit: RabbitNamespace, mp_emulator_url: str
) -> PurchaseSettings:
    return PurchaseSettings(
        database_url=f"postgresql+asyncpg://purchase_svc@127.0.0.1:5432/{payments_database}",
        amqp_url=payments_rabbit.amqp_url,
        amqp_exchange=payments_rabbit.exchange,
        amqp_queue_type=payments_rabbit.queue_type,
        mercadopago_api_base_url=mp_emulator_url,
        mercadopago_webhook_secret=WEBHOOK_SECRET,
        mercadopago_webhook_secret_previous=PREVIOUS_SECRET,
        db_pool_size=3,
    )


def mercadopago_client(settings: PurchaseSettings) -> MercadoPagoClient:
    return MercadoPagoClient(
        access_token=settings.mercadopago_access_token.get_secret_value(),
        base_url=settings.mercadopago_api_base_url,
        timeout_seconds=5,
    )


def build_payments_app(settings: PurchaseSettings, *, publish: bool = True) -> FastAPI:
    """The webhook, tickets and refunds routers, wired the way main.py is expected to wire them.
    ``publish=False``: outbox rows are only written, as if the process died right after commit."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url, SCHEMA, pool_size=3)
        publisher = Publisher(settings.amqp_url, settings.amqp_exchange)
        await publisher.connect()
        uow_factory = UnitOfWorkFactory(engine)
        outbox = Outbox(messaging, publisher if publish else None)
        outbox.attach(uow_factory)
        redis = Redis.from_url(settings.redis_url)
        purchases = build_purchases(
            settings,
            uow_factory=uow_factory,
            outbox=outbox,
            redis=redis,
            mercadopago=mercadopago_client(settings),
        )
        install_purchases(app, purchases)
        verifier = TokenVerifier(settings)
        app.state.token_verifier = verifier
        try:
            yield
        finally:
            await verifier.aclose()
            await redis.aclose()
            await publisher.close()
            await engine.dispose()

    app = FastAPI(lifespan=lifespan)
    install_problem_handlers(app)
    app.include_router(webhook.router)
    app.include_router(tickets_api.router)
    app.include_router(refunds_api.router)
    return app


@dataclass
class PaymentsEnv:
    settings: PurchaseSettings
    purchases: Purchases
    control: EmulatorControl
    app_url: str
    orders_created: list[uuid.UUID] = field(default_factory=list)

    @property
    def webhook_url(self) -> str:
        return f"{self.app_url}{WEBHOOK_PATH}"

    async def create_order(
        self,
        *,
        quantity: int = 2,
        unit_price: int = 15000,
        status: str = "awaiting_payment",
        preference_unit_price: int | None = None,
        attendee_names: list[str] | None = None,
        notify: bool = True,
        updated_at: datetime | None = None,
        user_id: str = "buyer-1",
    ) -> tuple[uuid.UUID, str]:
        """An order inserted straight into the tables and its preference on the emulator;
        returns ``(order_id, preference_id)``."""
        order_id, ticket_type_id = uuid.uuid4(), uuid.uuid4()
        now = datetime.now(UTC)
        preference: dict[str, Any] = {
            "items": [
                {
                    "id": str(ticket_type_id),
                    "title": "Entrada General",
                    "quantity": quantity,
                    "currency_id": "CLP",
                    "unit_price": preference_unit_price if preference_unit_price is not None else unit_price,
                }
            ],
            "external_reference": str(order_id),
            "binary_mode": True,
        }
        if notify:
            preference["notification_url"] = self.webhook_url
        created = await self.purchases.mercadopago.create_preference(
            preference, idempotency_key=f"pref-{order_id}"
        )
        async with self.purchases.uow_factory() as uow:
            await uow.session.execute(
                orders.insert().values(
                    id=order_id,
                    user_id=user_id,
                    event_id=uuid.uuid4(),
                    status=status,
                    buyer_name="Ana Pérez",
                    buyer_email="ana@example.com",
                    total=unit_price * quantity,
                    currency="CLP",
                    hold_expires_at=now + timedelta(minutes=15),
                    payment_link=created.init_point,
                    preference_id=created.id,
                    updated_at=updated_at or now,
                )
            )
            await uow.session.execute(
                order_items.insert().values(
                    order_id=order_id,
                    ticket_type_id=ticket_type_id,
                    ticket_type_name="General",
                    quantity=quantity,
                    unit_price=unit_price,
                )
            )
            if attendee_names:
                await uow.session.execute(
                    attendees.insert(),
                    [
                        {
                            "id": uuid.uuid4(),
                            "order_id": order_id,
                            "ticket_type_id": ticket_type_id,
                            "position": position,
                            "name": name,
                            "child_nombre": name if position == 1 else None,
                        }
                        for position, name in enumerate(attendee_names)
                    ],
                )
        self.orders_created.append(order_id)
        return order_id, created.id

    async def paid_order(self, *, quantity: int = 3, user_id: str = "buyer-1") -> tuple[uuid.UUID, str]:
        """An order of ``quantity`` tickets at $10.000 that its buyer paid (approved at the
        emulator, applied here); returns ``(order_id, payment_id)``."""
        order_id, preference_id = await self.create_order(
            quantity=quantity, unit_price=10000, user_id=user_id
        )
        payment_id = str((await self.control.pay(preference_id, "approved"))["payment_id"])
        await self.wait_status(order_id, "paid")
        return order_id, payment_id

    def bearer(self, role: str = "user", sub: str = "buyer-1") -> dict[str, str]:
        token = issue_backend_token(self.settings.jwt_secret.get_secret_value(), subject=sub, role=role)
        return {"Authorization": f"Bearer {token}"}

    async def wait_status(self, order_id: uuid.UUID, status: str, **expected: Any) -> dict[str, Any]:
        async def reached() -> dict[str, Any] | None:
            order = await self.order(order_id)
            ok = order["status"] == status and all(order[k] == v for k, v in expected.items())
            return order if ok else None

        found: dict[str, Any] = await wait_until(reached, within=15, message=f"order {status} {expected}")
        return found

    async def order(self, order_id: uuid.UUID) -> dict[str, Any]:
        async with self.purchases.uow_factory() as uow:
            row = (await uow.session.execute(select(orders).where(orders.c.id == order_id))).mappings().one()
        return dict(row)

    async def tickets(self, order_id: uuid.UUID) -> list[dict[str, Any]]:
        async with self.purchases.uow_factory() as uow:
            rows = (
                (await uow.session.execute(select(tickets).where(tickets.c.order_id == order_id)))
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

    async def payments(self, order_id: uuid.UUID) -> list[dict[str, Any]]:
        async with self.purchases.uow_factory() as uow:
            rows = (
                (await uow.session.execute(select(payments).where(payments.c.order_id == order_id)))
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

    async def messages(self, order_id: uuid.UUID, routing_key: str | None = None) -> list[dict[str, Any]]:
        """Envelopes this order's handling wrote to the outbox (correlated by order id)."""
        outbox = messaging.outbox
        query = select(outbox.c.envelope).where(outbox.c.envelope["correlation_id"].astext == str(order_id))
        if routing_key is not None:
            query = query.where(outbox.c.routing_key == routing_key)
        async with self.purchases.uow_factory() as uow:
            return [dict(r) for r in (await uow.session.execute(query)).scalars().all()]


@pytest.fixture
async def payments_env(
    payments_settings: PurchaseSettings, payments_rabbit: RabbitNamespace
) -> AsyncIterator[PaymentsEnv]:
    settings = payments_settings
    engine = create_engine(settings.database_url, SCHEMA, pool_size=5)
    uow_factory = UnitOfWorkFactory(engine)
    # The worker's outbox keeps what it writes in the table (no publisher): tests read it there.
    outbox = Outbox(messaging, None)
    redis = Redis.from_url(settings.redis_url)
    purchases = build_purchases(
        settings,
        uow_factory=uow_factory,
        outbox=outbox,
        redis=redis,
        mercadopago=mercadopago_client(settings),
    )
    consumer = Consumer(
        queue=payments_rabbit.queue("payments"),
        uow_factory=uow_factory,
        tables=messaging,
        amqp_url=settings.amqp_url,
        exchange_name=settings.amqp_exchange,
        queue_type=settings.amqp_queue_type,
        retry_delays=(0.2, 0.5),
        parking_check_seconds=None,
    )
    payments_rabbit.track(consumer.topology.queue_names)
    register_payment_handlers(consumer, purchases)
    await consumer.start()
    try:
        with serving(build_payments_app(settings)) as app_url:
            async with EmulatorControl(settings.mercadopago_api_base_url) as control:
                yield PaymentsEnv(settings=settings, purchases=purchases, control=control, app_url=app_url)
    finally:
        await consumer.stop()
        await redis.aclose()
        await engine.dispose()
