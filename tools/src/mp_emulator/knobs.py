"""Delivery knobs: defaults from settings, changed by ``POST /__emulator/config`` or per call."""

from __future__ import annotations

from dataclasses import dataclass, replace

from pydantic import BaseModel, Field

from mp_emulator.settings import EmulatorSettings, NotificationFormat


class KnobsIn(BaseModel):
    """Every field optional: what a request leaves out keeps its configured value."""

    duplicates: int | None = Field(default=None, ge=1, le=20)  # deliver each notification N times
    delay_seconds: float | None = Field(default=None, ge=0, le=3600)  # wait before delivering
    reorder: bool | None = None  # deliver payment.updated before payment.created
    notification_format: NotificationFormat | None = None  # webhook, legacy ipn, or both
    omit_request_id: bool | None = None  # no x-request-id header (and none in the manifest)
    uppercase_ids: bool | None = None  # data.id upper-cased (signed in lower case, as MP's docs say)
    retry_schedule: list[float] | None = None  # seconds between attempts after a non-2xx answer


@dataclass(frozen=True)
class Knobs:
    duplicates: int
    delay_seconds: float
    reorder: bool
    notification_format: NotificationFormat
    omit_request_id: bool
    uppercase_ids: bool
    retry_schedule: tuple[float, ...]

    @classmethod
    def from_settings(cls, settings: EmulatorSettings) -> Knobs:
        return cls(
            duplicates=settings.duplicates,
            delay_seconds=settings.delay_seconds,
            reorder=settings.reorder,
            notification_format=settings.notification_format,
            omit_request_id=settings.omit_request_id,
            uppercase_ids=settings.uppercase_ids,
            retry_schedule=tuple(settings.retry_schedule),
        )

    def merged(self, overrides: KnobsIn | None) -> Knobs:
        if overrides is None:
            return self
        # Only the knob fields: request bodies extend KnobsIn with their own (status ...).
        changes = overrides.model_dump(include=set(KnobsIn.model_fields), exclude_none=True)
        if "retry_schedule" in changes:
            changes["retry_schedule"] = tuple(changes["retry_schedule"])
        return replace(self, **changes)

    def to_json(self) -> dict[str, object]:
        return {
            "duplicates": self.duplicates,
            "delay_seconds": self.delay_seconds,
            "reorder": self.reorder,
            "notification_format": self.notification_format,
            "omit_request_id": self.omit_request_id,
            "uppercase_ids": self.uppercase_ids,
            "retry_schedule": list(self.retry_schedule),
        }
