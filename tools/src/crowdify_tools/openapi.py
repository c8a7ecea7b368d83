"""Write each service's OpenAPI document next to its code (``make openapi``).

The committed documents are the published contract of each service; a test fails when the code
and its document disagree, so a change to the API is always visible in review.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI

REPO_ROOT = Path(__file__).resolve().parents[3]


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
