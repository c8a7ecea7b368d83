"""Write each service's OpenAPI document next to its code (``make openapi``).

The committed documents are the published contract of each service; a test fails when the code
and its document disagree, so a change to the API is always visible in review.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI

REPO_ROOT = Path(__file__).resolve().parents[3]
# Every service that publishes an OpenAPI document next to its code.
SERVICES = tuple(sorted(path.parent.name for path in REPO_ROOT.glob("*-svc/openapi.json")))
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Operation:
    """One public API operation as a service's committed OpenAPI document publishes it."""

    service: str
    method: str  # upper case
    path: str
    summary: str
    statuses: tuple[str, ...]  # every answer the document declares, sorted


def committed_document(service: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((REPO_ROOT / service / "openapi.json").read_text())
    return document


def committed_operations() -> list[Operation]:
    """Every ``/api/`` operation of every service, from the committed documents (the contract)."""
    return [
        Operation(
            service, method.upper(), path, operation.get("summary", ""), tuple(sorted(operation["responses"]))
        )
        for service in SERVICES
        for path, item in committed_document(service)["paths"].items()
        if path.startswith("/api/")
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def service_apps() -> dict[str, FastAPI]:
    from admin_svc.main import create_app as admin_app
    from event_svc.main import create_app as event_app
    from notification_svc.main import create_app as notification_app
    from pdf_svc.main import create_app as pdf_app
    from purchase_svc.main import create_app as purchase_app
    from validation_svc.main import create_app as validation_app

    return {
        "event-svc": event_app(),
        "purchase-svc": purchase_app(),
        "validation-svc": validation_app(),
        "notification-svc": notification_app(),
        "pdf-svc": pdf_app(),
        "admin-svc": admin_app(),
    }


def render(app: FastAPI) -> str:
    document: dict[str, Any] = app.openapi()
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    for service, app in service_apps().items():
        path = REPO_ROOT / service / "openapi.json"
        path.write_text(render(app))
        print(f"wrote {path.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
