"""Commands of concurrent requests sent together to the real Redis: one connection for a burst,
each command's own answer and error, and a command alone sent at once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from crowdify.redis_together import CommandsTogether
from crowdify.runtime import redis_client
from crowdify.settings import ServiceSettings

pytestmark = pytest.mark.integration


@pytest.fixture
async def named_client() -> AsyncIterator[tuple[Redis, str, Redis]]:
    """A client whose connections carry a name of their own, and a second client to watch them."""
    settings = ServiceSettings(_env_file=None, CROWDIFY_ENV="test")  # type: ignore[call-arg]
    name = f"together-{uuid.uuid4().hex[:8]}"
    pool = redis_client(settings).connection_pool
    pool.connection_kwargs["client_name"] = name
    client, watcher = Redis.from_pool(pool), redis_client(settings)
    yield client, name, watcher
    await client.aclose()
    await watcher.aclose()


async def _connections_named(watcher: Redis, name: str) -> int:
    return sum(1 for client in await watcher.client_list() if client.get("name") == name)


async def test_a_burst_goes_out_on_one_connection_with_each_answer_its_own(
    named_client: tuple[Redis, str, Redis],
) -> None:
    client, name, watcher = named_client
    together = CommandsTogether(client)
    keys = [f"test:together:{uuid.uuid4()}" for _ in range(50)]

    claimed = await asyncio.gather(*(together.set(key, str(n), nx=True, ex=30) for n, key in enumerate(keys)))
    again = await asyncio.gather(*(together.set(key, "again", nx=True, ex=30) for key in keys[:10]))
    read = await asyncio.gather(*(together.get(key) for key in keys))
    deleted = await together.delete(*keys)

    assert claimed == [True] * 50
    assert again == [None] * 10  # NX: already there
    assert read == [str(n).encode() for n in range(50)]
    assert deleted == 50
    # Each client command alone would have taken a connection of its own from the pool.
    assert await _connections_named(watcher, name) == 1


async def test_an_error_belongs_to_its_own_command(named_client: tuple[Redis, str, Redis]) -> None:
    client, _, _ = named_client
    together = CommandsTogether(client)
    a_list, a_string = f"test:together:{uuid.uuid4()}", f"test:together:{uuid.uuid4()}"
    await client.rpush(a_list, "x")
    try:
        answers = await asyncio.gather(
            together.set(a_string, "v", ex=30),
            together.get(a_list),
            together.get(a_string),
            return_exceptions=True,
        )
    finally:
        await client.delete(a_list, a_string)

    assert answers[0] is True
    assert isinstance(answers[1], ResponseError) and "WRONGTYPE" in str(answers[1])
    assert answers[2] == b"v"


async def test_a_command_alone_is_answered_and_one_after_it_starts_a_new_batch(
    named_client: tuple[Redis, str, Redis],
) -> None:
    client, _, _ = named_client
    together = CommandsTogether(client)
    key = f"test:together:{uuid.uuid4()}"

    assert await together.set(key, "1", ex=30) is True
    assert await together.get(key) == b"1"
    assert await together.delete(key) == 1


async def test_a_redis_that_cannot_be_reached_fails_every_command_of_the_batch() -> None:
    unreachable = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    together = CommandsTogether(unreachable)
    try:
        answers = await asyncio.gather(
            *(together.set(f"k{n}", "v") for n in range(3)), return_exceptions=True
        )
    finally:
        await unreachable.aclose()

    assert all(isinstance(answer, RedisConnectionError) for answer in answers), answers
