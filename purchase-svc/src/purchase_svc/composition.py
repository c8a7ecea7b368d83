"""The one place purchase-svc's processes are put together.

``main.py`` (the HTTP app) and ``worker.py`` (the consumer process) both build the use cases'
dependencies here, from the settings and the connections the process opened, so the two never
drift apart and neither imports the other.
"""

from __future__ import annotations

from redis.asyncio import Redis

from crowdify.db import UnitOfWorkFactory
from crowdify.messaging.outbox import Outbox
from purchase_svc.adapters.mercadopago import MercadoPagoClient
from purchase_svc.adapters.order_updates import OrderUpdates
from purchase_svc.service.context import Purchases
from purchase_svc.settings import PurchaseSettings


def mercadopago_client(settings: PurchaseSettings) -> MercadoPagoClient:
    return MercadoPagoClient(
        access_token=settings.mercadopago_access_token.get_secret_value(),
        base_url=settings.mercadopago_api_base_url,
        timeout_seconds=settings.mercadopago_timeout_seconds,
        breaker_threshold=settings.mercadopago_breaker_threshold,
        breaker_ttl_seconds=settings.mercadopago_breaker_ttl_seconds,
        max_concurrent_calls=settings.mercadopago_max_concurrent_calls,
    )


def build_purchases(
    settings: PurchaseSettings,
    *,
    uow_factory: UnitOfWorkFactory,
    outbox: Outbox,
    redis: Redis,
    updates: OrderUpdates | None = None,
    mercadopago: MercadoPagoClient | None = None,
) -> Purchases:
    """What the use cases need, for one process. ``updates`` only in the API (its requests wait
    for decisions); ``mercadopago`` defaults to the client ``settings`` describe."""
    return Purchases(
        settings=settings,
        uow_factory=uow_factory,
        outbox=outbox,
        redis=redis,
        mercadopago=mercadopago or mercadopago_client(settings),
        updates=updates,
    )
