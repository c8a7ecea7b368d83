"""The broker objects the code declares, as a RabbitMQ definitions document.

deploy/rabbitmq/definitions.json must hold exactly these exchanges, queues and bindings: RabbitMQ
refuses a declaration whose arguments differ from the existing object's (PRECONDITION_FAILED), so
a definitions file that drifted from the code would stop every worker at start. The test compares
the two; after a topology change print the new document with

    uv run --frozen python tools/tests/deploy/expected_topology.py

and merge it into the file (users and policies are not generated: they are the file's own).

The consumer queues come from each service's worker: its settings name the queue and its handlers
the routing keys. A service whose worker does not exist yet in this checkout is left out.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from typing import Any

from crowdify.messaging.exchange import exchange_arguments, unrouted_name, unrouted_queue_arguments
from crowdify.messaging.topology import ConsumerTopology

EXCHANGE = "crowdify"
VHOST = "/"
# (service, Python package) of every service with a consumer.
SERVICES: tuple[tuple[str, str], ...] = (
    ("event-svc", "event_svc"),
    ("purchase-svc", "purchase_svc"),
    ("validation-svc", "validation_svc"),
    ("notification-svc", "notification_svc"),
    ("pdf-svc", "pdf_svc"),
    ("admin-svc", "admin_svc"),
)


def worker_available(package: str) -> bool:
    return importlib.util.find_spec(package) is not None and (
        importlib.util.find_spec(f"{package}.worker") is not None
    )


def consumer_of(package: str) -> tuple[str, list[str]]:
    """(queue, routing keys) of the package's worker, built with its default settings (no I/O)."""
    settings = importlib.import_module(f"{package}.settings").get_settings()
    worker = importlib.import_module(f"{package}.worker").Worker(settings)
    consumer = worker.consumer
    return consumer.queue, sorted(consumer._handlers)


def expected_definitions() -> dict[str, Any]:
    unrouted = unrouted_name(EXCHANGE)
    exchanges = [
        _exchange(unrouted, "fanout", {}),
        _exchange(EXCHANGE, "topic", exchange_arguments(EXCHANGE)),
    ]
    queues = [_queue(unrouted, unrouted_queue_arguments())]
    bindings = [_binding(unrouted, unrouted, "")]
    for _service, package in SERVICES:
        if not worker_available(package):
            continue
        queue, routing_keys = consumer_of(package)
        topology = ConsumerTopology(exchange=EXCHANGE, queue=queue, queue_type="quorum")
        for name, arguments in topology.queue_arguments().items():
            queues.append(_queue(name, arguments))
        bindings.extend(_binding(EXCHANGE, queue, key) for key in routing_keys)
    return {
        "exchanges": sorted(exchanges, key=lambda e: e["name"]),
        "queues": sorted(queues, key=lambda q: q["name"]),
        "bindings": sorted(bindings, key=lambda b: (b["destination"], b["routing_key"])),
    }


def _exchange(name: str, kind: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "vhost": VHOST,
        "type": kind,
        "durable": True,
        "auto_delete": False,
        "internal": False,
        "arguments": arguments,
    }


def _queue(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "vhost": VHOST, "durable": True, "auto_delete": False, "arguments": arguments}


def _binding(source: str, destination: str, routing_key: str) -> dict[str, Any]:
    return {
        "source": source,
        "vhost": VHOST,
        "destination": destination,
        "destination_type": "queue",
        "routing_key": routing_key,
        "arguments": {},
    }


if __name__ == "__main__":
    print(json.dumps(expected_definitions(), indent=2))
