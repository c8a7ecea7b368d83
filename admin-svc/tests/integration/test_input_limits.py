"""Odd input never reaches the database or Supabase Auth: NUL in a search or a user id is a 422
problem, not a 500."""

from __future__ import annotations

from admin_svc.main import create_app
from crowdify.testing.inputs import unguarded_inputs


def test_every_string_and_integer_of_the_api_uses_the_shared_input_types(settings) -> None:
    assert unguarded_inputs(create_app(settings)) == []


async def test_nul_in_queries_is_422(client, bearer) -> None:
    for path in ("/api/v1/admin/users?search=%00", "/api/v1/admin/audit?user_id=%00"):
        answer = await client.get(path, headers=bearer("admin"))
        assert answer.status_code == 422, (path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
