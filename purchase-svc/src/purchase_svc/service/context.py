"""What the use cases need, built once per process by ``composition.py``."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from redis.asyncio import Redis

from crowdify.db import UnitOfWorkFactory
from crowdify.messaging.outbox import Outbox
from crowdify.tickets import SigningKey
from purchase_svc.adapters.mercadopago import MercadoPagoClient
from purchase_svc.adapters.order_statements import OrderStatements
from purchase_svc.adapters.order_updates import OrderUpdates
from purchase_svc.service.catalogue_check import CatalogueCopy
from purchase_svc.service.placing_together import PlacingTogether
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

    @property
    def signing_key(self) -> SigningKey:
        """The key new tickets' QR payloads are signed with."""
        return self.settings.ticket_signing_key

    @cached_property
    def order_statements(self) -> OrderStatements:
        """The buyer's hot statements, on the unit factory's pool."""
        return OrderStatements(self.uow_factory.engine)

    @cached_property
    def placing_together(self) -> PlacingTogether:
        """This process's lane of orders placed together (used by the API only)."""
        return PlacingTogether(
            self.order_statements,
            self.outbox,
            per_minute=self.settings.orders_per_minute,
            max_batch=self.settings.place_batch_max,
        )

    @cached_property
    def catalogue(self) -> CatalogueCopy:
        """This process's copy of the catalogue, for the advisory check of new orders."""
        return CatalogueCopy()
