"""Orders placed together: the placements waiting in one API process share a round trip, a commit
and the send of their outbox rows (group commit, ADR 0019).

In an on-sale every buyer's request placed its order with a statement and a commit of its own,
then sent the order's outbox row in a second transaction. Here the orders that reach an API
process while a batch is being placed form the next batch (up to ``PURCHASE_SVC_PLACE_BATCH_MAX``;
a batch never waits for more): ``place_order_batch`` (migration 0006) places each exactly as the
single statement would, in one transaction, and announces the placed ones in one outbox row, a
``purchase.orders.placed.v1`` sent on the same connection: one publish and one delivery per
consumer for the batch, where a message per order cost that for every order. A batch of one is
the single statement itself, with its own message. A batch that fails committed nothing, and its
orders are placed again one by one, each with its own answer or error.
"""

from __future__ import annotations

from collections.abc import Sequence

from crowdify.contracts.purchase import OrdersPlacedV1, PlacedOrder
from crowdify.group_commit import GroupCommitLane
from crowdify.messaging.envelope import Envelope
from crowdify.messaging.outbox import Outbox, Outgoing
from crowdify.messaging.outbox_dispatch import Pending
from purchase_svc.adapters.order_statements import OrderStatements, OrderToPlace, Placement, narrowed

# The lane's name in its metrics (crowdify_group_commit_batch_items{lane}).
LANE = "order-placements"


def announcement(outbox: Outbox, orders: Sequence[PlacedOrder]) -> Envelope:
    """The ``purchase.orders.placed.v1`` that announces ``orders``: one order placed alone
    (correlated with it), or a batch's (a correlation id of its own; :func:`narrowed` to those
    placed). Built once a placement needs it, not for every order that may be placed alone."""
    correlation = str(orders[0].order_id) if len(orders) == 1 else None
    [envelope], _ = outbox.envelopes_for([Outgoing(OrdersPlacedV1(orders=tuple(orders)), correlation)])
    return envelope


class PlacingTogether:
    def __init__(
        self, statements: OrderStatements, outbox: Outbox, *, per_minute: int, max_batch: int
    ) -> None:
        self._statements = statements
        self._outbox = outbox
        self._per_minute = per_minute
        self._lane: GroupCommitLane[OrderToPlace, Placement] = GroupCommitLane(
            LANE, self._place, max_batch=max_batch
        )

    async def place(self, item: OrderToPlace) -> Placement | None:
        """``item``'s placement (its outbox row sent if it was placed), or None when its batch
        failed: nothing of the batch was committed, and the caller places the order alone."""
        return await self._lane.submit(item)

    async def _place(self, batch: Sequence[OrderToPlace]) -> list[Placement]:
        # Sorted by order id: two batches holding twins of each other's orders (one buyer's retry
        # with the same Idempotency-Key, at two processes) lock them in the same order.
        order = sorted(range(len(batch)), key=lambda position: batch[position].order.id)
        async with self._statements.connection() as connection:
            if len(batch) == 1:
                [item] = batch
                envelope = announcement(self._outbox, [item.announced])
                placements = [
                    await self._statements.place(connection, item, envelope, per_minute=self._per_minute)
                ]
                sent = [Pending(envelope, item.headers)] if placements[0].placed else []
            else:
                in_order = [batch[position] for position in order]
                # The lane's task has a context of its own: no request's ids reach this message.
                envelope = announcement(self._outbox, [item.announced for item in in_order])
                placements = await self._statements.place_many(
                    connection, in_order, envelope, per_minute=self._per_minute
                )
                placed = any(placement.placed for placement in placements)
                sent = [Pending(narrowed(envelope, placements), {})] if placed else []
            # On the connection the orders were placed on; a send that fails leaves the row to
            # the relay and fails no order.
            await self._outbox.send_pending(connection, sent)
        by_position = dict(zip(order, placements, strict=True))
        return [by_position[position] for position in range(len(batch))]
