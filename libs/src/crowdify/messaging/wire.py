"""How an envelope looks on the wire: AMQP properties and the headers Crowdify relies on."""

from __future__ import annotations

from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, HeadersType
from pydantic import ValidationError

from crowdify.messaging.envelope import Envelope

CORRELATION_ID = "x-correlation-id"
CAUSATION_ID = "x-causation-id"
REQUEST_ID = "x-request-id"
# Our own retry counter: RabbitMQ 4 no longer interprets x-death on re-published messages, and
# our retries are re-publications, not dead-letterings.
RETRY_COUNT = "x-retry-count"
LAST_ERROR = "x-last-error"
PARKED_REASON = "x-parked-reason"
PARKED_ERROR = "x-parked-error"
PARKED_AT = "x-parked-at"
ORIGINAL_ROUTING_KEY = "x-original-routing-key"

CONTENT_TYPE = "application/json"
ERROR_HEADER_LIMIT = 1000


def envelope_headers(envelope: Envelope, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Headers carrying the envelope's chain, so logs and tools can follow it without the body."""
    headers: dict[str, Any] = dict(extra or {})
    headers[CORRELATION_ID] = envelope.correlation_id
    if envelope.causation_id is not None:
        headers[CAUSATION_ID] = envelope.causation_id
    return headers


def envelope_message(envelope: Envelope, headers: dict[str, Any] | None = None) -> aio_pika.Message:
    return aio_pika.Message(
        envelope.to_json(),
        message_id=str(envelope.id),
        correlation_id=envelope.correlation_id,
        type=envelope.routing_key,
        timestamp=envelope.occurred_at,
        content_type=CONTENT_TYPE,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        headers=envelope_headers(envelope, headers),
    )


def copy_message(incoming: AbstractIncomingMessage, headers: HeadersType) -> aio_pika.Message:
    """``incoming`` as a new persistent message with ``headers``, for retries, parking and replay.

    The body and identity stay as they were: the message id is the inbox key, so a copy that
    somehow gets processed twice is still recognised.
    """
    return aio_pika.Message(
        incoming.body,
        headers=headers,
        content_type=incoming.content_type,
        content_encoding=incoming.content_encoding,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        correlation_id=incoming.correlation_id,
        message_id=incoming.message_id,
        timestamp=incoming.timestamp,
        type=incoming.type,
        app_id=incoming.app_id,
    )


def retry_count(incoming: AbstractIncomingMessage) -> int:
    value = (incoming.headers or {}).get(RETRY_COUNT, 0)
    if isinstance(value, int | str):
        try:
            return max(int(value), 0)
        except ValueError:
            pass
    return 0


def describe_error(error: BaseException) -> str:
    """One line for logs and the parking headers.

    Validation errors are described by field and problem only: pydantic's own text quotes the
    offending input, which may be personal data (names, emails, RUT) that must not reach logs.
    """
    if isinstance(error, ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or '(body)'}: {problem['msg']}"
            for problem in error.errors(include_input=False, include_url=False)
        )
        return f"ValidationError: {problems}"[:ERROR_HEADER_LIMIT]
    return f"{type(error).__name__}: {error}"[:ERROR_HEADER_LIMIT]
