"""``python -m crowdify_tools.token``: a backend token the services accept."""

from __future__ import annotations

import asyncio
import sys

import jwt
import pytest

from crowdify.auth import TokenVerifier
from crowdify.settings import ServiceSettings
from crowdify_tools.token import main
from supabase_emulator.users import ADMIN_ID, BUYER_ID

SECRET = "cli-test-backend-secret-0123456789abcdef"


@pytest.fixture
def verifier(monkeypatch: pytest.MonkeyPatch) -> TokenVerifier:
    monkeypatch.setenv("JWT_SECRET", SECRET)
    # No Supabase needed: backend tokens are checked with JWT_SECRET alone.
    return TokenVerifier(
        ServiceSettings(JWT_SECRET=SECRET, SUPABASE_URL="http://127.0.0.1:9", CROWDIFY_ENV="test")
    )


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    main(list(argv))
    return capsys.readouterr().out.strip()


async def test_admin_token_names_the_seeded_admin(
    verifier: TokenVerifier, capsys: pytest.CaptureFixture[str]
) -> None:
    principal = await verifier.verify(run(capsys, "--role", "admin"))

    assert (principal.user_id, principal.role, principal.email) == (ADMIN_ID, "admin", "admin@crowdify.test")
    assert principal.token_kind == "backend"


async def test_user_role_defaults_to_the_seeded_buyer(
    verifier: TokenVerifier, capsys: pytest.CaptureFixture[str]
) -> None:
    principal = await verifier.verify(run(capsys, "--role", "user"))

    assert (principal.user_id, principal.role) == (BUYER_ID, "user")


async def test_sub_email_and_ttl_are_honoured(
    verifier: TokenVerifier, capsys: pytest.CaptureFixture[str]
) -> None:
    token = run(capsys, "--role", "scanner", "--sub", "door-device-3", "--ttl", "90")

    principal = await verifier.verify(token)
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert (principal.user_id, principal.role, principal.email) == ("door-device-3", "scanner", None)
    assert claims["exp"] - claims["iat"] == 90

    with_email = run(capsys, "--role", "scanner", "--sub", "door-device-3", "--email", "door@crowdify.test")
    assert (await verifier.verify(with_email)).email == "door@crowdify.test"


def test_unknown_role_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--role", "authenticated"])

    assert exited.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


async def test_runs_as_a_module_with_the_secret_from_the_environment(verifier: TokenVerifier) -> None:
    # The verifier fixture has put JWT_SECRET in the environment the child inherits.
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "crowdify_tools.token", "--role", "coordinator", stdout=asyncio.subprocess.PIPE
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=60)

    assert process.returncode == 0
    assert (await verifier.verify(stdout.decode().strip())).role == "coordinator"
