"""The envelope on its own: no servers needed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from crowdify.contracts.base import Contract
from crowdify.messaging.envelope import ContractMismatchError, Envelope
from crowdify.messaging.wire import CAUSATION_ID, CORRELATION_ID, describe_error, envelope_message


class SeatTakenV1(Contract):
    name = "test.seat.taken"
    version = 1
    producer = "tests"

    seat: str
    price_minor: int


class SeatReleasedV1(Contract):
    name = "test.seat.released"
    version = 1
    producer = "tests"

    seat: str


def test_wrap_names_the_contract_and_parse_gives_it_back() -> None:
    envelope = Envelope.wrap(SeatTakenV1(seat="A1", price_minor=1500), correlation_id="order-1")

    assert envelope.type == "test.seat.taken"
    assert envelope.version == 1
    assert envelope.routing_key == "test.seat.taken.v1" == SeatTakenV1.routing_key()
    assert envelope.occurred_at.tzinfo is not None
    assert envelope.causation_id is None
    assert envelope.parse(SeatTakenV1) == SeatTakenV1(seat="A1", price_minor=1500)


def test_json_round_trip_and_unknown_fields_are_ignored() -> None:
    envelope = Envelope.wrap(SeatTakenV1(seat="A1", price_minor=1), correlation_id="c", causation_id="m0")
    data = envelope.model_dump(mode="json")
    data["added_later"] = True
    data["payload"]["also_added_later"] = "x"

    again = Envelope.model_validate(data)

    assert again.id == envelope.id
    assert again.parse(SeatTakenV1).seat == "A1"
    assert Envelope.from_json(envelope.to_json()) == envelope


def test_parse_refuses_another_contract() -> None:
    envelope = Envelope.wrap(SeatTakenV1(seat="A1", price_minor=1), correlation_id="c")

    with pytest.raises(ContractMismatchError):
        envelope.parse(SeatReleasedV1)


def test_envelope_is_frozen() -> None:
    envelope = Envelope.wrap(SeatReleasedV1(seat="B2"), correlation_id="c")

    with pytest.raises(ValueError):
        envelope.correlation_id = "other"  # type: ignore[misc]


def test_message_carries_identity_and_chain_in_properties_and_headers() -> None:
    envelope = Envelope.wrap(SeatReleasedV1(seat="B2"), correlation_id="order-9", causation_id="msg-1")

    message = envelope_message(envelope, {"x-request-id": "req-5"})

    assert message.message_id == str(envelope.id)
    assert message.correlation_id == "order-9"
    assert message.type == "test.seat.released.v1"
    assert message.delivery_mode == 2
    assert message.headers == {"x-request-id": "req-5", CORRELATION_ID: "order-9", CAUSATION_ID: "msg-1"}
    assert Envelope.from_json(message.body) == envelope


def test_error_descriptions_name_fields_but_never_quote_the_input() -> None:
    envelope = Envelope.wrap(SeatReleasedV1(seat="B2"), correlation_id="c")
    bad = envelope.model_copy(update={"payload": {"seat": {"holder": "Juana Pérez, 12.345.678-5"}}})

    with pytest.raises(ValidationError) as caught:
        bad.parse(SeatReleasedV1)

    described = describe_error(caught.value)
    assert described.startswith("ValidationError: seat: ")
    assert "Juana" not in described and "12.345.678-5" not in described
    assert describe_error(RuntimeError("boom")) == "RuntimeError: boom"
