"""JSON Schema snapshots of the contracts, and the rule that tells a compatible change from a
breaking one.

A change keeps the version when every consumer of the old schema still understands the new
messages: no field removed, no field's schema changed, no new required field. Anything else
needs a new contract class (``...V2``) and a new snapshot.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from crowdify.contracts.base import REGISTRY, Contract

SNAPSHOT_DIR = Path(__file__).parent / "schemas"


def current_schema(contract: type[Contract]) -> dict[str, Any]:
    return contract.model_json_schema(mode="serialization")


def snapshot_path(contract: type[Contract]) -> Path:
    return SNAPSHOT_DIR / f"{contract.routing_key()}.json"


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What in ``new`` would break a consumer written against ``old``."""
    problems = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, schema in old_props.items():
        if name not in new_props:
            problems.append(f"field {name!r} removed")
        elif new_props[name] != schema:
            problems.append(f"field {name!r} changed")
    for name in set(new.get("required", [])) - set(old.get("required", [])):
        if name not in old_props:
            problems.append(f"new required field {name!r}")
        else:
            problems.append(f"field {name!r} became required")
    if old.get("$defs") and new.get("$defs"):
        for def_name, def_schema in old["$defs"].items():
            if def_name in new["$defs"]:
                problems += [f"{def_name}: {p}" for p in breaking_changes(def_schema, new["$defs"][def_name])]
    return problems


def write_snapshots() -> list[Path]:
    """Record the schema of every contract that has no snapshot yet (never rewrites one)."""
    SNAPSHOT_DIR.mkdir(exist_ok=True)
    written = []
    for contract in REGISTRY.values():
        path = snapshot_path(contract)
        if not path.exists():
            path.write_text(json.dumps(current_schema(contract), indent=2, sort_keys=True) + "\n")
            written.append(path)
    return written
