"""admin-svc HTTP API: ``create_app()`` builds the shared service app with the user, audit,
dashboard and export routes. The read model behind the dashboards is filled by the worker."""

from __future__ import annotations

from fastapi import FastAPI

from admin_svc.adapters.auth_admin import AuthAdminClient
from admin_svc.adapters.tables import messaging
from admin_svc.api import orders, reports, users
from admin_svc.api.state import AdminState
from admin_svc.service.users import UserAdministration
from admin_svc.settings import AdminSettings, get_settings
from crowdify.observability import configure_logging
from crowdify.runtime import ServiceResources, create_service_app

DESCRIPTION = """Administration: the platform's users and their roles (kept by Supabase Auth, every
change in an audit log), and for each event a dashboard and CSV exports drawn from a read model that
only messages feed. Admins see everything; an event's own coordinators (its staff) see its
dashboard and exports.

A role change reaches the person's access token at its next refresh (within the token's lifetime,
one hour by default)."""


def create_app(settings: AdminSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.service_name, settings.log_level)
    resources = ServiceResources.create(settings, messaging)
    auth = AuthAdminClient(
        settings.auth_admin_url,
        settings.supabase_service_role_key.get_secret_value(),
        timeout=settings.auth_admin_timeout_seconds,
    )

    def on_startup(app: FastAPI) -> None:
        app.state.admin = AdminState(
            settings=settings,
            uow_factory=resources.uow_factory,
            users=UserAdministration(resources.uow_factory, auth, settings.invite_redirect_url),
        )

    return create_service_app(
        settings=settings,
        resources=resources,
        title="Crowdify admin-svc",
        description=DESCRIPTION,
        routers=[users.router, reports.router, orders.router],
        on_startup=on_startup,
        on_shutdown=auth.aclose,
        idempotent_prefixes=["/api/v1/admin/users/invite"],
    )
