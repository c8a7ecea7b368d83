"""Shared settings: development defaults work, real environments refuse them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from crowdify.settings import DEV_JWT_SECRET, ServiceSettings

REPO = Path(__file__).resolve().parents[2]
REAL_SECRET = "a-real-secret-from-the-vault-0123456789"


def test_development_runs_on_the_documented_defaults():
    settings = ServiceSettings(_env_file=None, CROWDIFY_ENV="development")
    assert settings.jwt_secret.get_secret_value() == DEV_JWT_SECRET
    assert settings.cors_origin_list == ["http://localhost:3000", "http://localhost:5173"]


def test_a_forgotten_environment_is_production_and_refuses_the_development_secrets(monkeypatch):
    monkeypatch.delenv("CROWDIFY_ENV", raising=False)
    with pytest.raises(
        ValidationError, match="JWT_SECRET must be set to a real secret when CROWDIFY_ENV=production"
    ):
        ServiceSettings(_env_file=None)


@pytest.mark.parametrize("environment", ["development", "test", "production"])
@pytest.mark.parametrize("variable", ["JWT_SECRET", "SUPABASE_JWT_SECRET"])
def test_signing_secrets_shorter_than_32_bytes_are_refused_everywhere(environment, variable):
    secrets = {"JWT_SECRET": REAL_SECRET, "SUPABASE_JWT_SECRET": REAL_SECRET + "-supabase"}
    secrets[variable] = "x" * 31
    with pytest.raises(ValidationError, match=f"{variable} must be at least 32 bytes long"):
        ServiceSettings(_env_file=None, CROWDIFY_ENV=environment, **secrets)
    secrets[variable] = "x" * 32
    assert ServiceSettings(_env_file=None, CROWDIFY_ENV=environment, **secrets).signing_secrets()[variable]


def test_the_legacy_supabase_hs256_path_can_be_switched_off():
    settings = ServiceSettings(
        _env_file=None,
        CROWDIFY_ENV="production",
        JWT_SECRET=REAL_SECRET,
        SUPABASE_JWT_SECRET="",
        SUPABASE_LEGACY_HS256="false",
    )
    assert settings.supabase_legacy_secret == ""
    assert set(settings.signing_secrets()) == {"JWT_SECRET"}
    # Switched on, the same empty secret is a forgotten one.
    with pytest.raises(ValidationError, match="SUPABASE_JWT_SECRET must be set"):
        ServiceSettings(
            _env_file=None, CROWDIFY_ENV="production", JWT_SECRET=REAL_SECRET, SUPABASE_JWT_SECRET=""
        )


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_production_refuses_development_secrets(environment):
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        ServiceSettings(_env_file=None, CROWDIFY_ENV=environment)


def test_production_starts_with_real_secrets_and_no_legacy_supabase_secret():
    settings = ServiceSettings(
        _env_file=None,
        CROWDIFY_ENV="production",
        JWT_SECRET=REAL_SECRET,
        SUPABASE_JWT_SECRET=None,
    )
    assert settings.jwt_secret == SecretStr(REAL_SECRET)
    assert not settings.is_development


def test_env_example_names_every_variable_the_code_reads():
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (REPO / ".env.example").read_text(), re.M))
    sources = [p for p in REPO.glob("*/src/**/settings.py") if ".venv" not in p.parts] + [
        REPO / "libs/src/crowdify/settings.py"
    ]
    read = set()
    for path in sources:
        read |= set(re.findall(r'alias="([A-Z][A-Z0-9_]+)"', path.read_text()))
    test_only = {n for n in read if n.startswith("TEST_")}
    missing = sorted(read - documented - test_only)
    assert missing == [], f"add to .env.example: {missing}"
