"""The base of every integration message contract.

A contract is a frozen pydantic model with a ``name`` (``<context>.<aggregate>.<past-tense verb>``)
and a ``version``. Producer and consumers import the same class; the routing key on the bus is
``<name>.v<version>``. Additive optional fields keep the version; anything else is a new class
(``...V2``) that lives beside the old one until no producer sends it.
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict


class Contract(BaseModel):
    """One versioned integration message. Consumers ignore fields they do not know."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: ClassVar[str]
    version: ClassVar[int]
    producer: ClassVar[str]
    consumers: ClassVar[tuple[str, ...]] = ()
    summary: ClassVar[str] = ""

    @classmethod
    def routing_key(cls) -> str:
        return f"{cls.name}.v{cls.version}"


C = TypeVar("C", bound=type[Contract])

REGISTRY: dict[str, type[Contract]] = {}


def register(cls: C) -> C:
    """Class decorator: make the contract known by its routing key (docs, topology, parsing)."""
    key = cls.routing_key()
    if key in REGISTRY and REGISTRY[key] is not cls:
        raise ValueError(f"two contracts claim {key}")
    REGISTRY[key] = cls
    return cls
