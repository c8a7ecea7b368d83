"""deploy/postgres: the compose database's first-start script gives each service the role and
schema that crowdify.db.provision gives it everywhere else, and the database the same settings.
Run on the real server, inside a transaction that is rolled back, with role names made unique so
the CREATE ROLE path runs."""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from crowdify.db.provision import DATABASE_SETTINGS, SERVICE_SCHEMAS, provision_schemas
from crowdify.testing.service_database import ADMIN_DSN

from .conftest import REPO

ROLES_SQL = REPO / "deploy/postgres/roles.sql"
INIT_SCRIPT = REPO / "deploy/postgres/init/10-crowdify-roles.sh"
PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]

# The settings a database carries for every session (what ALTER DATABASE ... SET stored).
DATABASE_SETTINGS_QUERY = (
    "SELECT array_to_string(setconfig, ',') FROM pg_db_role_setting"
    " WHERE setrole = 0 AND setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())"
)
EXPECTED_SETTINGS = ",".join(f"{name}={value}" for name, value in DATABASE_SETTINGS)


def test_the_script_names_every_service_role_and_schema() -> None:
    sql = ROLES_SQL.read_text()
    script = INIT_SCRIPT.read_text()
    for svc in SERVICE_SCHEMAS:
        assert f"('{svc.role}', '{svc.schema}')" in sql
        assert f"ALTER ROLE {svc.role} PASSWORD :'{svc.role}_password'" in sql
        assert svc.role in script
    pairs = re.findall(r"\('([a-z_]+)', '([a-z_]+)'\)", sql)
    assert sorted(pairs) == sorted((s.role, s.schema) for s in SERVICE_SCHEMAS)


@pytest.fixture
def database() -> Iterator[str]:
    name = f"deploy_init_{uuid.uuid4().hex[:10]}"
    subprocess.run(
        [*PSQL, "-d", "postgres", "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True
    )
    try:
        yield name
    finally:
        subprocess.run(
            [*PSQL, "-d", "postgres", "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=False
        )


def test_the_script_provisions_like_provision_py(database: str, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    sql = ROLES_SQL.read_text()
    for svc in SERVICE_SCHEMAS:  # unique roles: the create path runs and nothing shared changes
        sql = re.sub(rf"\b{svc.role}\b", f"t{tag}_{svc.role}", sql)
    script = tmp_path / "roles.sql"
    script.write_text(sql)
    names = ", ".join(f"'{s.schema}'" for s in SERVICE_SCHEMAS)
    session = (
        "BEGIN;\n"
        f"\\i {script}\n"
        "\\echo ---\n"
        "SELECT n.nspname, r.rolname, r.rolcanlogin, r.rolsuper, r.rolpassword IS NOT NULL\n"
        "  FROM pg_namespace n JOIN pg_authid r ON r.oid = n.nspowner\n"
        f"  WHERE n.nspname IN ({names}) ORDER BY 1;\n"
        "SELECT has_schema_privilege('public', 'public', 'CREATE');\n"
        f"{DATABASE_SETTINGS_QUERY};\n"
        "ROLLBACK;\n"
    )
    variables = [arg for s in SERVICE_SCHEMAS for arg in ("-v", f"{s.role}_password=pw-{s.role}")]
    done = subprocess.run(
        [*PSQL, "-d", database, *variables],
        input=session,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    rows = done.stdout.split("---\n", 1)[1].strip().splitlines()
    owners = [row.split("|") for row in rows[:-2]]
    assert sorted(owners) == sorted([s.schema, f"t{tag}_{s.role}", "t", "f", "t"] for s in SERVICE_SCHEMAS)
    assert rows[-2] == "f", "PUBLIC may still create in public"
    assert rows[-1] == EXPECTED_SETTINGS, "the database's own settings differ from provision.py's"


async def test_provision_py_gives_the_database_its_settings(database: str) -> None:
    dsn = f"{ADMIN_DSN}/{database}"
    await provision_schemas(dsn)
    conn = await asyncpg.connect(dsn)  # a new session: it starts with the database's settings
    try:
        assert await conn.fetchval(DATABASE_SETTINGS_QUERY) == EXPECTED_SETTINGS
        assert await conn.fetchval("SHOW wal_compression") == "lz4", "full-page images not compressed"
    finally:
        await conn.close()


def test_the_init_script_refuses_to_run_without_a_password(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "EVENT_SVC_DB_PASSWORD": "x", "CROWDIFY_ROLES_SQL": str(ROLES_SQL)}
    done = subprocess.run(["bash", str(INIT_SCRIPT)], env=env, capture_output=True, text=True, check=False)
    assert done.returncode != 0
    assert "PURCHASE_SVC_DB_PASSWORD" in done.stderr
