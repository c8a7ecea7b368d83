"""Users and roles: Supabase Auth holds them, admin-svc records every change in its audit log.

A change is written to the audit log and sent to Supabase Auth inside one transaction: the row is
committed only once Supabase Auth has taken the change, so the log never lists a change that did
not happen. The new role reaches the person's token at its next refresh (docs/runbook.md).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.engine import RowMapping

from admin_svc.adapters.auth_admin import AuthAdminClient, AuthUser, UserPage
from admin_svc.adapters.tables import audit_log
from crowdify.auth.principal import Principal, Role
from crowdify.db import UnitOfWorkFactory
from crowdify.errors import Conflict


@dataclass(frozen=True)
class UserAdministration:
    uow_factory: UnitOfWorkFactory
    auth: AuthAdminClient
    invite_redirect_url: str | None = None

    async def list_users(self, *, page: int, per_page: int, search: str | None) -> UserPage:
        return await self.auth.list_users(page=page, per_page=per_page, search=search)

    async def get_user(self, user_id: uuid.UUID) -> AuthUser:
        return await self.auth.get_user(str(user_id))

    async def change_role(self, admin: Principal, user_id: uuid.UUID, role: Role) -> AuthUser:
        if str(user_id) == admin.user_id:
            # The last admin demoting themselves would leave nobody able to undo it.
            raise Conflict("Admins cannot change their own role", code="own_role")
        current = await self.auth.get_user(str(user_id))
        if current.role == role:
            return current
        async with self.uow_factory() as uow:
            await uow.session.execute(
                insert(audit_log).values(
                    id=uuid.uuid4(),
                    action="role_changed",
                    actor_id=admin.user_id,
                    actor_email=admin.email,
                    target_user_id=current.id,
                    target_email=current.email,
                    from_role=current.role,
                    to_role=role,
                )
            )
            return await self.auth.set_role(current.id, role)

    async def invite(self, admin: Principal, email: str, role: Role) -> AuthUser:
        async with self.uow_factory() as uow:
            invited = await self.auth.invite(email, redirect_to=self.invite_redirect_url)
            await uow.session.execute(
                insert(audit_log).values(
                    id=uuid.uuid4(),
                    action="invited",
                    actor_id=admin.user_id,
                    actor_email=admin.email,
                    target_user_id=invited.id,
                    target_email=invited.email,
                    from_role=None,
                    to_role=role,
                )
            )
            if role == "user":
                return invited
            return await self.auth.set_role(invited.id, role)


@dataclass(frozen=True)
class AuditEntry:
    id: uuid.UUID
    action: str
    actor_id: str
    actor_email: str | None
    target_user_id: str
    target_email: str | None
    from_role: str | None
    to_role: str
    at: datetime

    @classmethod
    def from_row(cls, row: RowMapping) -> AuditEntry:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})


async def list_audit(
    uow_factory: UnitOfWorkFactory, *, user_id: str | None, page: int, page_size: int
) -> tuple[list[AuditEntry], int]:
    """Newest first; ``user_id`` narrows it to changes made to that person."""
    query = select(audit_log)
    count = select(func.count()).select_from(audit_log)
    if user_id is not None:
        query = query.where(audit_log.c.target_user_id == user_id)
        count = count.where(audit_log.c.target_user_id == user_id)
    async with uow_factory() as uow:
        total = (await uow.session.execute(count)).scalar_one()
        rows = (
            await uow.session.execute(
                query.order_by(audit_log.c.at.desc(), audit_log.c.id)
                .limit(page_size)
                .offset((page - 1) * page_size)
            )
        ).mappings()
        return [AuditEntry.from_row(row) for row in rows], total
