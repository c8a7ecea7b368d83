"""What pdf-svc publishes, as the tests see it on the broker."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from crowdify.contracts.pdf import TicketsRenderedV1
from crowdify.messaging.envelope import Envelope
from crowdify.testing import wait_until

# How long a test waits for the worker: enough for a failed attempt and its retries in the
# first tiers (1 s, 5 s) when the servers shared with other test runs are busy.
WORKER_WITHIN = 45.0


@dataclass
class Recorder:
    """Reads what :func:`crowdify.testing.rabbitmq.recording` keeps of the ``pdf.*`` messages."""

    received: list[Envelope]

    def rendered(self, order_id: uuid.UUID) -> list[TicketsRenderedV1]:
        return [
            e.parse(TicketsRenderedV1)
            for e in self.received
            if e.type == TicketsRenderedV1.name and e.payload.get("order_id") == str(order_id)
        ]

    async def wait_rendered(
        self, order_id: uuid.UUID, *, revision: int = 1, within: float = WORKER_WITHIN
    ) -> TicketsRenderedV1:
        async def seen() -> TicketsRenderedV1 | None:
            return next((m for m in self.rendered(order_id) if m.revision == revision), None)

        found: TicketsRenderedV1 = await wait_until(
            seen, within=within, message=f"pdf.tickets.rendered.v1 r{revision} for {order_id}"
        )
        return found
