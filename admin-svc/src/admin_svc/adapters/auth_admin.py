"""Supabase Auth's admin API (GoTrue), called with the project's service-role key.

The endpoints and shapes are GoTrue's: ``GET /admin/users?page=&per_page=&filter=`` answers
``{"users": [...], "aud": ...}`` with the total in ``X-Total-Count``; ``GET``/``PUT
/admin/users/{id}`` a user object; ``POST /invite`` creates the user and emails the invitation.
The official Python client drops ``filter`` and the ``X-Total-Count`` header, which search and
pagination need, so this is a thin httpx client (docs/adr/0013-admin-read-model-and-organiser-scope.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from crowdify.auth.principal import Role, parse_role
from crowdify.errors import Conflict, NotFound, ProblemError


@dataclass(frozen=True)
class AuthUser:
    id: str
    email: str | None
    role: Role
    created_at: str | None
    last_sign_in_at: str | None
    invited_at: str | None

    @classmethod
    def from_gotrue(cls, user: dict[str, Any]) -> AuthUser:
        metadata = user.get("app_metadata") or {}
        return cls(
            id=str(user["id"]),
            email=user.get("email") or None,
            # No role (or one that is not ours) is a buyer, as everywhere else (ADR 0004).
            role=parse_role(metadata.get("role")) or "user",
            created_at=user.get("created_at"),
            last_sign_in_at=user.get("last_sign_in_at"),
            invited_at=user.get("invited_at"),
        )


@dataclass(frozen=True)
class UserPage:
    users: list[AuthUser]
    total: int


class AuthUnavailable(ProblemError):
    status = 503
    code = "auth_unavailable"


class AuthAdminClient:
    def __init__(self, base_url: str, service_role_key: str, *, timeout: float = 10.0) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            headers={"apikey": service_role_key, "Authorization": f"Bearer {service_role_key}"},
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def list_users(self, *, page: int, per_page: int, search: str | None = None) -> UserPage:
        params: dict[str, str | int] = {"page": page, "per_page": per_page}
        if search:
            params["filter"] = search
        response = await self._call("GET", "/admin/users", params=params)
        body = response.json()
        users = [AuthUser.from_gotrue(user) for user in body.get("users", [])]
        return UserPage(users=users, total=int(response.headers.get("x-total-count", len(users))))

    async def get_user(self, user_id: str) -> AuthUser:
        return AuthUser.from_gotrue((await self._call("GET", f"/admin/users/{user_id}")).json())

    async def set_role(self, user_id: str, role: Role) -> AuthUser:
        # GoTrue merges app_metadata key by key: the provider entries stay as they are.
        response = await self._call("PUT", f"/admin/users/{user_id}", json={"app_metadata": {"role": role}})
        return AuthUser.from_gotrue(response.json())

    async def invite(self, email: str, *, redirect_to: str | None = None) -> AuthUser:
        params = {"redirect_to": redirect_to} if redirect_to else None
        response = await self._call("POST", "/invite", json={"email": email, "data": {}}, params=params)
        return AuthUser.from_gotrue(response.json())

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise AuthUnavailable("Supabase Auth cannot be reached right now") from error
        if response.status_code == 404:
            raise NotFound("No such user", code="user_not_found")
        if response.status_code == 422 and _error_code(response) == "email_exists":
            raise Conflict("A user with this email address already exists", code="email_exists")
        if response.status_code == 400 and path.startswith("/admin/users/"):
            # GoTrue answers 400 for an id that is not a UUID: no such user, for our callers.
            raise NotFound("No such user", code="user_not_found")
        if response.status_code >= 400:
            raise AuthUnavailable(f"Supabase Auth answered {response.status_code}")
        return response


def _error_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("error_code") if isinstance(body, dict) else None
