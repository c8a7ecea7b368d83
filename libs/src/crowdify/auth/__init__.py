"""Authentication for Crowdify services: verify bearer tokens, issue backend tokens, guard routes.

Typical wiring in a service's ``main.py``::

    app.state.token_verifier = TokenVerifier(settings)      # in the lifespan; aclose() on exit

    @router.get("/api/v1/orders")
    async def list_orders(user: CurrentUser) -> ...: ...
"""

from crowdify.auth.backend_tokens import BACKEND_ISSUER, issue_backend_token, issue_device_token
from crowdify.auth.dependencies import (
    DOOR_ROLES,
    CurrentAdmin,
    CurrentAdminOrCoordinator,
    CurrentScanner,
    CurrentUser,
    OptionalUser,
    authenticate,
    authorize,
    get_current_admin,
    get_current_admin_or_coordinator,
    get_current_scanner,
    get_current_user,
    get_optional_user,
    require_roles,
)
from crowdify.auth.errors import AuthError, AuthReason
from crowdify.auth.jwks import JwksCache
from crowdify.auth.principal import ROLES, Principal, Role, TokenKind
from crowdify.auth.verifier import TokenVerifier
from crowdify.settings import DEVICE_AUDIENCE

__all__ = [
    "BACKEND_ISSUER",
    "DEVICE_AUDIENCE",
    "DOOR_ROLES",
    "ROLES",
    "AuthError",
    "AuthReason",
    "CurrentAdmin",
    "CurrentAdminOrCoordinator",
    "CurrentScanner",
    "CurrentUser",
    "JwksCache",
    "OptionalUser",
    "Principal",
    "Role",
    "TokenKind",
    "TokenVerifier",
    "authenticate",
    "authorize",
    "get_current_admin",
    "get_current_admin_or_coordinator",
    "get_current_scanner",
    "get_current_user",
    "get_optional_user",
    "issue_backend_token",
    "issue_device_token",
    "require_roles",
]
