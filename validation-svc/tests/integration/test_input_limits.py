"""Odd input never reaches the database: NUL in a device's name and a manifest cursor larger than
PostgreSQL's bigint answer 422 problems, not 500s."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from crowdify.inputs import INT64_MAX
from crowdify.testing.inputs import unguarded_inputs
from tests.door import Door
from validation_svc.main import create_app

pytestmark = pytest.mark.integration


def test_every_string_and_integer_of_the_api_uses_the_shared_input_types(settings) -> None:
    assert unguarded_inputs(create_app(settings)) == []


async def test_nul_in_a_device_name_and_a_huge_cursor_are_422(
    door: Door, bearer: Callable[..., dict[str, str]]
) -> None:
    event = await door.event()
    answer = await door.client.post(
        "/api/v1/validation/devices",
        json={"name": "Puerta\x00", "event_id": str(event)},
        headers=bearer("coordinator"),
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    manifest = f"/api/v1/validation/events/{event}/manifest"
    huge = await door.client.get(manifest, params={"since": INT64_MAX + 1}, headers=bearer("coordinator"))
    assert huge.status_code == 422, huge.text
    fits = await door.client.get(manifest, params={"since": INT64_MAX}, headers=bearer("coordinator"))
    assert fits.status_code == 200, fits.text
    assert (
        await door.client.get(
            f"/api/v1/validation/events/{uuid.uuid4()}/manifest", headers=bearer("coordinator")
        )
    ).status_code == 404
