"""FastAPI dependencies of the purchases API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from purchase_svc.service.context import Purchases


async def get_purchases(request: Request) -> Purchases:
    purchases: Purchases = request.app.state.purchases
    return purchases


PurchasesDep = Annotated[Purchases, Depends(get_purchases)]
