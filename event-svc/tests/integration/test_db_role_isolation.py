"""event-svc's database role can reach its own schema and nothing else."""

from __future__ import annotations

import asyncpg
import pytest


async def test_the_event_role_cannot_touch_other_schemas(database_name):
    admin = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{database_name}")
    try:
        await admin.execute("CREATE TABLE IF NOT EXISTS purchase.orders_probe (id int)")
        await admin.execute("INSERT INTO purchase.orders_probe VALUES (1)")
    finally:
        await admin.close()

    conn = await asyncpg.connect(f"postgresql://event_svc@127.0.0.1:5432/{database_name}")
    try:
        assert await conn.fetchval("SELECT count(*) FROM event.events") >= 0  # its own schema works
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.fetch("SELECT * FROM purchase.orders_probe")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("INSERT INTO purchase.orders_probe VALUES (2)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE TABLE public.sneaky (id int)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE SCHEMA sneaky")
    finally:
        await conn.close()
