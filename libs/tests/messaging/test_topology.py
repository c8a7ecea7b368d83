"""What the broker does on its own with a consumer's queues, for each queue type."""

from __future__ import annotations

import aio_pika
import pytest

from crowdify.messaging.topology import DELIVERY_LIMIT, ConsumerTopology
from crowdify.testing import drain, wait_until

pytestmark = pytest.mark.integration


async def test_a_message_that_keeps_coming_back_unacknowledged_is_parked_by_the_broker(amqp, rabbit):
    # What a message that crashes the process before its ack looks like, delivery after delivery.
    # Quorum queues only: classic queues have no delivery limit.
    topology = ConsumerTopology(
        exchange=rabbit.exchange, queue=rabbit.queue("crashy"), retry_delays=(0.1,), queue_type="quorum"
    )
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


@pytest.mark.parametrize("queue_type", ["classic", "quorum"])
async def test_retry_tiers_send_back_to_the_work_queue_and_rejects_go_to_parking(amqp, rabbit, queue_type):
    topology = ConsumerTopology(
        exchange=rabbit.exchange, queue=rabbit.queue("tiers"), retry_delays=(0.2,), queue_type=queue_type
    )
    rabbit.track(topology.queue_names)
    channel = await amqp.channel(publisher_confirms=True)
    work_queue = await topology.declare(channel, ["test.tier.passed.v1"])
    # Declaring again (another instance of the consumer starting) is accepted: same arguments.
    await topology.declare(channel, ["test.tier.passed.v1"])

    [retry_queue] = topology.retry_queues
    await channel.default_exchange.publish(
        aio_pika.Message(b"{}", message_id="waited"), routing_key=retry_queue
    )
    back = await wait_until(lambda: work_queue.get(no_ack=False, fail=False), within=5)
    assert back.message_id == "waited"
    assert back.headers["x-first-death-reason"] == "expired"
    await back.reject(requeue=False)

    parking = await channel.declare_queue(topology.parking_queue, passive=True)
    [parked] = await drain(parking, 1)
    assert parked.message_id == "waited"
    # x-death lists the most recent dead-lettering first (x-last-death-* is 3.12+ only).
    assert [death["reason"] for death in parked.headers["x-death"]] == ["rejected", "expired"]


def test_queue_arguments_follow_the_queue_type():
    quorum = ConsumerTopology(exchange="x", queue="q", retry_delays=(1,), queue_type="quorum")
    classic = ConsumerTopology(exchange="x", queue="q", retry_delays=(1,), queue_type="classic")

    assert quorum.queue_arguments() == {
        "q.parking": {"x-queue-type": "quorum"},
        "q": {
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": "q.parking",
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
            "x-delivery-limit": DELIVERY_LIMIT,
        },
        "q.retry.1000ms": {
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": "q",
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
            "x-message-ttl": 1000,
        },
    }
    assert classic.queue_arguments() == {
        "q.parking": {"x-queue-type": "classic"},
        "q": {
            "x-queue-type": "classic",
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": "q.parking",
        },
        "q.retry.1000ms": {
            "x-queue-type": "classic",
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": "q",
            "x-message-ttl": 1000,
        },
    }
    assert ConsumerTopology(exchange="x", queue="q").queue_type == "quorum"


def test_an_unknown_queue_type_is_refused():
    with pytest.raises(ValueError, match="quorum, classic"):
        ConsumerTopology(exchange="x", queue="q", queue_type="stream")  # type: ignore[arg-type]


def test_retry_tiers_are_named_by_their_delay_and_used_in_order():
    topology = ConsumerTopology(exchange="x", queue="svc.purpose", retry_delays=(1, 5, 0.25))

    assert topology.retry_queues == [
        "svc.purpose.retry.1000ms",
        "svc.purpose.retry.5000ms",
        "svc.purpose.retry.250ms",
    ]
    assert [topology.retry_queue_for(n) for n in range(4)] == [*topology.retry_queues, None]
    assert topology.parking_queue == "svc.purpose.parking"
