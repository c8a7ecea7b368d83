"""The emulator's state and the flows that span it: a payment happens, then it is notified."""

from __future__ import annotations

from dataclasses import dataclass

from mp_emulator.knobs import Knobs
from mp_emulator.notifier import Delivery, Notifier
from mp_emulator.resources import Payment
from mp_emulator.settings import EmulatorSettings
from mp_emulator.store import Store


@dataclass
class Outage:
    """``POST /__emulator/outage``: the Mercado Pago API answers ``status`` while enabled."""

    enabled: bool = False
    status: int = 503
    remaining: int | None = None  # fail only this many more calls, then recover by itself
    latency_seconds: float = 0.0  # every API call waits this long first, outage or not

    def to_json(self) -> dict[str, object]:
        return {
            "enabled": self.enabled,
            "status": self.status,
            "remaining": self.remaining,
            "latency_seconds": self.latency_seconds,
        }


class Emulator:
    def __init__(self, settings: EmulatorSettings) -> None:
        self.settings = settings
        self.store = Store(settings)
        self.notifier = Notifier(settings, Knobs.from_settings(settings))
        self.outage = Outage()

    def reset(self) -> None:
        """Forget every resource and delivery; knobs and outage go back to their defaults."""
        self.store.reset()
        self.notifier.reset()
        self.notifier.knobs = Knobs.from_settings(self.settings)
        self.outage = Outage()

    def pay(
        self, preference_id: str, status: str, status_detail: str | None, knobs: Knobs
    ) -> tuple[Payment, list[Delivery]]:
        payment = self.store.pay(self.store.preference(preference_id), status, status_detail)
        # A payment that is decided at once is created and then updated, as the real checkout does;
        # one left pending gets its payment.updated when it changes.
        actions = (
            ["payment.created"]
            if status in ("pending", "in_process")
            else ["payment.created", "payment.updated"]
        )
        return payment, self.notifier.notify(payment, actions, knobs)

    def updated(self, payment: Payment, knobs: Knobs | None = None) -> list[Delivery]:
        return self.notifier.notify(payment, ["payment.updated"], knobs or self.notifier.knobs)
