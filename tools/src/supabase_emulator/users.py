"""Users of the emulator: four seeded accounts plus any a test adds."""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

SEED_PASSWORD: Final = "crowdify"

# Stable ids, so seed data and scripts can refer to these people across restarts.
ADMIN_ID: Final = "00000000-0000-4000-a000-000000000001"
COORDINATOR_ID: Final = "00000000-0000-4000-a000-000000000002"
SCANNER_ID: Final = "00000000-0000-4000-a000-000000000003"
BUYER_ID: Final = "00000000-0000-4000-a000-000000000004"

# email, id, app_metadata.role (None: no role, which Crowdify reads as "user")
SEED_USERS: Final[tuple[tuple[str, str, str | None], ...]] = (
    ("admin@crowdify.test", ADMIN_ID, "admin"),
    ("coordinator@crowdify.test", COORDINATOR_ID, "coordinator"),
    ("scanner@crowdify.test", SCANNER_ID, "scanner"),
    ("buyer@crowdify.test", BUYER_ID, None),
)


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


@dataclass
class User:
    id: str
    email: str
    password: str
    app_role: str | None = None
    user_metadata: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=_now)
    last_sign_in_at: datetime | None = None
    # Invited users have no confirmed email until they accept the invitation.
    invited_at: datetime | None = None
    updated_at: datetime | None = None

    def password_matches(self, candidate: str) -> bool:
        return hmac.compare_digest(self.password.encode(), candidate.encode())

    def app_metadata(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {"provider": "email", "providers": ["email"]}
        if self.app_role is not None:
            metadata["role"] = self.app_role
        return metadata

    def to_json(self) -> dict[str, Any]:
        """The ``user`` object of a Supabase session, ``GET /auth/v1/user`` and the admin API."""
        confirmed = None if self.invited_at is not None else _iso(self.created_at)
        user: dict[str, Any] = {
            "id": self.id,
            "aud": "authenticated",
            "role": "authenticated",
            "email": self.email,
            "email_confirmed_at": confirmed,
            "phone": "",
            "confirmed_at": confirmed,
            "last_sign_in_at": _iso(self.last_sign_in_at),
            "app_metadata": self.app_metadata(),
            "user_metadata": dict(self.user_metadata),
            "identities": [],
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at or self.last_sign_in_at or self.created_at),
            "is_anonymous": False,
        }
        if self.invited_at is not None:
            user["invited_at"] = _iso(self.invited_at)
            user["confirmation_sent_at"] = _iso(self.invited_at)
        return user

    def matches(self, search: str) -> bool:
        """GoTrue's ``filter``: part of the email or of ``user_metadata.full_name``, any case."""
        needle = search.lower()
        name = str(self.user_metadata.get("full_name") or "")
        return needle in self.email.lower() or needle in name.lower()

    def update_app_metadata(self, changes: dict[str, Any]) -> None:
        """GoTrue merges ``app_metadata`` key by key; a null value removes the key."""
        if "role" in changes:
            role = changes["role"]
            self.app_role = role if isinstance(role, str) else None
        self.updated_at = _now()


class EmailTaken(ValueError):
    pass


class UserDirectory:
    def __init__(self) -> None:
        self._by_email: dict[str, User] = {}
        for email, user_id, role in SEED_USERS:
            self.add(email=email, password=SEED_PASSWORD, app_role=role, user_id=user_id)

    def add(
        self,
        *,
        email: str,
        password: str,
        app_role: str | None = None,
        user_metadata: dict[str, Any] | None = None,
        user_id: str | None = None,
    ) -> User:
        key = email.strip().lower()
        if key in self._by_email:
            raise EmailTaken(email)
        user = User(
            id=user_id or str(uuid.uuid4()),
            email=key,
            password=password,
            app_role=app_role,
            user_metadata=dict(user_metadata or {}),
        )
        self._by_email[key] = user
        return user

    def by_email(self, email: str) -> User | None:
        return self._by_email.get(email.strip().lower())

    def by_id(self, user_id: str) -> User | None:
        return next((user for user in self._by_email.values() if user.id == user_id), None)

    def all(self) -> list[User]:
        return list(self._by_email.values())
