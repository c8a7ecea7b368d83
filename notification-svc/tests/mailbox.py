"""The SMTP sink's JSON API (maildev): messages addressed to one recipient, and their attachments."""

from __future__ import annotations

from typing import Any

import httpx

from crowdify.testing import wait_until


class Mailbox:
    def __init__(self, api_url: str) -> None:
        self._http = httpx.AsyncClient(base_url=api_url, timeout=10.0)

    async def __aenter__(self) -> Mailbox:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._http.aclose()

    async def to(self, address: str) -> list[dict[str, Any]]:
        response = await self._http.get("/email")
        response.raise_for_status()
        wanted = address.lower()
        return [
            m
            for m in response.json()
            if any(str(r.get("address", "")).lower() == wanted for r in m.get("to", []))
        ]

    async def wait_for(self, address: str, count: int = 1, *, within: float = 15.0) -> list[dict[str, Any]]:
        """The messages to ``address`` once there are at least ``count``."""

        async def arrived() -> list[dict[str, Any]] | None:
            found = await self.to(address)
            return found if len(found) >= count else None

        found: list[dict[str, Any]] = await wait_until(
            arrived, within=within, interval=0.1, message=f"{count} email(s) to {address}"
        )
        return found

    async def attachment(self, message: dict[str, Any], index: int = 0) -> bytes:
        name = message["attachments"][index]["generatedFileName"]
        response = await self._http.get(f"/email/{message['id']}/attachment/{name}")
        response.raise_for_status()
        return response.content
