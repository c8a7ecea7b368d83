"""The emulator's HTTP API.

Supabase Auth surface (shapes follow GoTrue):
  GET  /auth/v1/.well-known/jwks.json        public ES256 keys (every key ever used, newest last)
  POST /auth/v1/token?grant_type=password     {"email", "password"} -> session
  POST /auth/v1/token?grant_type=refresh_token {"refresh_token"} -> session (refresh token rotates)
  POST /auth/v1/logout                        sign-out: the bearer's session's refresh tokens stop working
  GET  /auth/v1/user                          the bearer's user object
  /auth/v1/admin/users, /auth/v1/invite        the admin API a service-role key calls (admin_api.py)
The ``apikey`` header real Supabase asks for is accepted but not checked.

Test knobs (never exposed by real Supabase):
  POST /__emulator/keys/rotate   a new key becomes current; old keys stay in the JWKS
  POST /__emulator/tokens        {"email", "claims", "expires_in", "alg", "kid"} -> any token
  POST /__emulator/users         {"email", "password", "role", "user_metadata", "id"} -> user
  GET  /__emulator/users         every user
  GET  /__emulator/api-keys      legacy anon / service_role keys (HS256, iss "supabase")
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import jwt
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from supabase_emulator.admin_api import install_admin_api
from supabase_emulator.keys import KeyRing
from supabase_emulator.settings import EmulatorSettings
from supabase_emulator.tokens import Session, SigningAlgorithm, TokenService
from supabase_emulator.users import SEED_PASSWORD, EmailTaken, User, UserDirectory


class TokenRequest(BaseModel):
    email: str
    # Top-level claims to set on top of the real claim set; a null value removes the claim.
    claims: dict[str, Any] = Field(default_factory=dict)
    expires_in: int | None = None  # negative: already expired
    alg: SigningAlgorithm = "ES256"
    kid: str | None = None  # put another kid in the header (the signature is still the current key's)


class NewUser(BaseModel):
    email: str
    password: str = SEED_PASSWORD
    role: str | None = None  # stored as app_metadata.role
    user_metadata: dict[str, Any] = Field(default_factory=dict)
    id: str | None = None


def auth_error(status: int, error: str, description: str, error_code: str) -> JSONResponse:
    """GoTrue's error body: the OAuth pair older clients read plus the newer code/msg pair."""
    return JSONResponse(
        {"error": error, "error_description": description, "error_code": error_code, "msg": description},
        status_code=status,
    )


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def session_claims(request: Request, tokens: TokenService) -> dict[str, Any] | JSONResponse:
    """The claims of the request's bearer token, or GoTrue's answer when it has none or a bad one."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials:
        return auth_error(401, "unauthorized", "This endpoint requires a Bearer token", "no_authorization")
    try:
        return tokens.verify(credentials.strip())
    except jwt.PyJWTError as exc:
        return auth_error(403, "bad_jwt", f"invalid JWT: {exc}", "bad_jwt")


def create_app(settings: EmulatorSettings | None = None) -> FastAPI:
    settings = settings or EmulatorSettings()
    keys = KeyRing(settings.signing_key_path)
    users = UserDirectory()
    tokens = TokenService(settings, keys)

    app = FastAPI(
        title="Supabase Auth emulator",
        docs_url="/__emulator/docs",
        openapi_url="/__emulator/openapi.json",
    )

    def session_response(user: User, session: Session) -> dict[str, Any]:
        claims = tokens.claims(user, session)
        return {
            "access_token": tokens.sign(claims),
            "token_type": "bearer",
            "expires_in": settings.access_token_ttl_seconds,
            "expires_at": claims["exp"],
            "refresh_token": tokens.new_refresh_token(session),
            "user": user.to_json(),
        }

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/auth/v1/.well-known/jwks.json")
    async def jwks() -> dict[str, Any]:
        return keys.jwks()

    @app.post("/auth/v1/token", response_model=None)
    async def token(request: Request, grant_type: str | None = None) -> dict[str, Any] | JSONResponse:
        body = await _json_object(request)
        if grant_type == "password":
            email, password = body.get("email"), body.get("password")
            if not isinstance(email, str) or not isinstance(password, str):
                return auth_error(400, "invalid_request", "missing email or password", "validation_failed")
            user = users.by_email(email)
            if user is None or not user.password_matches(password):
                return auth_error(400, "invalid_grant", "Invalid login credentials", "invalid_credentials")
            user.last_sign_in_at = datetime.now(UTC)
            return session_response(user, tokens.start_session(user))
        if grant_type == "refresh_token":
            refresh_token = body.get("refresh_token")
            session = tokens.use_refresh_token(refresh_token) if isinstance(refresh_token, str) else None
            user = users.by_id(session.user_id) if session else None
            if session is None or user is None:
                return auth_error(
                    400,
                    "invalid_grant",
                    "Invalid Refresh Token: Refresh Token Not Found",
                    "refresh_token_not_found",
                )
            return session_response(user, session)
        return auth_error(
            400, "unsupported_grant_type", f"unsupported grant_type {grant_type!r}", "validation_failed"
        )

    @app.post("/auth/v1/logout", status_code=204, response_model=None)
    async def logout(request: Request) -> Response:
        claims = session_claims(request, tokens)
        if isinstance(claims, JSONResponse):
            return claims
        tokens.end_session(str(claims.get("session_id")))
        return Response(status_code=204)

    @app.get("/auth/v1/user", response_model=None)
    async def current_user(request: Request) -> dict[str, Any] | JSONResponse:
        claims = session_claims(request, tokens)
        if isinstance(claims, JSONResponse):
            return claims
        user = users.by_id(str(claims.get("sub")))
        if user is None:
            return auth_error(
                403, "user_not_found", "User from sub claim in JWT does not exist", "user_not_found"
            )
        return user.to_json()

    install_admin_api(app, settings, users)

    @app.post("/__emulator/keys/rotate")
    async def rotate_key() -> dict[str, Any]:
        new = keys.rotate()
        return {"kid": new.kid, "kids": keys.kids}

    @app.post("/__emulator/tokens", response_model=None)
    async def issue_token(spec: TokenRequest) -> dict[str, Any] | JSONResponse:
        user = users.by_email(spec.email)
        if user is None:
            return auth_error(404, "user_not_found", f"no user {spec.email}", "user_not_found")
        claims = tokens.claims(user, tokens.start_session(user), expires_in=spec.expires_in)
        for name, value in spec.claims.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return {"access_token": tokens.sign(claims, alg=spec.alg, kid=spec.kid), "claims": claims}

    @app.post("/__emulator/users", status_code=201, response_model=None)
    async def add_user(spec: NewUser) -> dict[str, Any] | JSONResponse:
        try:
            user = users.add(
                email=spec.email,
                password=spec.password,
                app_role=spec.role,
                user_metadata=spec.user_metadata,
                user_id=spec.id,
            )
        except EmailTaken:
            description = "A user with this email address has already been registered"
            return auth_error(422, "email_exists", description, "email_exists")
        return user.to_json()

    @app.get("/__emulator/users")
    async def list_users() -> list[dict[str, Any]]:
        return [user.to_json() for user in users.all()]

    @app.get("/__emulator/api-keys")
    async def api_keys() -> dict[str, str]:
        kinds: tuple[Literal["anon", "service_role"], ...] = ("anon", "service_role")
        return {kind: tokens.api_key(kind) for kind in kinds}

    return app
