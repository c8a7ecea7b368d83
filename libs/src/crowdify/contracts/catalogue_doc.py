"""Render ``docs/events.md``: every integration message, who sends it, who consumes it, its fields."""

from __future__ import annotations

from typing import Any

from crowdify.contracts.base import REGISTRY, Contract

HEADER = """# Integration messages

Generated from the contracts in `libs/src/crowdify/contracts` by `make events-doc`; do not edit by
hand (a test fails when this page and the contracts disagree). Every message travels in the
envelope described in ADR 0002 (`id`, `type`, `version`, `occurred_at`, `correlation_id`,
`causation_id`, `payload`) on the topic exchange, with the routing key shown.

| routing key | producer | consumers | meaning |
|---|---|---|---|
"""


def _type_of(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " or ".join(_type_of(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return f"list of {_type_of(schema.get('items', {}))}"
    if "enum" in schema:
        return " / ".join(f"`{v}`" for v in schema["enum"])
    if "format" in schema:
        return f"{schema.get('type', '')} ({schema['format']})"
    return str(schema.get("type", "any"))


def _fields(contract: type[Contract]) -> list[str]:
    schema = contract.model_json_schema(mode="serialization")
    required = set(schema.get("required", []))
    rows = []
    for name, prop in schema.get("properties", {}).items():
        flag = "yes" if name in required else "no"
        rows.append(f"| `{name}` | {_type_of(prop)} | {flag} |")
    return rows


def render() -> str:
    contracts = sorted(REGISTRY.values(), key=lambda c: c.routing_key())
    lines = [HEADER.rstrip("\n")]
    for c in contracts:
        consumers = ", ".join(c.consumers) or "none yet"
        lines.append(f"| `{c.routing_key()}` | {c.producer} | {consumers} | {c.summary} |")
    for c in contracts:
        lines += ["", f"## `{c.routing_key()}` ({c.__name__})", "", c.summary, ""]
        lines += ["| field | type | required |", "|---|---|---|", *_fields(c)]
    return "\n".join(lines) + "\n"
