"""Principal: the helpers services branch on, and a claim set nobody can change."""

from __future__ import annotations

import dataclasses

import pytest

from crowdify.auth import Principal


def principal(app_role: str, **claims: object) -> Principal:
    return Principal(user_id="u-1", role=app_role, email=None, token_kind="backend", claims=claims)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("role", "is_admin", "is_staff"),
    [("user", False, False), ("scanner", False, True), ("coordinator", False, True), ("admin", True, True)],
)
def test_role_helpers(role: str, is_admin: bool, is_staff: bool) -> None:
    assert (principal(role).is_admin, principal(role).is_staff) == (is_admin, is_staff)
    assert principal(role).has_role(role, "admin")  # type: ignore[arg-type]
    assert not principal(role).has_role()


def test_principal_and_its_claims_are_read_only() -> None:
    frozen = principal("user", sub="u-1", role="user")

    with pytest.raises(dataclasses.FrozenInstanceError):
        frozen.role = "admin"  # type: ignore[misc]
    with pytest.raises(TypeError):
        frozen.claims["role"] = "admin"  # type: ignore[index]
    assert frozen.claims["role"] == "user"


def test_claims_stay_out_of_repr_and_equality() -> None:
    first, second = principal("user", email="a@b.c"), principal("user", email="x@y.z")

    assert first == second and hash(first) == hash(second)
    assert "a@b.c" not in repr(first)
