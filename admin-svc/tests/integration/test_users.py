"""Users and roles through the Supabase Auth emulator's admin API: search and pagination, a role
change round trip (the person's next token carries it), invitations mailed to the SMTP sink, and
the audit log; everything else a clear problem+json."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import jwt

from crowdify.testing import wait_until
from crowdify.testing.service_under_test import Bearer
from supabase_emulator.testing import EmulatorClient

PROBLEM = "application/problem+json"
MAIL_API = "http://127.0.0.1:8025"


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


async def test_admins_search_users_page_by_page(
    client: httpx.AsyncClient, emulator: EmulatorClient, bearer: Bearer
) -> None:
    tag = uuid.uuid4().hex[:8]
    for n in range(3):
        await emulator.add_user(f"busqueda-{tag}-{n}@example.cl")

    first = await client.get(f"/api/v1/admin/users?search=busqueda-{tag}&per_page=2", headers=bearer("admin"))
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["page"], body["per_page"], body["total"]) == (1, 2, 3)
    assert [u["email"] for u in body["items"]] == [
        f"busqueda-{tag}-2@example.cl",
        f"busqueda-{tag}-1@example.cl",
    ]
    assert {u["role"] for u in body["items"]} == {"user"}
    second = await client.get(
        f"/api/v1/admin/users?search=busqueda-{tag}&per_page=2&page=2", headers=bearer("admin")
    )
    assert [u["email"] for u in second.json()["items"]] == [f"busqueda-{tag}-0@example.cl"]

    everyone = (await client.get("/api/v1/admin/users?per_page=200", headers=bearer("admin"))).json()
    assert {"admin@crowdify.test", "coordinator@crowdify.test"} <= {u["email"] for u in everyone["items"]}


async def test_a_role_change_round_trips_through_supabase_and_is_audited(
    client: httpx.AsyncClient, emulator: EmulatorClient, bearer: Bearer
) -> None:
    email = f"nueva-coordinadora-{uuid.uuid4().hex[:8]}@example.cl"
    person = await emulator.add_user(email)
    admin_id = f"admin-{uuid.uuid4().hex[:8]}"
    admin = bearer("admin", sub=admin_id, email="jefa@crowdify.test")

    # Before: a buyer's token may not read an event dashboard.
    before = await emulator.access_token(email)
    refused = await client.get(
        f"/api/v1/admin/events/{uuid.uuid4()}/dashboard", headers={"Authorization": f"Bearer {before}"}
    )
    problem(refused, 403, "forbidden")

    changed = await client.patch(
        f"/api/v1/admin/users/{person['id']}", json={"role": "coordinator"}, headers=admin
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["role"] == "coordinator"
    fetched = await client.get(f"/api/v1/admin/users/{person['id']}", headers=admin)
    assert fetched.json()["role"] == "coordinator"

    # The next token (a new sign-in or a refresh) carries the role, and services honour it.
    after = await emulator.access_token(email)
    assert jwt.decode(after, options={"verify_signature": False})["app_metadata"]["role"] == "coordinator"
    now_allowed = await client.get(
        f"/api/v1/admin/events/{uuid.uuid4()}/dashboard", headers={"Authorization": f"Bearer {after}"}
    )
    problem(now_allowed, 404, "event_not_found")

    # Setting the same role again changes nothing and writes nothing.
    again = await client.patch(
        f"/api/v1/admin/users/{person['id']}", json={"role": "coordinator"}, headers=admin
    )
    assert again.status_code == 200
    back = await client.patch(f"/api/v1/admin/users/{person['id']}", json={"role": "scanner"}, headers=admin)
    assert back.json()["role"] == "scanner"

    audit = await client.get(f"/api/v1/admin/audit?user_id={person['id']}", headers=admin)
    assert audit.status_code == 200
    entries = audit.json()["items"]
    assert audit.json()["total"] == 2
    assert [(e["action"], e["from_role"], e["to_role"]) for e in entries] == [
        ("role_changed", "coordinator", "scanner"),
        ("role_changed", "user", "coordinator"),
    ]
    assert all(e["actor_id"] == admin_id and e["actor_email"] == "jefa@crowdify.test" for e in entries)
    assert all(e["target_email"] == email and e["at"] for e in entries)


async def test_an_invitation_is_mailed_with_its_role_and_audited(
    client: httpx.AsyncClient, emulator: EmulatorClient, bearer: Bearer
) -> None:
    email = f"puerta-{uuid.uuid4().hex[:8]}@example.cl"
    invited = await client.post(
        "/api/v1/admin/users/invite", json={"email": email, "role": "scanner"}, headers=bearer("admin")
    )
    assert invited.status_code == 201, invited.text
    user = invited.json()
    assert (user["email"], user["role"]) == (email, "scanner") and user["invited_at"]

    async with httpx.AsyncClient(base_url=MAIL_API) as mail:

        async def delivered() -> list[dict[str, Any]] | None:
            found = [
                m for m in (await mail.get("/email")).json() if any(t["address"] == email for t in m["to"])
            ]
            return found or None

        messages = await wait_until(delivered, within=15, message=f"the invitation to {email}")
    assert "bienvenida" in messages[0]["text"]

    audit = (await client.get(f"/api/v1/admin/audit?user_id={user['id']}", headers=bearer("admin"))).json()
    assert [(e["action"], e["from_role"], e["to_role"]) for e in audit["items"]] == [
        ("invited", None, "scanner")
    ]

    twice = await client.post(
        "/api/v1/admin/users/invite", json={"email": email, "role": "scanner"}, headers=bearer("admin")
    )
    problem(twice, 409, "email_exists")
    audit = (await client.get(f"/api/v1/admin/audit?user_id={user['id']}", headers=bearer("admin"))).json()
    assert audit["total"] == 1


async def test_only_admins_manage_users_and_bad_input_is_a_clear_4xx(
    client: httpx.AsyncClient, bearer: Bearer
) -> None:
    for role in ("coordinator", "scanner", "user"):
        problem(await client.get("/api/v1/admin/users", headers=bearer(role)), 403, "forbidden")
        problem(await client.get("/api/v1/admin/audit", headers=bearer(role)), 403, "forbidden")
        problem(
            await client.patch(
                f"/api/v1/admin/users/{uuid.uuid4()}", json={"role": "admin"}, headers=bearer(role)
            ),
            403,
            "forbidden",
        )
    problem(await client.get("/api/v1/admin/users"), 401, "unauthorized")

    admin = bearer("admin")
    problem(
        await client.patch(f"/api/v1/admin/users/{uuid.uuid4()}", json={"role": "admin"}, headers=admin),
        404,
        "user_not_found",
    )
    problem(
        await client.patch(f"/api/v1/admin/users/{uuid.uuid4()}", json={"role": "root"}, headers=admin),
        422,
        "validation_error",
    )
    problem(
        await client.patch("/api/v1/admin/users/not-a-uuid", json={"role": "user"}, headers=admin),
        404,
        "not_found",
    )
    problem(
        await client.post("/api/v1/admin/users/invite", json={"email": "no-es-un-correo"}, headers=admin),
        422,
        "validation_error",
    )
    problem(await client.get("/api/v1/admin/users?per_page=0", headers=admin), 422, "validation_error")

    me = str(uuid.uuid4())
    problem(
        await client.patch(
            f"/api/v1/admin/users/{me}", json={"role": "user"}, headers=bearer("admin", sub=me)
        ),
        409,
        "own_role",
    )


async def test_supabase_auth_down_is_a_503_not_a_500(settings: Any, bearer: Bearer) -> None:
    from admin_svc.main import create_app

    app = create_app(settings.model_copy(update={"supabase_url": "http://127.0.0.1:9"}))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://admin-svc") as http,
    ):
        response = await http.get("/api/v1/admin/users", headers=bearer("admin"))
    problem(response, 503, "auth_unavailable")
