"""The emulator's GoTrue admin API over real HTTP: service-role authorisation, pagination headers
and links, search, role updates merged into app_metadata, and invitations mailed to the SMTP sink."""

from __future__ import annotations

import uuid

import httpx
import jwt
import pytest

from crowdify.testing import wait_until
from supabase_emulator.testing import EmulatorClient
from supabase_emulator.users import ADMIN_ID, BUYER_ID

MAIL_API = "http://127.0.0.1:8025"


@pytest.fixture
async def service_role(emulator: EmulatorClient) -> dict[str, str]:
    key = (await emulator.api_keys())["service_role"]
    return {"apikey": key, "Authorization": f"Bearer {key}"}


async def test_only_a_service_role_key_gets_in(
    http: httpx.AsyncClient, emulator: EmulatorClient, service_role: dict[str, str]
) -> None:
    assert (await http.get("/auth/v1/admin/users")).status_code == 401
    anon = (await emulator.api_keys())["anon"]
    refused = await http.get("/auth/v1/admin/users", headers={"Authorization": f"Bearer {anon}"})
    assert (refused.status_code, refused.json()["error_code"]) == (403, "not_admin")
    user_token = await emulator.access_token("admin@crowdify.test")
    refused = await http.get(
        f"/auth/v1/admin/users/{ADMIN_ID}", headers={"Authorization": f"Bearer {user_token}"}
    )
    assert refused.status_code == 403
    forged = jwt.encode({"role": "service_role"}, "not-the-project-secret-0123456789", algorithm="HS256")
    refused = await http.get("/auth/v1/admin/users", headers={"Authorization": f"Bearer {forged}"})
    assert (refused.status_code, refused.json()["error_code"]) == (403, "bad_jwt")
    assert (await http.get("/auth/v1/admin/users", headers=service_role)).status_code == 200


async def test_list_users_pages_like_gotrue(
    http: httpx.AsyncClient, emulator: EmulatorClient, service_role: dict[str, str]
) -> None:
    tag = uuid.uuid4().hex[:8]
    for n in range(5):
        await emulator.add_user(f"pager-{tag}-{n}@example.cl", user_metadata={"full_name": f"Persona {n}"})

    first = await http.get(
        "/auth/v1/admin/users",
        params={"page": 1, "per_page": 2, "filter": f"pager-{tag}"},
        headers=service_role,
    )
    assert first.status_code == 200
    body = first.json()
    assert set(body) == {"users", "aud"} and body["aud"] == "authenticated"
    assert first.headers["x-total-count"] == "5"
    assert [u["email"] for u in body["users"]] == [f"pager-{tag}-4@example.cl", f"pager-{tag}-3@example.cl"]
    link = first.headers["link"]
    assert "page=2" in link.split(", ")[0] and link.split(", ")[0].endswith('rel="next"')
    assert (
        "per_page=2" in link
        and link.split(", ")[1].endswith('rel="last"')
        and "page=3" in link.split(", ")[1]
    )

    last = await http.get(
        "/auth/v1/admin/users",
        params={"page": 3, "per_page": 2, "filter": f"pager-{tag}"},
        headers=service_role,
    )
    assert [u["email"] for u in last.json()["users"]] == [f"pager-{tag}-0@example.cl"]
    assert 'rel="next"' not in last.headers["link"]

    by_name = await http.get("/auth/v1/admin/users", params={"filter": "PERSONA 3"}, headers=service_role)
    assert [u["email"] for u in by_name.json()["users"]] == [f"pager-{tag}-3@example.cl"]
    bad = await http.get("/auth/v1/admin/users", params={"per_page": 0}, headers=service_role)
    assert bad.status_code == 400


async def test_update_merges_the_role_into_app_metadata(
    http: httpx.AsyncClient, emulator: EmulatorClient, service_role: dict[str, str]
) -> None:
    user = await emulator.add_user(f"promoted-{uuid.uuid4().hex[:8]}@example.cl")
    updated = await http.put(
        f"/auth/v1/admin/users/{user['id']}",
        json={"app_metadata": {"role": "coordinator"}},
        headers=service_role,
    )
    assert updated.status_code == 200
    assert updated.json()["app_metadata"] == {
        "provider": "email",
        "providers": ["email"],
        "role": "coordinator",
    }
    fetched = (await http.get(f"/auth/v1/admin/users/{user['id']}", headers=service_role)).json()
    assert fetched["app_metadata"]["role"] == "coordinator"
    # The next sign-in's token carries the new role.
    session = await emulator.sign_in(user["email"])
    claims = jwt.decode(session["access_token"], options={"verify_signature": False})
    assert claims["app_metadata"]["role"] == "coordinator"

    missing = await http.get(f"/auth/v1/admin/users/{uuid.uuid4()}", headers=service_role)
    assert (missing.status_code, missing.json()["error_code"]) == (404, "user_not_found")
    not_uuid = await http.put("/auth/v1/admin/users/nope", json={}, headers=service_role)
    assert not_uuid.status_code == 400
    assert (await http.get(f"/auth/v1/admin/users/{BUYER_ID}", headers=service_role)).json()["email"] == (
        "buyer@crowdify.test"
    )


async def test_invite_creates_the_user_and_mails_the_invitation(
    http: httpx.AsyncClient, service_role: dict[str, str]
) -> None:
    email = f"invited-{uuid.uuid4().hex[:8]}@example.cl"
    invited = await http.post(
        "/auth/v1/invite",
        params={"redirect_to": "http://localhost:5173/bienvenida"},
        json={"email": email, "data": {"full_name": "Puerta Norte"}},
        headers=service_role,
    )
    assert invited.status_code == 200
    user = invited.json()
    assert user["email"] == email and user["invited_at"] and user["email_confirmed_at"] is None
    assert user["user_metadata"] == {"full_name": "Puerta Norte"}

    async with httpx.AsyncClient(base_url=MAIL_API) as mail:

        async def delivered() -> dict[str, object] | None:
            messages = (await mail.get("/email")).json()
            return next((m for m in messages if any(t["address"] == email for t in m["to"])), None)

        message = await wait_until(delivered, within=15, message=f"the invitation to {email}")
    assert message["subject"] == "Te invitaron a Crowdify"
    assert "type=invite" in str(message["text"]) and "bienvenida" in str(message["text"])

    again = await http.post("/auth/v1/invite", json={"email": email}, headers=service_role)
    assert (again.status_code, again.json()["error_code"]) == (422, "email_exists")
