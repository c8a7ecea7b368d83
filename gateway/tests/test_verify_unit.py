"""The verifier endpoint's pure parts: bearer parsing and how long a verdict may be cached."""

from __future__ import annotations

import pytest

from crowdify.auth import Principal
from crowdify_gateway.verify import allow, allow_ttl, bearer_token, deny


def principal(**claims: object) -> Principal:
    return Principal(user_id="u", role="user", email=None, token_kind="backend", claims=claims)


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc.def.ghi", "abc.def.ghi"),
        ("bearer   abc.def.ghi  ", "abc.def.ghi"),
        ("Basic dXNlcjpwYXNz", None),
        ("Bearer", None),
        ("Bearer a b", None),
        ("", None),
    ],
)
def test_bearer_token(header: str, token: str | None) -> None:
    assert bearer_token(header) == token


def test_allow_ttl_never_outlives_the_token() -> None:
    now = 1_000_000.0
    assert allow_ttl(principal(exp=now + 3600), 30, now) == 30
    assert allow_ttl(principal(exp=now + 10.9), 30, now) == 9
    assert allow_ttl(principal(exp=now + 1), 30, now) == 0
    assert allow_ttl(principal(exp=now - 5), 30, now) == 0
    assert allow_ttl(principal(), 30, now) == 0
    assert allow_ttl(principal(exp=now + 3600), 0, now) == 0


def test_deny_caches_only_verdicts_that_cannot_change() -> None:
    assert deny("expired", 5).headers["x-accel-expires"] == "5"
    assert deny("bad_signature", 5).headers["x-auth-reason"] == "bad_signature"
    for reason in ("unknown_kid", "jwks_unavailable", "not_yet_valid"):
        assert deny(reason, 5).headers["x-accel-expires"] == "0"


def test_allow_drops_header_unsafe_claims() -> None:
    response = allow(
        Principal(
            user_id="evil\r\nX-Auth-Role: admin",
            role="user",
            email="ñandú@example.com",
            token_kind="supabase",
            claims={},
        ),
        10,
    )
    assert "x-auth-user-id" not in response.headers
    assert "x-auth-email" not in response.headers
    assert response.headers["x-auth-role"] == "user"
