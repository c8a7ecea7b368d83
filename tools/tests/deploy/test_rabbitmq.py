"""deploy/rabbitmq: the definitions the compose broker imports at boot must be what the code
declares, argument for argument, or every worker fails at start with PRECONDITION_FAILED."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import aio_pika
import pytest

from crowdify.messaging.exchange import declare_exchange
from crowdify.messaging.topology import ConsumerTopology
from crowdify.testing.settings import TestInfrastructureSettings

from .conftest import REPO, load_module

DEFINITIONS = REPO / "deploy/rabbitmq/definitions.json"
expected_topology = load_module(REPO / "tools/tests/deploy/expected_topology.py", "expected_topology")


@pytest.fixture(scope="module")
def definitions() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DEFINITIONS.read_text())
    return document


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    document: dict[str, Any] = expected_topology.expected_definitions()
    return document


def by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    names = [item["name"] for item in items]
    assert len(names) == len(set(names)), f"defined twice: {sorted(n for n in names if names.count(n) > 1)}"
    return {item["name"]: item for item in items}


def test_exchanges_are_the_codes(definitions: dict[str, Any], expected: dict[str, Any]) -> None:
    assert by_name(definitions["exchanges"]) == by_name(expected["exchanges"])


def test_every_queue_the_code_declares_is_defined_with_the_same_arguments(
    definitions: dict[str, Any], expected: dict[str, Any]
) -> None:
    defined = by_name(definitions["queues"])
    for name, queue in by_name(expected["queues"]).items():
        assert name in defined, f"{name} is declared by the code but missing from definitions.json"
        assert defined[name] == queue, name


def test_queues_of_services_without_a_worker_yet_follow_the_documented_default(
    definitions: dict[str, Any],
) -> None:
    """A consumer not in this checkout yet gets `<service>.events` (its settings' documented
    default); once its worker exists the test above compares it with the code instead."""
    defined = by_name(definitions["queues"])
    declared = set(by_name(expected_topology.expected_definitions()["queues"]))
    for service, package in expected_topology.SERVICES:
        if expected_topology.worker_available(package):
            continue
        topology = ConsumerTopology(exchange="crowdify", queue=f"{service}.events", queue_type="quorum")
        for name, arguments in topology.queue_arguments().items():
            assert defined[name]["arguments"] == arguments, name
    extra = {n for n in defined if n not in declared}
    for name in extra:
        assert any(
            name.startswith(f"{s}.")
            for s, p in expected_topology.SERVICES
            if not expected_topology.worker_available(p)
        ), f"{name} is in definitions.json but no code declares it"


def test_bindings_are_the_ones_the_code_makes(definitions: dict[str, Any], expected: dict[str, Any]) -> None:
    """A stale binding would route messages to a consumer that parks them as unknown-type; a
    missing one would send a new kind of message to the unrouted queue until the consumer's
    worker has started and bound it (a fresh broker, or a producer deployed first)."""

    def key(binding: dict[str, Any]) -> tuple[str, str, str]:
        return binding["source"], binding["destination"], binding["routing_key"]

    made = {key(b) for b in expected["bindings"]}
    defined = {key(b) for b in definitions["bindings"]}
    assert defined <= made, defined - made
    assert made <= defined, made - defined
    unrouted = ("crowdify.unrouted", "crowdify.unrouted", "")
    assert unrouted in defined


def test_policies_and_vhost(definitions: dict[str, Any]) -> None:
    assert definitions["vhosts"] == [{"name": "/"}]
    for policy in definitions["policies"]:
        assert policy["vhost"] == "/"
        # A policy must never change what a declaration checks; these are placement only.
        assert set(policy["definition"]) <= {"queue-leader-locator"}
    assert "users" not in definitions, "users come from the environment (users-from-env.sh)"


def renamed(document: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The definitions with every object name (and name inside an argument) given a prefix."""
    text = json.dumps(document)
    names = {e["name"] for e in document["exchanges"]} | {q["name"] for q in document["queues"]}
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(f'"{name}"', f'"{prefix}{name}"')
    renamed_document: dict[str, Any] = json.loads(text)
    return renamed_document


async def test_the_broker_accepts_the_codes_declarations_over_the_definitions(
    definitions: dict[str, Any], expected: dict[str, Any]
) -> None:
    """On the real broker: create every object as definitions.json says (under a unique prefix),
    then let the code declare the same objects; any difference in arguments is refused."""
    prefix = f"deploytest-{uuid.uuid4().hex[:8]}-"
    document = renamed(
        {
            **definitions,
            "queues": [q for q in definitions["queues"] if q["name"] in by_name(expected["queues"])],
        },
        prefix,
    )
    connection = await aio_pika.connect(TestInfrastructureSettings().amqp_url)
    try:
        channel = await connection.channel()
        for exchange in document["exchanges"]:
            await channel.declare_exchange(
                exchange["name"], exchange["type"], durable=True, arguments=exchange["arguments"]
            )
        for queue in document["queues"]:
            await channel.declare_queue(queue["name"], durable=True, arguments=queue["arguments"])
        # The code's own declarations on the same names.
        await declare_exchange(channel, f"{prefix}crowdify")
        for _service, package in expected_topology.SERVICES:
            if expected_topology.worker_available(package):
                queue, keys = expected_topology.consumer_of(package)
                topology = ConsumerTopology(
                    exchange=f"{prefix}crowdify", queue=f"{prefix}{queue}", queue_type="quorum"
                )
                await topology.declare(channel, keys)
    finally:
        cleanup = await connection.channel()
        for queue in document["queues"]:
            await cleanup.queue_delete(queue["name"])
        for exchange in document["exchanges"]:
            await cleanup.exchange_delete(exchange["name"])
        await connection.close()


def test_the_users_file_is_written_from_the_environment(tmp_path: Path) -> None:
    script = REPO / "deploy/rabbitmq/users-from-env.sh"
    env = {
        "PATH": "/usr/bin:/bin",
        "RABBITMQ_USER": "crowdify",
        "RABBITMQ_PASSWORD": "s3cret-Pass",
        "CROWDIFY_DEFINITIONS_DIR": str(tmp_path),
    }
    done = subprocess.run(["sh", str(script), "true"], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    users = json.loads((tmp_path / "20-users.json").read_text())
    assert users["users"] == [{"name": "crowdify", "password": "s3cret-Pass", "tags": "administrator"}]
    assert users["permissions"][0]["user"] == "crowdify"

    env["RABBITMQ_PASSWORD"] = 'quote"breaks-json'
    refused = subprocess.run(
        ["sh", str(script), "true"], env=env, capture_output=True, text=True, check=False
    )
    assert refused.returncode != 0
    del env["RABBITMQ_PASSWORD"]
    missing = subprocess.run(
        ["sh", str(script), "true"], env=env, capture_output=True, text=True, check=False
    )
    assert missing.returncode != 0 and "RABBITMQ_PASSWORD" in missing.stderr


def test_rabbitmq_conf_imports_the_definitions_directory() -> None:
    conf = (REPO / "deploy/rabbitmq/rabbitmq.conf").read_text()
    assert "definitions.import_backend = local_filesystem" in conf
    assert "definitions.local.path = /etc/rabbitmq/definitions.d" in conf
