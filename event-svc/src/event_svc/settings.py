"""event-svc settings: the only place this service reads its environment."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from crowdify.settings import ServiceSettings

SCHEMA = "event"


class EventSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    service_name: str = "event-svc"
    db_schema: str = SCHEMA
    database_url: str = Field(
        default="postgresql+asyncpg://event_svc@127.0.0.1:5432/crowdify", alias="EVENT_SVC_DATABASE_URL"
    )
    reservations_queue: str = Field(default="event-svc.orders", alias="EVENT_SVC_ORDERS_QUEUE")
    hold_sweep_seconds: float = Field(default=2.0, alias="EVENT_SVC_HOLD_SWEEP_SECONDS")
    consumer_prefetch: int = Field(default=256, alias="EVENT_SVC_CONSUMER_PREFETCH")
    # Placed orders decided per transaction at most (group commit, ADR 0018); never more than the
    # prefetch lets the worker hold. Half the prefetch, so the next batch is in hand while one
    # commits. A batch waits on its commit and its decisions' publish whatever it holds: 128 took
    # the inventory step from about 1,200-1,600 decisions/s to 1,800-2,400 against 64 (256: no more).
    hold_batch_size: int = Field(default=128, alias="EVENT_SVC_HOLD_BATCH_SIZE")
    worker_metrics_host: str = Field(default="127.0.0.1", alias="EVENT_SVC_WORKER_METRICS_HOST")
    # 0 turns the worker's /metrics endpoint off.
    worker_metrics_port: int = Field(default=9101, alias="EVENT_SVC_WORKER_METRICS_PORT")


@lru_cache
def get_settings() -> EventSettings:
    return EventSettings()
