"""GoTrue's admin API, as a project's service-role key calls it:

  GET  /auth/v1/admin/users?page=&per_page=&filter=   {"users": [...], "aud"}, X-Total-Count, Link
  GET  /auth/v1/admin/users/{id}                       the user
  PUT  /auth/v1/admin/users/{id}                       {"app_metadata", "user_metadata"} -> the user
  POST /auth/v1/invite                                 {"email", "data"} -> the new user, and the
                                                       invitation email goes out over SMTP

Only a bearer JWT signed with the project's secret whose ``role`` is ``service_role`` (or
``supabase_admin``) gets in, as in GoTrue: no token is 401, any other token 403 ``not_admin``.
"""

from __future__ import annotations

import asyncio
import secrets
import smtplib
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlencode

import jwt
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from supabase_emulator.settings import EmulatorSettings
from supabase_emulator.users import EmailTaken, UserDirectory

ADMIN_ROLES = frozenset({"service_role", "supabase_admin"})
DEFAULT_PER_PAGE = 50


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": status, "error_code": code, "msg": message}, status_code=status)


def _pagination_link(request: Request, page: int, per_page: int, total: int) -> str:
    """GoTrue's Link header: ``rel="next"`` while there is a next page, always ``rel="last"``."""
    pages = -(-total // per_page)
    query = dict(request.query_params)
    parts = []
    if pages > page:
        parts.append(f'<{request.url.path}?{urlencode({**query, "page": page + 1})}>; rel="next"')
    parts.append(f'<{request.url.path}?{urlencode({**query, "page": pages})}>; rel="last"')
    return ", ".join(parts)


def _invitation(settings: EmulatorSettings, email: str, redirect_to: str | None) -> EmailMessage:
    link = f"{settings.issuer}/verify?" + urlencode(
        {"token": secrets.token_urlsafe(16), "type": "invite", "redirect_to": redirect_to or ""}
    )
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = email
    message["Subject"] = "Te invitaron a Crowdify"
    message.set_content(
        "Hola:\n\nTe invitaron a crear una cuenta en Crowdify. Para aceptar la invitación, "
        f"abre este enlace:\n\n{link}\n"
    )
    return message


def _send(settings: EmulatorSettings, message: EmailMessage) -> None:
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)


def install_admin_api(app: FastAPI, settings: EmulatorSettings, users: UserDirectory) -> None:
    secret = settings.supabase_jwt_secret.get_secret_value()

    def refused(request: Request) -> JSONResponse | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _error(401, "no_authorization", "This endpoint requires a Bearer token")
        try:
            claims = jwt.decode(token.strip(), secret, algorithms=["HS256"], options={"verify_aud": False})
        except jwt.PyJWTError as error:
            return _error(403, "bad_jwt", f"invalid JWT: unable to parse or verify signature, {error}")
        if claims.get("role") not in ADMIN_ROLES:
            return _error(403, "not_admin", "User not allowed")
        return None

    @app.get("/auth/v1/admin/users", response_model=None)
    async def list_users(request: Request) -> Response:
        if (refusal := refused(request)) is not None:
            return refusal
        try:
            page = int(request.query_params.get("page") or 1)
            per_page = int(request.query_params.get("per_page") or DEFAULT_PER_PAGE)
            if per_page <= 0:
                raise ValueError("per_page must be greater than 0")
        except ValueError as error:
            return _error(400, "validation_failed", f"Bad Pagination Parameters: {error}")
        search = request.query_params.get("filter") or ""
        found = sorted(
            (user for user in users.all() if not search or user.matches(search)),
            key=lambda user: user.created_at,
            reverse=True,
        )
        chosen = found[(page - 1) * per_page : page * per_page]
        return JSONResponse(
            {"users": [user.to_json() for user in chosen], "aud": "authenticated"},
            headers={
                "X-Total-Count": str(len(found)),
                "Link": _pagination_link(request, page, per_page, len(found)),
            },
        )

    def lookup(user_id: str) -> Any:
        try:
            uuid.UUID(user_id)
        except ValueError:
            return _error(400, "validation_failed", "user_id must be an UUID")
        user = users.by_id(user_id)
        return user if user is not None else _error(404, "user_not_found", "User not found")

    @app.get("/auth/v1/admin/users/{user_id}", response_model=None)
    async def get_user(user_id: str, request: Request) -> Response:
        if (refusal := refused(request)) is not None:
            return refusal
        user = lookup(user_id)
        return user if isinstance(user, Response) else JSONResponse(user.to_json())

    @app.put("/auth/v1/admin/users/{user_id}", response_model=None)
    async def update_user(user_id: str, request: Request) -> Response:
        if (refusal := refused(request)) is not None:
            return refusal
        user = lookup(user_id)
        if isinstance(user, Response):
            return user
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _error(400, "bad_json", "Could not decode admin user params")
        if isinstance(body.get("app_metadata"), dict):
            user.update_app_metadata(body["app_metadata"])
        if isinstance(body.get("user_metadata"), dict):
            user.user_metadata.update(body["user_metadata"])
            user.updated_at = datetime.now(UTC)
        return JSONResponse(user.to_json())

    @app.post("/auth/v1/invite", response_model=None)
    async def invite(request: Request) -> Response:
        if (refusal := refused(request)) is not None:
            return refusal
        try:
            body = await request.json()
        except ValueError:
            body = None
        email = body.get("email") if isinstance(body, dict) else None
        if not isinstance(email, str) or "@" not in email:
            return _error(400, "validation_failed", "Unable to validate email address: invalid format")
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        try:
            user = users.add(email=email, password=secrets.token_urlsafe(24), user_metadata=data)
        except EmailTaken:
            return _error(422, "email_exists", "A user with this email address has already been registered")
        user.invited_at = datetime.now(UTC)
        message = _invitation(settings, user.email, request.query_params.get("redirect_to"))
        await asyncio.to_thread(_send, settings, message)
        return JSONResponse(user.to_json())
