"""The emulator's HTTP app: ``POST /v3/mail/send`` as SendGrid answers it, and ``/__emulator/``
to read the accepted messages (newest last) and to switch a simulated outage on and off."""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from sendgrid_emulator.settings import EmulatorSettings
from sendgrid_emulator.validation import error, mail_send_errors


@dataclass
class Mailbox:
    """What the emulator accepted, and whether it is pretending to be down."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    outage_status: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accept(self, body: dict[str, Any], api_key: str, user_agent: str | None) -> str:
        message_id = secrets.token_urlsafe(16)
        with self.lock:
            self.messages.append(
                {
                    "id": message_id,
                    "received_at": datetime.now(UTC).isoformat(),
                    "api_key_suffix": api_key[-4:],
                    "user_agent": user_agent,
                    "body": body,
                }
            )
        return message_id

    def sent_to(self, address: str | None) -> list[dict[str, Any]]:
        with self.lock:
            found = list(self.messages)
        if address is None:
            return found
        wanted = address.lower()
        return [
            m
            for m in found
            if any(
                str(r.get("email", "")).lower() == wanted
                for p in m["body"].get("personalizations", [])
                for r in p.get("to", [])
            )
        ]


def _errors(status: int, *problems: dict[str, Any]) -> JSONResponse:
    return JSONResponse({"errors": list(problems)}, status_code=status)


class Outage(BaseModel):
    enabled: bool = True
    status: int = 503


def create_app(settings: EmulatorSettings | None = None) -> FastAPI:
    settings = settings or EmulatorSettings()
    mailbox = Mailbox()
    app = FastAPI(
        title="SendGrid emulator", docs_url="/__emulator/docs", openapi_url="/__emulator/openapi.json"
    )
    app.state.mailbox = mailbox

    @app.post("/v3/mail/send")
    async def mail_send(request: Request) -> Response:
        authorization = request.headers.get("authorization", "")
        scheme, _, api_key = authorization.partition(" ")
        if not authorization:
            return _errors(401, error("authorization required", None))
        if scheme.lower() != "bearer" or api_key not in settings.accepted_keys:
            return _errors(
                401, error("The provided authorization grant is invalid, expired, or revoked", None)
            )
        if mailbox.outage_status is not None:
            return _errors(mailbox.outage_status, error("Service Unavailable", None))
        raw = await request.body()
        if len(raw) >= settings.max_message_bytes:
            return _errors(413, error("Payload Too Large", None))
        try:
            body = json.loads(raw)
        except ValueError:
            return _errors(400, error("Bad Request", None))
        problems = mail_send_errors(body)
        if problems:
            return _errors(400, *problems)
        sandbox = body.get("mail_settings", {}).get("sandbox_mode", {}).get("enable") is True
        if sandbox:
            # Validated, not sent: SendGrid answers 200 (not 202) in sandbox mode.
            return Response(status_code=200)
        message_id = mailbox.accept(body, api_key, request.headers.get("user-agent"))
        return Response(status_code=202, headers={"X-Message-Id": message_id})

    @app.get("/__emulator/messages")
    async def messages(to: str | None = None) -> dict[str, Any]:
        return {"messages": mailbox.sent_to(to)}

    @app.delete("/__emulator/messages", status_code=204)
    async def forget() -> Response:
        with mailbox.lock:
            mailbox.messages.clear()
        return Response(status_code=204)

    @app.post("/__emulator/outage")
    async def outage(body: Outage) -> dict[str, Any]:
        mailbox.outage_status = body.status if body.enabled else None
        return {"outage_status": mailbox.outage_status}

    return app
