"""Request and correlation ids for the current task, read by the log formatter and the messaging
layer (which carries them across RabbitMQ in message headers)."""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
correlation_id_var: ContextVar[str | None] = ContextVar("correlation_id", default=None)


class WaitedOnPurpose:
    """Seconds a request spent waiting by design (for another service's decision, up to the
    ``wait`` its client asked for): not slowness of its own. Shared by the request's tasks."""

    def __init__(self) -> None:
        self.seconds = 0.0


waited_on_purpose_var: ContextVar[WaitedOnPurpose | None] = ContextVar("waited_on_purpose", default=None)


def waited_on_purpose(seconds: float) -> None:
    """Count ``seconds`` of the current request as waited on purpose (nothing outside a request)."""
    waited = waited_on_purpose_var.get()
    if waited is not None:
        waited.seconds += seconds


REQUEST_ID_HEADER = "X-Request-ID"
CORRELATION_ID_HEADER = "X-Correlation-ID"
