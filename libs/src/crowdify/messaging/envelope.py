"""The envelope every message on the bus travels in.

The envelope is what a producer stores in its outbox and what a consumer reads from the queue:
identity (``id``, which is also the AMQP ``message_id`` and the consumer's inbox key), the contract
it carries (``type`` + ``version``), when it happened, and the chain it belongs to
(``correlation_id`` for the whole saga, ``causation_id`` for the message that caused this one).
"""

from __future__ import annotations

import builtins
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict

from crowdify.contracts.base import Contract

C = TypeVar("C", bound=Contract)


class ContractMismatchError(ValueError):
    """An envelope was parsed with a contract class it does not carry."""


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: UUID
    type: str
    version: int
    occurred_at: AwareDatetime
    correlation_id: str
    causation_id: str | None = None
    payload: dict[str, Any]

    @property
    def routing_key(self) -> str:
        return f"{self.type}.v{self.version}"

    @classmethod
    def wrap(cls, event: Contract, *, correlation_id: str, causation_id: str | None = None) -> Envelope:
        return cls(
            id=uuid4(),
            type=event.name,
            version=event.version,
            occurred_at=datetime.now(UTC),
            correlation_id=correlation_id,
            causation_id=causation_id,
            payload=event.model_dump(mode="json"),
        )

    def parse(self, contract: builtins.type[C]) -> C:
        """The payload as ``contract``; fields the contract does not know are ignored.

        (``builtins.type`` because the field ``type`` shadows the builtin inside the class.)
        """
        if contract.routing_key() != self.routing_key:
            raise ContractMismatchError(f"{self.routing_key} cannot be read as {contract.routing_key()}")
        return contract.model_validate(self.payload)

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_json(cls, body: bytes | str) -> Envelope:
        return cls.model_validate_json(body)
