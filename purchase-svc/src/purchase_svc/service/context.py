"""What the use cases need, built once per process by ``main.py`` or ``worker.py``."""

from __future__ import annotations

from dataclasses import dataclass, field

from redis.asyncio import Redis

from crowdify.db import UnitOfWorkFactory
from crowdify.messaging.outbox import Outbox
from purchase_svc.adapters.mercadopago import MercadoPagoClient
from purchase_svc.adapters.order_updates import OrderUpdates
from purchase_svc.settings import PurchaseSettings


@dataclass(frozen=True)
class Purchases:
    settings: PurchaseSettings
    uow_factory: UnitOfWorkFactory
    outbox: Outbox
    redis: Redis
    mercadopago: MercadoPagoClient
    # The API's waits for a decision (one subscription per process); the worker never waits.
    updates: OrderUpdates | None = field(default=None)
