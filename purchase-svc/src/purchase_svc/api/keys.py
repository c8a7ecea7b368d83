"""The public keys that verify ticket QR payloads (ADR 0006), for validation-svc and door devices.

Only public keys leave this service; the private keys never do. Every key still in the ring is
listed, so tickets signed before a rotation keep verifying.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from crowdify.auth import CurrentScanner
from crowdify.errors import problem_responses
from purchase_svc.api.dependencies import PurchasesDep

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"], responses=problem_responses(401, 403))


@router.get("/keys", summary="Public JWKs (OKP, Ed25519) that verify ticket QR payloads offline")
async def ticket_keys(user: CurrentScanner, purchases: PurchasesDep) -> dict[str, Any]:
    keyring = purchases.settings.ticket_keyring()
    return dict(keyring.to_jwks())
