"""What the broker does on its own with a consumer's queues."""

from __future__ import annotations

import aio_pika
import pytest

from crowdify.messaging.topology import DELIVERY_LIMIT, ConsumerTopology
from crowdify.testing import drain, wait_until

pytestmark = pytest.mark.integration


async def test_a_message_that_keeps_coming_back_unacknowledged_is_parked_by_the_broker(amqp, rabbit):
    # What a message that crashes the process before its ack looks like, delivery after delivery.
    topology = ConsumerTopology(exchange=rabbit.exchange, queue=rabbit.queue("crashy"), retry_delays=(0.1,))
    rabbit.track(topology.queue_names)
    channel = await amqp.channel(publisher_confirms=True)
    work_queue = await topology.declare(channel, ["test.crash.happened.v1"])
    await channel.default_exchange.publish(
        aio_pika.Message(b"{}", message_id="m1"), routing_key=topology.queue
    )

    for _ in range(DELIVERY_LIMIT + 1):
        delivery = await wait_until(lambda: work_queue.get(no_ack=False, fail=False))
        await delivery.nack(requeue=True)

    parking = await channel.declare_queue(topology.parking_queue, passive=True)
    [parked] = await drain(parking, 1)
    assert parked.message_id == "m1"
    assert parked.headers["x-first-death-reason"] == "delivery_limit"


def test_retry_tiers_are_named_by_their_delay_and_used_in_order():
    topology = ConsumerTopology(exchange="x", queue="svc.purpose", retry_delays=(1, 5, 0.25))

    assert topology.retry_queues == [
        "svc.purpose.retry.1000ms",
        "svc.purpose.retry.5000ms",
        "svc.purpose.retry.250ms",
    ]
    assert [topology.retry_queue_for(n) for n in range(4)] == [*topology.retry_queues, None]
    assert topology.parking_queue == "svc.purpose.parking"
