"""Run the emulator over real HTTP inside a test process, and read what it was sent.

``running_emulator()`` serves a fresh emulator on a free port and yields its base URL (what
``SENDGRID_API_BASE_URL`` points at; the SDK takes it as ``SendGridAPIClient(key, host=url)``);
``EmulatorInbox`` reads the accepted messages and switches outages.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from crowdify.testing.server import serving_built
from sendgrid_emulator.app import create_app
from sendgrid_emulator.settings import DEV_API_KEY, EmulatorSettings

__all__ = ["DEV_API_KEY", "EmulatorInbox", "running_emulator"]


@contextmanager
def running_emulator(**settings: Any) -> Iterator[str]:
    """A fresh emulator; ``settings`` are :class:`EmulatorSettings` fields (``api_keys=...``)."""
    with serving_built(lambda _url: create_app(EmulatorSettings(**settings))) as base_url:
        yield base_url


class EmulatorInbox:
    def __init__(self, base_url: str) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, timeout=10.0)

    async def __aenter__(self) -> EmulatorInbox:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._http.aclose()

    async def messages(self, to: str | None = None) -> list[dict[str, Any]]:
        response = await self._http.get("/__emulator/messages", params={"to": to} if to else None)
        response.raise_for_status()
        found: list[dict[str, Any]] = response.json()["messages"]
        return found

    async def outage(self, enabled: bool = True, status: int = 503) -> None:
        response = await self._http.post("/__emulator/outage", json={"enabled": enabled, "status": status})
        response.raise_for_status()
