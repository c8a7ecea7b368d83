"""Create the database, one role and schema per service, and run every service's migrations.

    python -m crowdify_tools.migrate            # database "crowdify" (CROWDIFY_DATABASE)
    python -m crowdify_tools.migrate --database crowdify_test_1234

Each service migrates with its own role, so a migration cannot touch another service's schema.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

from crowdify.db.provision import SERVICE_SCHEMAS, create_database, provision_schemas
from crowdify_tools.settings import ToolSettings

REPO_ROOT = Path(__file__).resolve().parents[3]


def service_url(settings: ToolSettings, database: str, role: str) -> str:
    return f"postgresql+asyncpg://{role}@{settings.postgres_host}/{database}"


def migrate_service(service_dir: Path, url: str, revision: str = "head") -> None:
    config = Config(str(service_dir / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, revision)


def services_with_migrations() -> list[tuple[Path, str]]:
    """(service folder, DB role) for each service that exists in this checkout."""
    found = []
    for svc in SERVICE_SCHEMAS:
        folder = REPO_ROOT / svc.service
        if (folder / "alembic.ini").exists():
            found.append((folder, svc.role))
    return found


async def prepare_database(settings: ToolSettings, database: str) -> None:
    await create_database(settings.postgres_admin_dsn, database)
    admin_dsn = settings.postgres_admin_dsn.rsplit("/", 1)[0] + f"/{database}"
    await provision_schemas(admin_dsn)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", help="database name (default: CROWDIFY_DATABASE or crowdify)")
    args = parser.parse_args()
    settings = ToolSettings()
    database = args.database or settings.database_name
    asyncio.run(prepare_database(settings, database))
    for folder, role in services_with_migrations():
        migrate_service(folder, service_url(settings, database, role))
        print(f"migrated {folder.name} in database {database}")


if __name__ == "__main__":
    main()
