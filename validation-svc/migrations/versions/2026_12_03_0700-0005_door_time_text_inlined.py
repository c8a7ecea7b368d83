"""door_time_text declared STABLE, so PostgreSQL inlines it into the door's statements

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 07:00:00+00:00

``door_time_text`` (0002) was declared IMMUTABLE, but its body calls ``to_char``, which is only
STABLE (it may read the session's locale). PostgreSQL does not inline a SQL function whose body
is less immutable than its declaration, so every scan and every offline chunk called it as a
function of its own, parsed, analysed and planned again in each transaction. Measured with
pgbench on a plpgsql block that only formats a time: about 5 microseconds per transaction, a
percent or two of what a scan costs the database. Declared STABLE (what it is), it is inlined
into the cached plans of ``door_scan`` and ``door_sync``. What it returns does not change.
"""

from collections.abc import Sequence

from alembic import op

from crowdify.db.migration_schema import migration_schema

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(f'ALTER FUNCTION "{migration_schema()}".door_time_text(timestamptz) STABLE')


def downgrade() -> None:
    op.execute(f'ALTER FUNCTION "{migration_schema()}".door_time_text(timestamptz) IMMUTABLE')
