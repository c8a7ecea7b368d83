"""``POST /api/v1/purchases/webhook``: Mercado Pago's notifications (no JWT).

Two formats arrive (docs/integrations.md 1.5):

- **Webhooks** (format A): ``?data.id=<id>&type=payment``, JSON body, ``x-signature`` and
  ``x-request-id`` headers. The signature is checked (``adapters/signature.py``); a bad or missing
  one is stored and answered ``401`` and triggers nothing.
- **Legacy IPN** (format B): ``?topic=payment&id=<id>``. It cannot be verified, so it is only a
  trigger: the payment is fetched from Mercado Pago's API either way, never read from the request,
  and only the first IPN for a payment id in a minute triggers (``service/legacy_ipn.py``).

Every notification is stored as received in ``payment_notifications`` with its verdict, and a
payment notification writes ``purchase.payment.notified.v1`` to the outbox in the same
transaction; the worker does the rest. The request does no other I/O, so it answers in
milliseconds (Mercado Pago wants 200/201 within 22 s and retries otherwise), and a crash after
the commit loses nothing.

Wiring: ``app.include_router(webhook.router)``; its dependencies come from ``api/dependencies.py``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter
from sqlalchemy import func

from crowdify.contracts.tickets import PaymentNotifiedV1
from crowdify.errors import problem_response, problem_responses
from purchase_svc.adapters.signature import verify_signature
from purchase_svc.adapters.tables import payment_notifications
from purchase_svc.api.dependencies import PurchasesDep
from purchase_svc.service.context import Purchases
from purchase_svc.service.legacy_ipn import first_legacy_ipn_in_window

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/purchases", tags=["payments"])

MAX_BODY_BYTES = 64 * 1024
_RESOURCE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
PAYMENT_TOPICS = frozenset({"payment", "payments"})


def _text(value: Any, limit: int) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text[:limit] if text else None


def _nul_free(text: str) -> str:
    # PostgreSQL text and jsonb cannot hold NUL; such input is junk, stored without it.
    return text.replace("\x00", "")


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return _nul_free(value)
    if isinstance(value, dict):
        return {_nul_free(str(k)): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


_ANY_JSON: TypeAdapter[Any] = TypeAdapter(Any)


def _read_body(raw: bytes) -> tuple[Any, str | None]:
    """The JSON body (NUL-free) and, when it is not a JSON object, why not (kept for the record)."""
    body: Any = None
    malformed: str | None = None
    if raw.strip():
        try:
            # pydantic's parser refuses nesting past 200 levels without recursing in Python:
            # json.loads met a body of 60,000 "[" at the interpreter's recursion limit, where any
            # finalizer the garbage collector ran meanwhile failed in its turn.
            body = _ANY_JSON.validate_json(raw)
        except ValueError:
            malformed = "The body is not JSON"
            body = {"_unparsed": raw[:4096].decode("utf-8", "replace")}
        else:
            if not isinstance(body, dict):
                malformed = "The body must be a JSON object"
                body = {"_unparsed": body}
    return _without_nul(body), malformed


@dataclass(frozen=True)
class _Notification:
    """A notification as received: its format (webhook, ipn or unknown) and what it names."""

    query: dict[str, str]
    body: Any
    malformed: str | None
    kind: str
    topic: str | None
    resource_id: str | None
    signed_id: str | None  # data.id in the query: what the signature covers


def _identify(query: dict[str, str], body: Any, malformed: str | None) -> _Notification:
    data = body.get("data") if isinstance(body, dict) and not malformed else None
    signed_id = query.get("data.id")
    if signed_id is not None or (isinstance(data, dict) and "id" in data):
        kind = "webhook"
        topic = _text(query.get("type"), 64) or _text(
            body.get("type") if isinstance(body, dict) else None, 64
        )
        resource_id = _text(signed_id, 64) or _text(data.get("id") if isinstance(data, dict) else None, 64)
    elif query.get("topic") is not None or query.get("id") is not None:
        kind = "ipn"
        topic = _text(query.get("topic"), 64)
        resource_id = _text(query.get("id"), 64)
    else:
        kind, topic, resource_id = "unknown", None, None
    return _Notification(query, body, malformed, kind, topic, resource_id, signed_id)


def _problem(notification: _Notification, signature_valid: bool) -> JSONResponse | None:
    """Why the notification is refused, or None when it is accepted."""
    if notification.malformed is not None:
        return problem_response(400, "bad_request", notification.malformed)
    if notification.kind == "unknown" or notification.resource_id is None:
        return problem_response(
            422, "validation_error", "A notification names its resource: ?data.id=&type= or ?topic=&id="
        )
    if not _RESOURCE_ID.match(notification.resource_id):
        return problem_response(422, "validation_error", "The resource id is not a Mercado Pago id")
    if notification.kind == "webhook" and not signature_valid:
        return problem_response(401, "invalid_signature", "The x-signature does not match this notification")
    return None


@dataclass(frozen=True)
class _Verdict:
    request_id: str | None
    x_signature: str | None
    signature_valid: bool
    problem: JSONResponse | None


async def _store(purchases: Purchases, notification: _Notification, verdict: _Verdict) -> int:
    """Store the notification with its verdict and, for an accepted payment notification, the
    outbox row that makes the worker fetch the payment; returns the stored notification's id."""
    problem, resource_id = verdict.problem, notification.resource_id
    trigger = (
        problem is None and (notification.topic or "").lower() in PAYMENT_TOPICS and resource_id is not None
    )
    async with purchases.uow_factory() as uow:
        coalesced = False
        if trigger and notification.kind == "ipn" and resource_id is not None:
            coalesced = not await first_legacy_ipn_in_window(uow, resource_id)
            trigger = not coalesced
        stored = await uow.session.execute(
            payment_notifications.insert()
            .values(
                topic=notification.topic,
                resource_id=resource_id,
                request_id=verdict.request_id,
                signature_valid=verdict.signature_valid,
                query={
                    **notification.query,
                    **({"_refused": problem.status_code} if problem is not None else {}),
                    "_format": notification.kind,
                    "_x_signature": verdict.x_signature,
                },
                # A refused notification keeps its verdict and headers, never what an unknown
                # sender put in its body.
                body=None if problem is not None else notification.body,
                # Coalesced into the window's first IPN: nothing is left to do for it.
                processed_at=func.now() if coalesced else None,
            )
            .returning(payment_notifications.c.id)
        )
        notification_id = int(stored.scalar_one())
        if trigger and resource_id is not None:
            await purchases.outbox.add(
                uow,
                PaymentNotifiedV1(
                    payment_id=resource_id,
                    topic=notification.topic or "payment",
                    notification_id=notification_id,
                    signature_valid=verdict.signature_valid,
                ),
                correlation_id=f"mp-payment-{resource_id}",
            )
    return notification_id


@router.post(
    "/webhook",
    summary="Mercado Pago notification (Webhooks or legacy IPN)",
    responses=problem_responses(400, 401, 413, 422),
)
async def mercadopago_webhook(request: Request, purchases: PurchasesDep) -> JSONResponse:
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        return problem_response(413, "payload_too_large", "The notification body is too large")
    body, malformed = _read_body(raw)
    query = {_nul_free(k): _nul_free(v) for k, v in request.query_params.items()}
    notification = _identify(query, body, malformed)

    request_id = _text(_nul_free(request.headers.get("x-request-id") or ""), 128)
    signature_valid = notification.kind == "webhook" and verify_signature(
        purchases.settings.mercadopago_webhook_secrets(),
        request.headers.get("x-signature"),
        request_id,
        notification.signed_id,
    )
    problem = _problem(notification, signature_valid)
    x_signature = _text(_nul_free(request.headers.get("x-signature") or ""), 512)
    verdict = _Verdict(request_id, x_signature, signature_valid, problem)
    notification_id = await _store(purchases, notification, verdict)
    if problem is not None:
        log.warning("Mercado Pago notification %s refused (%s)", notification_id, problem.status_code)
        return problem
    return JSONResponse({"received": True, "notification_id": notification_id}, status_code=200)
