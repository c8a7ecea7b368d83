"""The contracts: naming, compatibility with their recorded schemas, and the generated catalogue."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

import crowdify.contracts  # noqa: F401 - registers every contract
from crowdify.contracts.base import REGISTRY
from crowdify.contracts.catalogue_doc import render
from crowdify.contracts.common import OrderLine
from crowdify.contracts.purchase import OrderPlacedV1
from crowdify.contracts.snapshots import breaking_changes, current_schema, snapshot_path

REPO = Path(__file__).resolve().parents[3]
ROUTING_KEY = re.compile(r"^(catalog|purchase|validation|pdf|notification)\.[a-z_]+\.[a-z_]+\.v\d+$")
CONTRACTS = sorted(REGISTRY.values(), key=lambda c: c.routing_key())


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.routing_key())
def test_names_follow_context_aggregate_verb_version(contract):
    assert ROUTING_KEY.match(contract.routing_key())
    assert contract.__name__.endswith(f"V{contract.version}")
    assert contract.producer and contract.summary


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.routing_key())
def test_no_breaking_change_without_a_new_version(contract):
    path = snapshot_path(contract)
    assert path.exists(), f"record the schema of {contract.__name__}: make contract-snapshots"
    recorded = json.loads(path.read_text())
    assert breaking_changes(recorded, current_schema(contract)) == []


def test_the_compatibility_rule_catches_breaking_changes():
    old = {"properties": {"a": {"type": "string"}, "b": {"type": "integer"}}, "required": ["a"]}
    additive = {"properties": {**old["properties"], "c": {"type": "string"}}, "required": ["a"]}
    assert breaking_changes(old, additive) == []
    removed = {"properties": {"a": {"type": "string"}}, "required": ["a"]}
    assert breaking_changes(old, removed) == ["field 'b' removed"]
    retyped = {"properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "required": ["a"]}
    assert breaking_changes(old, retyped) == ["field 'a' changed"]
    stricter = {"properties": old["properties"], "required": ["a", "b"]}
    assert breaking_changes(old, stricter) == ["field 'b' became required"]


def test_consumers_ignore_fields_they_do_not_know():
    payload = {
        "order_id": str(uuid.uuid4()),
        "event_id": str(uuid.uuid4()),
        "user_id": "u",
        "lines": [{"ticket_type_id": str(uuid.uuid4()), "quantity": 1, "seat": "A1"}],
        "placed_at": datetime.now(UTC).isoformat(),
        "coupon": "added-later",
    }
    order = OrderPlacedV1.model_validate(payload)
    assert order.lines[0] == OrderLine(ticket_type_id=order.lines[0].ticket_type_id, quantity=1)


def test_the_generated_catalogue_is_current():
    assert (REPO / "docs" / "events.md").read_text() == render(), "run: make events-doc"
