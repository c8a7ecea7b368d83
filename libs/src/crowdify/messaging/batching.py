"""Group commit for a consumer: the messages of one type that are waiting are handled together.

Deliveries join a lane (:class:`crowdify.group_commit.GroupCommitLane`) as the broker hands them
over, up to the consumer's prefetch; a batch takes every delivery waiting when it starts, in
arrival order, and never waits for more (unless the lane lingers: a read model's). What a batch
does (inbox, handler, commit) and what happens to the deliveries of a batch that failed (one by
one, with the usual retries) is the consumer's.
"""

from __future__ import annotations

from dataclasses import dataclass

from aio_pika.abc import AbstractIncomingMessage

from crowdify.contracts.base import Contract
from crowdify.group_commit import GroupCommitLane
from crowdify.messaging.envelope import Envelope


@dataclass(frozen=True)
class Delivery:
    """A parsed message waiting for its batch."""

    message: AbstractIncomingMessage
    envelope: Envelope
    event: Contract


# What a batch reports per delivery: True handled now, False already in the inbox (a duplicate).
DeliveryLane = GroupCommitLane[Delivery, bool]
