"""Who is calling: the verified identity every service works with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Literal, cast, get_args

Role = Literal["user", "admin", "coordinator", "scanner"]
TokenKind = Literal["supabase", "backend"]

ROLES: Final[frozenset[str]] = frozenset(get_args(Role))
STAFF_ROLES: Final[frozenset[Role]] = frozenset({"admin", "coordinator", "scanner"})


def parse_role(value: object) -> Role | None:
    """``value`` as a :data:`Role`, or ``None`` when it is not one of ours."""
    if isinstance(value, str) and value in ROLES:
        return cast(Role, value)
    return None


@dataclass(frozen=True, slots=True)
class Principal:
    """A caller whose token has been verified.

    ``user_id`` is the token's ``sub`` (the Supabase user UUID, or the subject a backend token was
    issued for); ``role`` is the application role, never the Postgres ``role`` claim of a Supabase
    token. ``claims`` holds the verified claim set for the rare caller that needs more; it takes no
    part in equality or hashing and is left out of ``repr`` so logs do not carry whole tokens.
    """

    user_id: str
    role: Role
    email: str | None
    token_kind: TokenKind
    claims: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        # A read-only copy: nothing downstream can change what the token said.
        object.__setattr__(self, "claims", MappingProxyType(dict(self.claims)))

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_staff(self) -> bool:
        """Works for the promoter (admin, coordinator or door scanner) rather than buying tickets."""
        return self.role in STAFF_ROLES

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles
