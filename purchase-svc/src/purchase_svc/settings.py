"""purchase-svc settings: the only place this service reads its environment."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from crowdify.contracts.purchase import ORDERS_PER_MESSAGE
from crowdify.settings import ServiceSettings
from crowdify.tickets import TicketSigningSettings
from purchase_svc.adapters.mercadopago import DEFAULT_CONCURRENT_CALLS

SCHEMA = "purchase"
DEV_MERCADOPAGO_ACCESS_TOKEN = "TEST-dev-access-token"
DEV_MERCADOPAGO_WEBHOOK_SECRET = "dev-mp-webhook-secret"


class PurchaseSettings(ServiceSettings, TicketSigningSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    service_name: str = "purchase-svc"
    db_schema: str = SCHEMA
    database_url: str = Field(
        default="postgresql+asyncpg://purchase_svc@127.0.0.1:5432/crowdify", alias="PURCHASE_SVC_DATABASE_URL"
    )
    catalog_queue: str = Field(default="purchase-svc.catalog", alias="PURCHASE_SVC_CATALOG_QUEUE")
    consumer_prefetch: int = Field(default=32, alias="PURCHASE_SVC_CONSUMER_PREFETCH")
    # Orders of cancelled events settled at once by each worker (a connection and, for a paid
    # order, a Mercado Pago refund each; docs/adr/0022).
    cancellation_settling_at_once: int = Field(
        default=4, ge=1, le=32, alias="PURCHASE_SVC_CANCELLATION_SETTLING_AT_ONCE"
    )
    worker_metrics_host: str = Field(default="127.0.0.1", alias="PURCHASE_SVC_WORKER_METRICS_HOST")
    # 0 turns the worker's /metrics endpoint off.
    worker_metrics_port: int = Field(default=9102, alias="PURCHASE_SVC_WORKER_METRICS_PORT")
    # Where Mercado Pago sends notifications and buyers come back to (reachable from outside).
    public_base_url: str = Field(default="http://localhost:8000", alias="PURCHASE_SVC_PUBLIC_BASE_URL")
    frontend_base_url: str = Field(default="http://localhost:8000", alias="PURCHASE_SVC_FRONTEND_BASE_URL")

    # Refused Mercado Pago notifications (stored without their bodies) are deleted after this.
    refused_notification_retention_days: int = Field(
        default=30, ge=1, alias="PURCHASE_SVC_REFUSED_NOTIFICATION_RETENTION_DAYS"
    )
    # Orders one buyer (the token's sub, however the header is spelt) may place per minute.
    orders_per_minute: int = Field(default=10, ge=1, alias="PURCHASE_SVC_ORDERS_PER_MINUTE")
    # Most orders an API process places in one transaction (group commit, ADR 0019), and so in
    # one purchase.orders.placed.v1; 1 places every order alone.
    place_batch_max: int = Field(
        default=64, ge=1, le=ORDERS_PER_MESSAGE, alias="PURCHASE_SVC_PLACE_BATCH_MAX"
    )
    # The share of successful requests the API writes an access line for (errors and requests
    # slow by their own doing always are): in an on-sale a line per order costs purchase-api and
    # the log pipeline more than a sample tells an operator.
    access_log_sample: float = Field(default=1.0, ge=0, le=1, alias="PURCHASE_SVC_ACCESS_LOG_SAMPLE")

    mercadopago_access_token: SecretStr = Field(
        default=SecretStr(DEV_MERCADOPAGO_ACCESS_TOKEN), alias="MERCADOPAGO_ACCESS_TOKEN"
    )
    mercadopago_api_base_url: str = Field(default="http://localhost:8200", alias="MERCADOPAGO_API_BASE_URL")
    mercadopago_webhook_secret: SecretStr = Field(
        default=SecretStr(DEV_MERCADOPAGO_WEBHOOK_SECRET), alias="MERCADOPAGO_WEBHOOK_SECRET"
    )
    # The secret replaced by a "Reset" in Mercado Pago's panel, accepted until it is removed.
    mercadopago_webhook_secret_previous: SecretStr | None = Field(
        default=None, alias="MERCADOPAGO_WEBHOOK_SECRET_PREVIOUS"
    )
    mercadopago_timeout_seconds: float = Field(default=10.0, alias="MERCADOPAGO_TIMEOUT_SECONDS")
    mercadopago_breaker_threshold: int = Field(default=5, alias="MERCADOPAGO_BREAKER_THRESHOLD")
    mercadopago_breaker_ttl_seconds: float = Field(default=30.0, alias="MERCADOPAGO_BREAKER_TTL_SECONDS")
    # Calls in flight at once, each on its own thread and kept-alive connection
    # (adapters/mercadopago.py, DEFAULT_CONCURRENT_CALLS).
    mercadopago_max_concurrent_calls: int = Field(
        default=DEFAULT_CONCURRENT_CALLS, ge=1, alias="MERCADOPAGO_MAX_CONCURRENT_CALLS"
    )

    def mercadopago_webhook_secrets(self) -> tuple[str, ...]:
        """The secrets a webhook signature may be made with: the current one, then the previous."""
        previous = self.mercadopago_webhook_secret_previous
        secrets = [self.mercadopago_webhook_secret.get_secret_value()]
        if previous is not None and previous.get_secret_value():
            secrets.append(previous.get_secret_value())
        return tuple(secrets)

    def required_secrets(self) -> dict[str, tuple[SecretStr | None, str | None]]:
        return {
            **super().required_secrets(),
            "MERCADOPAGO_ACCESS_TOKEN": (self.mercadopago_access_token, DEV_MERCADOPAGO_ACCESS_TOKEN),
            "MERCADOPAGO_WEBHOOK_SECRET": (self.mercadopago_webhook_secret, DEV_MERCADOPAGO_WEBHOOK_SECRET),
        }


@lru_cache
def get_settings() -> PurchaseSettings:
    return PurchaseSettings()
