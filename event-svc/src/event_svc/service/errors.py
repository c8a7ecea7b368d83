"""Errors the catalogue use cases raise; the API layer shows them as problem+json."""

from __future__ import annotations

from crowdify.errors import Conflict, NotFound, ProblemError


class EventNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such event")


class TicketTypeNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such ticket type")


class InvalidTransition(Conflict):
    code = "invalid_status_transition"


class CapacityBelowCommitted(Conflict):
    code = "capacity_below_committed"


class EventNotEditable(Conflict):
    code = "event_cancelled"


class InvalidSchedule(ProblemError):
    status, code = 422, "validation_error"


class MixedCurrencies(ProblemError):
    """An event sells in one currency, so that no order can add up amounts in two."""

    status, code = 422, "mixed_currencies"
