"""Which public path goes to which service, and which limits apply (docs/api.md is the source).

The renderer turns this table into nginx ``location`` blocks. A route whose service is not in
``GATEWAY_SERVICES`` still exists: it answers 503 problem+json instead of a bare nginx 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

LimitZone = Literal["purchase", "scan", "token", "webhook"]


@dataclass(frozen=True)
class Route:
    """``match`` is an nginx location argument: ``= /exact``, ``/prefix/`` or ``~ regex``."""

    match: str
    service: str
    limit: LimitZone | None = None
    # A larger body than GATEWAY_CLIENT_MAX_BODY_SIZE, for the one route that needs it.
    max_body: str | None = None


ROUTES: tuple[Route, ...] = (
    # Catalogue (event-svc). GET of the list and of one event are public; see the nginx map.
    Route("= /api/v1/events", "event-svc"),
    Route("/api/v1/events/", "event-svc"),
    # Orders and tickets (purchase-svc); the documents of both live in pdf-svc.
    Route("= /api/v1/purchases", "purchase-svc", limit="purchase"),
    Route("= /api/v1/purchases/webhook", "purchase-svc", limit="webhook"),
    Route("/api/v1/purchases/", "purchase-svc"),
    Route("~ ^/api/v1/purchases/[^/]+/pdf$", "pdf-svc"),
    Route("= /api/v1/tickets", "purchase-svc"),
    Route("/api/v1/tickets/", "purchase-svc"),
    Route("~ ^/api/v1/tickets/[^/]+/pdf$", "pdf-svc"),
    # Door validation (validation-svc): scans and offline sync are the hot, abusable endpoints;
    # devices mints scanner tokens, so it is limited like a login.
    Route("/api/v1/validation/", "validation-svc"),
    Route("= /api/v1/validation/scan", "validation-svc", limit="scan"),
    # A device's offline backlog: up to 5,000 scans (validation-svc's limit), a few hundred bytes
    # each.
    Route("= /api/v1/validation/sync", "validation-svc", limit="scan", max_body="4m"),
    Route("= /api/v1/validation/devices", "validation-svc", limit="token"),
    # Notifications (notification-svc).
    Route("= /api/v1/notifications", "notification-svc"),
    Route("/api/v1/notifications/", "notification-svc"),
    # Administration: users and roles, dashboards, exports (admin-svc).
    Route("/api/v1/admin/", "admin-svc"),
)

# Known services in a stable order, for /ready and the defaults.
KNOWN_SERVICES: tuple[str, ...] = (
    "event-svc",
    "purchase-svc",
    "validation-svc",
    "notification-svc",
    "pdf-svc",
    "admin-svc",
)
