"""Errors the purchase use cases raise; the API shows them as problem+json."""

from __future__ import annotations

from crowdify.errors import Conflict, NotFound, ProblemError


class OrderNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such order")


class InvalidOrder(ProblemError):
    status, code = 422, "validation_error"


class HoldLimitExceeded(Conflict):
    """event-svc refused the hold: the buyer already holds the event's cap of unpaid tickets."""

    code = "hold_limit_exceeded"


class OrderNotCancellable(Conflict):
    code = "invalid_status_transition"
