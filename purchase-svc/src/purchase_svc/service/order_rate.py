"""Orders per buyer per minute, keyed on the verified identity.

The edge's limit (nginx ``limit_req``) runs before the token is verified, so it can only key on
what the client sent. Here the key is the token's ``sub``: no spelling of the Authorization header
and no second session of the same account buys another allowance. The count is the buyer's own
orders of the last minute, read in the transaction that places the next one (a sliding window,
no extra store).
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Final

from sqlalchemy import func, select

from crowdify.db import UnitOfWork
from crowdify.errors import ProblemError
from purchase_svc.adapters.tables import orders

WINDOW: Final = timedelta(minutes=1)


class TooManyOrders(ProblemError):
    status, code = 429, "rate_limited"


async def check_order_rate(uow: UnitOfWork, user_id: str, per_minute: int) -> None:
    """Refuse (429 with Retry-After) a buyer who placed ``per_minute`` orders in the last minute."""
    since = func.now() - WINDOW
    placed, oldest_age = (
        await uow.session.execute(
            select(
                func.count(),
                func.extract("epoch", func.now() - func.min(orders.c.created_at)),
            ).where(orders.c.user_id == user_id, orders.c.created_at > since)
        )
    ).one()
    if placed < per_minute:
        return
    retry_after = max(1, math.ceil(WINDOW.total_seconds() - float(oldest_age or 0)))
    raise TooManyOrders(
        f"Too many orders: at most {per_minute} a minute per buyer",
        headers={"Retry-After": str(retry_after)},
    )
