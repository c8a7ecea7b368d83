"""How the routes reach the use cases: the app holds the :class:`Services` the composition root
built at start-up, and these dependencies hand out its parts."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request

from purchase_svc.composition import Services
from purchase_svc.service.context import Purchases
from purchase_svc.service.payments import PaymentSync


def install_services(app: FastAPI, services: Services) -> None:
    app.state.services = services


# The dependencies are coroutines so FastAPI calls them on the event loop, not in its thread pool.
def services_of(request: Request) -> Services:
    services = getattr(request.app.state, "services", None)
    if not isinstance(services, Services):
        raise RuntimeError("app.state.services is not set: install_services() at start-up")
    return services


async def get_purchases(request: Request) -> Purchases:
    return services_of(request).purchases


async def get_payment_sync(request: Request) -> PaymentSync:
    return services_of(request).payment_sync


PurchasesDep = Annotated[Purchases, Depends(get_purchases)]
PaymentSyncDep = Annotated[PaymentSync, Depends(get_payment_sync)]
