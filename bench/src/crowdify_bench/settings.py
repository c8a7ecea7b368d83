"""Where the benchmarks find the platform: the only place this package reads its environment."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from crowdify.settings import DEV_CODE_DIGEST_KEY, DEV_JWT_SECRET


class BenchSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    # 127.0.0.1 rather than localhost: the gateway listens on IPv4 only, and a client that tries
    # ::1 first pays a refused connection on every new socket.
    gateway_url: str = Field(default="http://127.0.0.1:8000", alias="BENCH_GATEWAY_URL")
    mail_api_url: str = Field(default="http://127.0.0.1:8025", alias="BENCH_MAIL_API_URL")
    mp_emulator_url: str = Field(default="http://localhost:8200", alias="MERCADOPAGO_API_BASE_URL")
    # Supabase Auth (its emulator in development): the on-sale's buyers may sign in there
    # (``--onsale-tokens supabase``, supabase_buyers.py).
    supabase_url: str = Field(default="http://localhost:8300", alias="SUPABASE_URL")
    postgres_admin_dsn: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/postgres", alias="POSTGRES_ADMIN_DSN"
    )
    amqp_url: str = Field(default="amqp://guest:guest@127.0.0.1:5672/", alias="AMQP_URL")
    amqp_exchange: str = Field(default="crowdify", alias="AMQP_EXCHANGE")
    # The broker baseline uses the queue type the platform's consumers use.
    amqp_queue_type: Literal["quorum", "classic"] = Field(default="quorum", alias="AMQP_QUEUE_TYPE")
    jwt_secret: SecretStr = Field(default=SecretStr(DEV_JWT_SECRET), alias="JWT_SECRET")
    # The door's seeded tickets carry their codes' digests, made with validation-svc's key.
    code_digest_key: SecretStr = Field(
        default=SecretStr(DEV_CODE_DIGEST_KEY), alias="VALIDATION_SVC_CODE_DIGEST_KEY"
    )
    # The consumer queues the seeding paths publish straight into (see door.py and inventory.py).
    orders_queue: str = Field(default="event-svc.orders", alias="EVENT_SVC_ORDERS_QUEUE")
    registry_queue: str = Field(default="validation-svc.events", alias="VALIDATION_SVC_EVENTS_QUEUE")
    # The door rush seeds its tickets straight into validation-svc's registry (door_seed.py).
    validation_database_url: str = Field(
        default="postgresql+asyncpg://validation_svc@127.0.0.1:5432/crowdify",
        alias="VALIDATION_SVC_DATABASE_URL",
    )
    # After releasing its holds the run waits until notification-svc has sent the emails that
    # queued (drain.py): its database and consumer queue, and how long at most.
    notification_database_url: str = Field(
        default="postgresql+asyncpg://notification_svc@127.0.0.1:5432/crowdify",
        alias="NOTIFICATION_SVC_DATABASE_URL",
    )
    notification_queue: str = Field(default="notification-svc.events", alias="NOTIFICATION_SVC_EVENTS_QUEUE")
    emails_within_seconds: float = Field(default=600.0, gt=0, alias="BENCH_EMAILS_WITHIN_SECONDS")
