"""FastAPI dependencies: who is calling, and may they.

Identity comes only from the ``Authorization: Bearer`` token, verified by the
:class:`~crowdify.auth.verifier.TokenVerifier` in ``app.state.token_verifier``. Headers such as
``X-User-Id`` are never read: anybody can send them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from crowdify.auth.errors import AuthError
from crowdify.auth.principal import Principal, Role
from crowdify.auth.verifier import TokenVerifier
from crowdify.errors import Forbidden, ProblemError, Unauthorized

# auto_error=False: the checks below decide between "no credentials" and "bad credentials";
# the scheme still shows up in the OpenAPI document.
_bearer = HTTPBearer(auto_error=False, description="Supabase access token or Crowdify backend token")


def _verifier(request: Request) -> TokenVerifier:
    verifier = getattr(request.app.state, "token_verifier", None)
    if not isinstance(verifier, TokenVerifier):
        raise RuntimeError("app.state.token_verifier is not set: create a TokenVerifier at start-up")
    return verifier


async def get_optional_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    """The caller, or ``None`` without an Authorization header; a bad token is still ``401``."""
    if credentials is None:
        if request.headers.get("authorization") is None:
            return None
        raise Unauthorized("The Authorization header must be 'Bearer <token>'", reason="malformed")
    return await _verified(request, credentials.credentials)


async def authenticate(request: Request) -> Principal:
    """What ``get_current_user`` checks, for a hot route that declares no dependencies (the
    on-sale's order): the same header rules, the same verifier, the same answers."""
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    if not scheme:
        raise Unauthorized()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("The Authorization header must be 'Bearer <token>'", reason="malformed")
    return await _verified(request, token)


async def authorize(request: Request, roles: frozenset[Role]) -> Principal:
    """What ``require_roles(*roles)`` checks, for a hot route that declares no dependencies (the
    door's scan)."""
    principal = await authenticate(request)
    if principal.role not in roles:
        raise Forbidden()
    return principal


async def _verified(request: Request, token: str) -> Principal:
    try:
        return await _verifier(request).verify(token)
    except AuthError as exc:
        if exc.reason == "jwks_unavailable":
            # Our problem, not the caller's: a 401 would make clients throw away a good session.
            raise ProblemError(
                "Cannot check the token right now", status=503, code="auth_unavailable"
            ) from exc
        raise Unauthorized(f"Invalid bearer token ({exc.reason})", reason=exc.reason) from exc


async def get_current_user(
    principal: Annotated[Principal | None, Depends(get_optional_user)],
) -> Principal:
    """Any authenticated caller, whatever the role."""
    if principal is None:
        raise Unauthorized()
    return principal


def require_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets through only callers with one of ``roles`` (``403`` otherwise)."""
    allowed = frozenset(roles)

    async def dependency(principal: Annotated[Principal, Depends(get_current_user)]) -> Principal:
        if principal.role not in allowed:
            raise Forbidden()
        return principal

    dependency.__name__ = f"require_{'_or_'.join(roles)}"
    return dependency


get_current_admin = require_roles("admin")
get_current_admin_or_coordinator = require_roles("admin", "coordinator")
DOOR_ROLES: frozenset[Role] = frozenset({"scanner", "coordinator", "admin"})
get_current_scanner = require_roles(*sorted(DOOR_ROLES))

CurrentUser = Annotated[Principal, Depends(get_current_user)]
CurrentAdmin = Annotated[Principal, Depends(get_current_admin)]
CurrentAdminOrCoordinator = Annotated[Principal, Depends(get_current_admin_or_coordinator)]
CurrentScanner = Annotated[Principal, Depends(get_current_scanner)]
OptionalUser = Annotated[Principal | None, Depends(get_optional_user)]
