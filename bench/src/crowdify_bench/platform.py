"""The running platform as the benchmarks use it: tokens, events, door devices, stats, all
through the gateway, as an organiser and door staff would."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from crowdify.auth import issue_backend_token
from crowdify.testing import wait_until
from crowdify_bench.load import Addresses, bearer, call, session
from crowdify_bench.settings import BenchSettings


class PlatformError(RuntimeError):
    """The platform answered something a benchmark cannot go on from."""


@dataclass
class Platform:
    settings: BenchSettings
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    # Staff calls (creating events, registering devices) come from addresses of their own.
    addresses: Addresses = field(default_factory=lambda: Addresses(count=1024, offset=60000))
    # Every event this run created, for ``release_holds``.
    created_events: list[str] = field(default_factory=list)
    # The door events whose tickets the run wrote straight into validation-svc's registry
    # (``door_seed.prepare``), for ``door_seed.remove_seeded``.
    seeded_door_events: list[str] = field(default_factory=list)

    @property
    def secret(self) -> str:
        return self.settings.jwt_secret.get_secret_value()

    def token(self, role: str, subject: str | None = None, email: str | None = None) -> str:
        subject = subject or f"bench-{role}-{uuid.uuid4().hex[:12]}"
        return issue_backend_token(self.secret, subject=subject, role=role, email=email)

    def buyer_email(self, n: int) -> str:
        return f"buyer{n}.{self.run_id}@bench.example.com"

    def buyer_token(self, n: int) -> str:
        """A distinct buyer per order: the gateway and purchase-svc limit orders per person."""
        return self.token("user", f"bench-{self.run_id}-buyer-{n}", self.buyer_email(n))

    def staff(self) -> dict[str, str]:
        # A fresh admin token per call: staff endpoints are rate-limited per credential.
        return bearer(self.token("admin"), self.addresses.next())

    def http(self, connections: int = 16, timeout: float = 30.0) -> aiohttp.ClientSession:
        return session(self.settings.gateway_url, connections, timeout)

    async def ready(self) -> dict[str, Any]:
        async with self.http(1, 5) as http:
            answer = await call(http, "GET", "/ready")
        if answer.status != 200:
            raise PlatformError(f"the platform is not ready ({answer.status} {answer.body or answer.error})")
        return dict(answer.body)

    async def create_event(
        self, http: aiohttp.ClientSession, label: str, capacity: int, max_per_order: int = 10
    ) -> tuple[str, str]:
        """A published event with one ticket type of ``capacity``; holds last the longest allowed
        (two hours), so none expires while the run goes on."""
        starts = (datetime.now(UTC) + timedelta(days=30)).isoformat()
        body = {
            "name": f"Bench {label} {self.run_id}",
            "venue": "Estadio Nacional",
            "city": "Santiago",
            "starts_at": starts,
            "hold_minutes": 120,
        }
        created = await call(http, "POST", "/api/v1/events", json=body, headers=self.staff())
        self._expect(created.status == 201, "create the event", created.body)
        event_id = created.body["id"]
        kind = {"name": "General", "price": 15000, "capacity": capacity, "max_per_order": max_per_order}
        path = f"/api/v1/events/{event_id}/ticket-types"
        ticket_type = await call(http, "POST", path, json=kind, headers=self.staff())
        self._expect(ticket_type.status == 201, "add the ticket type", ticket_type.body)
        published = await call(http, "POST", f"/api/v1/events/{event_id}/publish", headers=self.staff())
        self._expect(published.status == 200, "publish the event", published.body)
        self.created_events.append(str(event_id))
        return str(event_id), str(ticket_type.body["id"])

    async def inventory(self, http: aiohttp.ClientSession, event_id: str) -> dict[str, Any]:
        """event-svc's counters of the event's (only) ticket type: capacity, sold, held."""
        stats = await call(http, "GET", f"/api/v1/events/{event_id}/stats", headers=self.staff())
        self._expect(stats.status == 200, "read the event's stats", stats.body)
        return dict(stats.body["ticket_types"][0])

    async def attendance(self, http: aiohttp.ClientSession, event_id: str) -> dict[str, Any]:
        path = f"/api/v1/validation/events/{event_id}/stats"
        stats = await call(http, "GET", path, headers=self.staff())
        self._expect(stats.status == 200, "read the attendance", stats.body)
        return dict(stats.body)

    async def register_devices(self, http: aiohttp.ClientSession, event_id: str, count: int) -> list[str]:
        """``count`` door devices of the event, each with its own scanner token."""
        gate = asyncio.Semaphore(8)

        async def one(n: int) -> str:
            async with gate:
                body = {"name": f"bench door {n}", "event_id": event_id}
                device = await call(
                    http, "POST", "/api/v1/validation/devices", json=body, headers=self.staff()
                )
            self._expect(device.status == 201, "register a door device", device.body)
            return str(device.body["token"])

        return list(await asyncio.gather(*(one(n) for n in range(count))))

    async def release_holds(self, within: float = 300) -> int:
        """Cancel the run's events that still hold seats, and wait until none holds any; returns
        how many were cancelled. Their holds last two hours: left alone, thousands would expire
        together long after the run, and whatever ran on the platform then (a test suite, a
        demo) would find its orders queued behind the expiries."""
        async with self.http(4, 30) as http:
            holding = [e for e in self.created_events if (await self.inventory(http, e))["held"] > 0]
            for event_id in holding:
                body = {"reason": "Fin de la medición de rendimiento"}
                path = f"/api/v1/events/{event_id}/cancel"
                cancelled = await call(http, "POST", path, json=body, headers=self.staff())
                self._expect(cancelled.status == 200, "cancel the event", cancelled.body)
            for event_id in holding:
                await self.until_nothing_held(http, event_id, within)
        self.created_events.clear()
        return len(holding)

    async def until_nothing_held(self, http: aiohttp.ClientSession, event_id: str, within: float) -> None:
        """Return once the event holds no seat (its holds released), or fail after ``within`` s."""

        async def nothing_held() -> bool:
            return bool((await self.inventory(http, event_id))["held"] == 0)

        await wait_until(nothing_held, within=within, interval=0.5, message=f"event {event_id} holds no seat")

    @staticmethod
    def _expect(ok: bool, what: str, body: Any) -> None:
        if not ok:
            raise PlatformError(f"could not {what}: {str(body)[:300]}")
