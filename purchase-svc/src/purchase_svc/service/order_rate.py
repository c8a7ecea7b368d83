"""Orders per buyer per minute, keyed on the verified identity.

The edge's limit (nginx ``limit_req``) runs before the token is verified, so it can only key on
what the client sent. Here the key is the token's ``sub``: no spelling of the Authorization header
and no second session of the same account buys another allowance. The count is the buyer's own
orders of the last minute, counted by the statement that places the next one (a sliding window,
no extra store; ``adapters/order_statements.py``).
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Final

from crowdify.errors import ProblemError

WINDOW: Final = timedelta(minutes=1)


class TooManyOrders(ProblemError):
    status, code = 429, "rate_limited"


def refuse_over_rate(placed: int, oldest_age: float | None, per_minute: int) -> None:
    """Refuse (429 with Retry-After) a buyer who placed ``per_minute`` orders in the last minute;
    ``placed`` and ``oldest_age`` (seconds since the oldest of them) describe that minute."""
    if placed < per_minute:
        return
    retry_after = max(1, math.ceil(WINDOW.total_seconds() - float(oldest_age or 0)))
    raise TooManyOrders(
        f"Too many orders: at most {per_minute} a minute per buyer",
        headers={"Retry-After": str(retry_after)},
    )
