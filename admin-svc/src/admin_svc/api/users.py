"""User and role routes (admins only): search the platform's users, invite staff by email,
change a role, read the audit log of those changes.

A changed role is in the person's access token from its next refresh (at most the token's
lifetime, one hour by default): tokens already issued keep the old role until then.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from admin_svc.adapters.auth_admin import AuthUser
from admin_svc.api.state import AdminStateDep
from admin_svc.service.users import AuditEntry, list_audit
from crowdify.auth import CurrentAdmin
from crowdify.auth.principal import Role
from crowdify.errors import problem_responses
from crowdify.inputs import Text

router = APIRouter(prefix="/api/v1/admin", tags=["users"])

ROLE_TIMING = (
    " The new role reaches the person's access token at its next refresh (within the token's "
    "lifetime, one hour by default); tokens already issued keep the old role until they expire."
)


class UserOut(BaseModel):
    """A user as Supabase Auth keeps them; ``role`` is ``app_metadata.role`` (none: ``user``)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str | None
    role: Role
    created_at: str | None
    last_sign_in_at: str | None
    invited_at: str | None

    @classmethod
    def of(cls, user: AuthUser) -> UserOut:
        return cls.model_validate(user)


class UserPageOut(BaseModel):
    items: list[UserOut]
    page: int
    per_page: int
    total: int


class RoleChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role


class Invitation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr = Field(max_length=320)
    role: Role = "user"


class AuditOut(BaseModel):
    id: uuid.UUID
    action: str = Field(description="role_changed or invited")
    actor_id: str = Field(description="the admin who made the change")
    actor_email: str | None
    target_user_id: str = Field(description="whose role changed, or who was invited")
    target_email: str | None
    from_role: str | None
    to_role: str
    at: datetime

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditOut:
        return cls(**entry.__dict__)


class AuditPage(BaseModel):
    items: list[AuditOut]
    page: int
    page_size: int
    total: int


@router.get(
    "/users",
    response_model=UserPageOut,
    summary="The platform's users (Supabase Auth), searched by email or name, newest first",
    responses=problem_responses(401, 403, 422, 503),
)
async def list_users(
    admin: CurrentAdmin,
    state: AdminStateDep,
    search: Annotated[Text | None, Query(max_length=200, description="part of an email or name")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> UserPageOut:
    found = await state.users.list_users(page=page, per_page=per_page, search=search or None)
    return UserPageOut(
        items=[UserOut.of(user) for user in found.users], page=page, per_page=per_page, total=found.total
    )


@router.post(
    "/users/invite",
    response_model=UserOut,
    status_code=201,
    summary="Invite someone by email with a role (the invitation email comes from Supabase Auth)",
    description="Recorded in the audit log." + ROLE_TIMING,
    responses=problem_responses(401, 403, 409, 422, 503),
)
async def invite_user(body: Invitation, admin: CurrentAdmin, state: AdminStateDep) -> UserOut:
    return UserOut.of(await state.users.invite(admin, str(body.email), body.role))


@router.get(
    "/users/{user_id}",
    response_model=UserOut,
    summary="One user",
    responses=problem_responses(401, 403, 404, 422, 503),
)
async def get_user(user_id: uuid.UUID, admin: CurrentAdmin, state: AdminStateDep) -> UserOut:
    return UserOut.of(await state.users.get_user(user_id))


@router.patch(
    "/users/{user_id}",
    response_model=UserOut,
    summary="Change a user's role (admin, coordinator, scanner or user)",
    description="Recorded in the audit log (who, whom, from, to, when)." + ROLE_TIMING,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
async def change_role(
    user_id: uuid.UUID, body: RoleChange, admin: CurrentAdmin, state: AdminStateDep
) -> UserOut:
    return UserOut.of(await state.users.change_role(admin, user_id, body.role))


@router.get(
    "/audit",
    response_model=AuditPage,
    summary="The audit log of role changes and invitations, newest first",
    responses=problem_responses(401, 403, 422),
)
async def audit(
    admin: CurrentAdmin,
    state: AdminStateDep,
    user_id: Annotated[
        Text | None, Query(max_length=64, description="only changes made to this user")
    ] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditPage:
    entries, total = await list_audit(state.uow_factory, user_id=user_id, page=page, page_size=page_size)
    return AuditPage(items=[AuditOut.of(e) for e in entries], page=page, page_size=page_size, total=total)
