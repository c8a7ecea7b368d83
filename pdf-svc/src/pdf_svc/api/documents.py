"""Ticket document routes (docs/api.md "Ticket documents"): a ticket's PDF, an order's PDF.

Wiring: ``app.include_router(documents.router)``; uses ``app.state.documents``. The bytes are
streamed from object storage through this service (the storage host is not public), never
buffered whole.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from crowdify.auth.dependencies import CurrentUser
from crowdify.db import UnitOfWorkFactory
from crowdify.errors import ProblemError, problem_responses
from pdf_svc.adapters.storage import PDF, DocumentMissing, DocumentStore, StorageUnavailable
from pdf_svc.service.reading import Located, order_document, ticket_document

log = logging.getLogger(__name__)

router = APIRouter(tags=["ticket documents"], responses=problem_responses(401, 404, 410, 503))

PDF_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {PDF: {"schema": {"type": "string", "format": "binary"}}},
        "description": "The PDF, streamed",
    }
}


@dataclass(frozen=True)
class Documents:
    """What the routes need, put on ``app.state.documents`` at start-up."""

    uow_factory: UnitOfWorkFactory
    store: DocumentStore


async def _documents(request: Request) -> Documents:
    documents = getattr(request.app.state, "documents", None)
    if not isinstance(documents, Documents):
        raise RuntimeError("app.state.documents is not set")
    return documents


DocumentsDep = Annotated[Documents, Depends(_documents)]


async def _stream(documents: Documents, located: Located, filename: str) -> StreamingResponse:
    try:
        stored = await documents.store.open(located.key)
    except StorageUnavailable as error:
        log.warning("object storage unavailable for %s: %s", located.key, error)
        raise ProblemError(
            "Ticket documents cannot be read right now; try again shortly",
            status=503,
            code="storage_unavailable",
            headers={"Retry-After": "10"},
        ) from error
    except DocumentMissing as error:
        # Recorded but not in the bucket: an operator re-renders it (python -m pdf_svc.rerender).
        log.error("document %s is recorded but missing from object storage", located.key)
        raise ProblemError(
            "This document is being prepared again; try again later",
            status=503,
            code="document_unavailable",
        ) from error
    return StreamingResponse(
        stored.chunks,
        media_type=PDF,
        headers={
            "Content-Length": str(stored.size or located.size),
            "Content-Disposition": f'inline; filename="{filename}"',
            "ETag": f'"{located.sha256}"',
            # A ticket's QR code lets its bearer in: no shared cache may keep it.
            "Cache-Control": "private, no-store",
        },
    )


@router.get(
    "/api/v1/tickets/{ticket_id}/pdf",
    summary="A ticket's PDF (one page)",
    response_class=StreamingResponse,
    responses=PDF_RESPONSE,
)
async def get_ticket_pdf(
    ticket_id: uuid.UUID, principal: CurrentUser, documents: DocumentsDep
) -> StreamingResponse:
    """Owner or admin. Another user's ticket is `404`; a refunded or cancelled ticket `410`
    (`ticket_revoked`)."""
    located = await ticket_document(documents.uow_factory, ticket_id, principal)
    return await _stream(documents, located, f"entrada-{ticket_id}.pdf")


@router.get(
    "/api/v1/purchases/{order_id}/pdf",
    summary="An order's tickets in one PDF (a page per ticket)",
    response_class=StreamingResponse,
    responses=PDF_RESPONSE,
)
async def get_order_pdf(
    order_id: uuid.UUID, principal: CurrentUser, documents: DocumentsDep
) -> StreamingResponse:
    """Owner or admin. Pages for the order's valid tickets; `410` (`order_revoked`) when none
    is left."""
    located = await order_document(documents.uow_factory, order_id, principal)
    return await _stream(documents, located, f"entradas-{order_id}.pdf")
