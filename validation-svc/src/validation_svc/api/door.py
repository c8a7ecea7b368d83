"""The door's hot routes, kept thin: scan and offline sync.

Bodies are decoded and checked by msgspec in one pass and answers are the JSON text the
database function wrote, sent as they are: no pydantic model, no ORM and no re-encoding between
the socket and the one statement that decides (docs/adr/0014-door-scan-in-one-statement.md).
The token is verified by the shared verifier (cached per process while it is valid), called
directly rather than through FastAPI's dependency chain; the door device's revocation is checked
inside the deciding statement.

Wiring: ``app.include_router(door.router)``, and the scan's own lane through the app
(``crowdify.route_lane``, installed by ``main.create_app``); uses ``app.state.door``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from crowdify.auth import DOOR_ROLES, Principal, authorize
from crowdify.errors import ProblemError, Unauthorized, problem_responses
from validation_svc.adapters.door_statements import DeviceRevoked, ScanIdReused
from validation_svc.service.devices import check_event_scope, device_of
from validation_svc.service.scanning import OfflineScan, Scanner, ScanRequest, Synchronizer

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/validation", tags=["validation"])
SCAN_PATH = f"{router.prefix}/scan"

# No NUL (PostgreSQL text cannot hold it) in anything stored.
_TEXT = "^[^\x00]*$"
Label = Annotated[str, msgspec.Meta(max_length=64, pattern=_TEXT)]
ScanId = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=_TEXT)]
QrPayload = Annotated[str, msgspec.Meta(max_length=512)]


class ScanIn(msgspec.Struct, frozen=True):
    qr_payload: QrPayload
    event_id: uuid.UUID
    gate: Label | None = None
    device_id: Label | None = None
    direction: Literal["in", "out"] = "in"
    # The client's id for this scan: a retry with the same id gets the same answer.
    scan_id: ScanId | None = None


class OfflineScanIn(msgspec.Struct, frozen=True):
    scan_id: ScanId
    qr_payload: QrPayload
    scanned_at: Annotated[datetime, msgspec.Meta(tz=True)]
    gate: Label | None = None
    direction: Literal["in", "out"] = "in"
    local_result: Annotated[str, msgspec.Meta(max_length=16, pattern=_TEXT)] | None = None


class SyncIn(msgspec.Struct, frozen=True):
    device_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=_TEXT)]
    event_id: uuid.UUID
    scans: Annotated[list[OfflineScanIn], msgspec.Meta(max_length=5000)]


# Response models: for the OpenAPI document only (the database writes the answers).
class ChildOut(BaseModel):
    nombre: str


class ScannedTicket(BaseModel):
    id: uuid.UUID
    ticket_type: str | None
    ticket_type_id: uuid.UUID
    holder_name: str
    child: ChildOut | None = None


class ScanOut(BaseModel):
    result: Literal["admitted", "already_used", "invalid", "revoked", "wrong_event", "exited", "not_inside"]
    ticket: ScannedTicket | None
    first_entry_at: str | None
    first_entry_gate: str | None
    message: str


class SyncResult(BaseModel):
    scan_id: str
    result: str
    conflict: bool
    first_entry_at: str | None
    first_entry_gate: str | None


class SyncOut(BaseModel):
    results: list[SyncResult]


@dataclass(frozen=True)
class Door:
    """What the door routes need, put on ``app.state.door`` at start-up."""

    scanner: Scanner
    synchronizer: Synchronizer


Body = TypeVar("Body", bound=msgspec.Struct)


def _inline(node: Any, definitions: dict[str, Any]) -> Any:
    """``node`` with every ``$ref`` to ``definitions`` replaced by the definition itself."""
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(definitions[node["$ref"].rsplit("/", 1)[1]], definitions)
        return {key: _inline(value, definitions) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(value, definitions) for value in node]
    return node


def _request_body(struct: type[msgspec.Struct]) -> dict[str, Any]:
    """The OpenAPI request body of a route that decodes ``struct`` itself."""
    schema = msgspec.json.schema(struct)
    body = _inline(schema, schema.pop("$defs", {}))
    return {
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        # The token is checked by crowdify.auth.authorize, as by the role dependencies elsewhere.
        "security": [{"HTTPBearer": []}],
    }


async def _decode(request: Request, struct: type[Body]) -> Body:
    try:
        return msgspec.json.decode(await request.body(), type=struct)
    except msgspec.ValidationError as exc:
        raise ProblemError(
            "The request has invalid fields",
            status=422,
            code="validation_error",
            errors=[{"field": "body", "message": str(exc), "type": "validation"}],
        ) from None
    except msgspec.DecodeError as exc:
        raise ProblemError(
            "The request body is not valid JSON",
            status=422,
            code="validation_error",
            errors=[{"field": "body", "message": str(exc), "type": "json"}],
        ) from None


def _door(request: Request) -> Door:
    door = getattr(request.app.state, "door", None)
    if not isinstance(door, Door):
        raise RuntimeError("app.state.door is not set")
    return door


@contextmanager
def _door_errors(caller: Principal, event_id: uuid.UUID) -> Iterator[None]:
    """The statements' refusals as problems: a revoked device (401), a reused scan_id (409)."""
    try:
        yield
    except DeviceRevoked:
        raise Unauthorized("This device token was revoked", reason="device_revoked") from None
    except ScanIdReused as exc:
        # Ids only: who sent it (a device or a person's account id), for which event, which scan.
        log.warning(
            "scan_id reused for another scan",
            extra={"scan_id": exc.scan_id, "event_id": str(event_id), "caller": caller.user_id},
        )
        raise ProblemError(
            "This scan_id was already used for another ticket, event or direction",
            status=409,
            code="scan_id_reused",
            scan_id=exc.scan_id,
        ) from None


def _json(content: bytes) -> Response:
    return Response(content, media_type="application/json")


@router.post(
    "/scan",
    response_model=ScanOut,
    summary="Decide one scan at the door: exactly one of any number of concurrent scans is admitted",
    responses=problem_responses(401, 403, 409, 422),
    openapi_extra=_request_body(ScanIn),
)
async def scan(request: Request) -> Response:
    scanner = await authorize(request, DOOR_ROLES)
    body = await _decode(request, ScanIn)
    check_event_scope(scanner, body.event_id)
    with _door_errors(scanner, body.event_id):
        answer = await _door(request).scanner.scan(
            ScanRequest(
                qr_payload=body.qr_payload,
                event_id=body.event_id,
                direction=body.direction,
                gate=body.gate,
                device_id=body.device_id,
                scan_id=body.scan_id,
            ),
            scanner=scanner.user_id,
            device=device_of(scanner),
        )
    return _json(answer)


@router.post(
    "/sync",
    response_model=SyncOut,
    summary="Upload scans made offline: each gets the authoritative verdict (the earliest scan wins)",
    responses=problem_responses(401, 403, 409, 422),
    openapi_extra=_request_body(SyncIn),
)
async def sync(request: Request) -> Response:
    scanner = await authorize(request, DOOR_ROLES)
    body = await _decode(request, SyncIn)
    check_event_scope(scanner, body.event_id)
    batch = [
        OfflineScan(
            scan_id=item.scan_id,
            qr_payload=item.qr_payload,
            direction=item.direction,
            scanned_at=item.scanned_at,
            gate=item.gate,
            local_result=item.local_result,
        )
        for item in body.scans
    ]
    with _door_errors(scanner, body.event_id):
        answers = await _door(request).synchronizer.sync(
            body.event_id, body.device_id, batch, scanner.user_id, device=device_of(scanner)
        )
    return _json(b'{"results":[' + b",".join(answers) + b"]}")
