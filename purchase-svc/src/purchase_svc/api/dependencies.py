"""How the routes reach the use cases: the app holds the :class:`Purchases` the composition root
built at start-up (``composition.py``), and this one dependency hands it out."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request

from purchase_svc.service.context import Purchases


def install_purchases(app: FastAPI, purchases: Purchases) -> None:
    app.state.purchases = purchases


# A coroutine, so FastAPI calls it on the event loop rather than in its thread pool.
async def get_purchases(request: Request) -> Purchases:
    purchases = getattr(request.app.state, "purchases", None)
    if not isinstance(purchases, Purchases):
        raise RuntimeError("app.state.purchases is not set: install_purchases() at start-up")
    return purchases


PurchasesDep = Annotated[Purchases, Depends(get_purchases)]
