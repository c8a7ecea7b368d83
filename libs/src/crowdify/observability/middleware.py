"""Pure-ASGI middleware: request id in and out, correlation id, access log and latency metric.

Every request is measured (the latency histogram); the access log line is written for every
error (status 400 and above), every slow request and a sampled share of the rest
(``access_log_sample``, 1.0 by default: all of them). On a hot path such as the door's scans a
formatted JSON line per request costs more than the request itself, so that service samples.
A request is slow when it took more than :data:`SLOW_SECONDS` besides the time it waited on
purpose (an order waiting for its hold decision, up to the ``wait`` its client asked for: see
:func:`crowdify.observability.context.waited_on_purpose`); the line carries both times.
"""

from __future__ import annotations

import logging
import random
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crowdify.asgi import header
from crowdify.observability.context import (
    CORRELATION_ID_HEADER,
    REQUEST_ID_HEADER,
    WaitedOnPurpose,
    correlation_id_var,
    request_id_var,
    waited_on_purpose_var,
)
from crowdify.observability.metrics import REQUEST_LATENCY

log = logging.getLogger("crowdify.access")

# A client-sent id is echoed only if it looks like an id: it ends up in logs and headers.
_SANE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def _sane_id(scope: Scope, name: bytes) -> str | None:
    text = header(scope, name)
    return text if text is not None and _SANE_ID.match(text) else None


# A request slower than this is always logged, sampled or not.
SLOW_SECONDS = 1.0


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, access_log_sample: float = 1.0) -> None:
        self.app = app
        self.access_log_sample = access_log_sample

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _sane_id(scope, b"x-request-id") or uuid.uuid4().hex
        correlation_id = _sane_id(scope, b"x-correlation-id") or request_id
        rid_token = request_id_var.set(request_id)
        cid_token = correlation_id_var.set(correlation_id)
        waited = WaitedOnPurpose()
        waited_token = waited_on_purpose_var.set(waited)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.lower().encode(), request_id.encode()))
                headers.append((CORRELATION_ID_HEADER.lower().encode(), correlation_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            REQUEST_LATENCY.labels(scope.get("method", ""), template, str(status)).observe(elapsed)
            if template not in ("/health", "/metrics") and (
                status >= 400
                or elapsed - waited.seconds >= SLOW_SECONDS
                or random.random() < self.access_log_sample
            ):
                log.info(
                    "request",
                    extra={
                        "method": scope.get("method"),
                        "route": template,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                        "waited_ms": round(waited.seconds * 1000, 2),
                    },
                )
            waited_on_purpose_var.reset(waited_token)
            request_id_var.reset(rid_token)
            correlation_id_var.reset(cid_token)
