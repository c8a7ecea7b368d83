"""What the use cases need, built once per process by ``main.py`` or ``worker.py``."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from crowdify.db import UnitOfWorkFactory
from crowdify.messaging.outbox import Outbox
from purchase_svc.adapters.mercadopago import MercadoPagoClient
from purchase_svc.settings import PurchaseSettings


@dataclass(frozen=True)
class Purchases:
    settings: PurchaseSettings
    uow_factory: UnitOfWorkFactory
    outbox: Outbox
    redis: Redis
    mercadopago: MercadoPagoClient
