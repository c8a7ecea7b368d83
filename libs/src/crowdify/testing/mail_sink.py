"""The SMTP sink's JSON API (maildev) as tests read it: the messages to one address and their
attachments, whatever else the sink holds.

A sink is shared by the running platform, other test runs and people trying things by hand, so a
message's ``to`` can take any shape: missing or null (only Bcc), an address list, or groups
(``Amigos: ana@x.cl, beto@x.cl;`` arrives as ``{"name": "Amigos", "group": [...]}`` and
``undisclosed-recipients:;`` as an empty group). Recipients are read without assuming a shape, and a
message that is not for the address asked about is skipped, never read further.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from crowdify.testing.polling import wait_until

Message = dict[str, Any]


def recipients(message: Mapping[str, Any]) -> set[str]:
    """The lower-cased addresses in a message's ``To``, members of groups included."""
    found: set[str] = set()
    pending = _entries(message.get("to"))
    while pending:
        entry = pending.pop()
        if not isinstance(entry, Mapping):
            continue
        address = entry.get("address")
        if isinstance(address, str) and address:
            found.add(address.lower())
        pending.extend(_entries(entry.get("group")))
    return found


def _entries(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


class MailSinkClient:
    """A client of the sink's JSON API at ``api_url`` (``http://127.0.0.1:8025`` under ``make infra``)."""

    def __init__(self, api_url: str, *, timeout: float = 10.0) -> None:
        self._http = httpx.AsyncClient(base_url=api_url, timeout=timeout)

    async def __aenter__(self) -> MailSinkClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._http.aclose()

    async def wait_until_answering(self, *, within: float = 30.0) -> None:
        """Return once the sink's API answers (a sink just started takes a moment)."""

        async def answers() -> bool:
            try:
                return (await self._http.get("/email")).status_code == 200
            except httpx.TransportError:
                return False

        await wait_until(answers, within=within, interval=0.2, message="the SMTP sink answers")

    async def messages(self) -> list[Message]:
        """Every message the sink holds, whoever it is for."""
        response = await self._http.get("/email")
        response.raise_for_status()
        listing = response.json()
        return [m for m in listing if isinstance(m, dict)] if isinstance(listing, list) else []

    async def to(self, address: str) -> list[Message]:
        """The messages whose ``To`` names ``address`` (case-insensitive)."""
        wanted = address.lower()
        return [m for m in await self.messages() if wanted in recipients(m)]

    async def wait_for(self, address: str, count: int = 1, *, within: float = 15.0) -> list[Message]:
        """The messages to ``address`` once there are at least ``count``."""

        async def arrived() -> list[Message]:
            found = await self.to(address)
            return found if len(found) >= count else []

        return await wait_until(
            arrived, within=within, interval=0.1, message=f"{count} email(s) to {address}"
        )

    async def attachment(self, message: Mapping[str, Any], index: int = 0) -> bytes:
        """The content of a message's ``index``-th attachment."""
        name = message["attachments"][index]["generatedFileName"]
        response = await self._http.get(f"/email/{message['id']}/attachment/{name}")
        response.raise_for_status()
        return response.content
