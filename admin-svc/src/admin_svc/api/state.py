"""What admin-svc's routes need, put on ``app.state.admin`` at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from admin_svc.service.users import UserAdministration
from admin_svc.settings import AdminSettings
from crowdify.db import UnitOfWorkFactory


@dataclass(frozen=True)
class AdminState:
    settings: AdminSettings
    uow_factory: UnitOfWorkFactory
    users: UserAdministration


async def _state(request: Request) -> AdminState:
    state = getattr(request.app.state, "admin", None)
    if not isinstance(state, AdminState):
        raise RuntimeError("app.state.admin is not set")
    return state


AdminStateDep = Annotated[AdminState, Depends(_state)]
