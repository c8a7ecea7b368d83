"""The group-commit lane: what arrives while a batch runs forms the next batch, in arrival order,
never waiting for more; a failed batch is reported so its owner can do the items alone."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from crowdify.group_commit import GroupCommitLane


class Recorder:
    """A batch runner that records its batches; each batch waits for ``release`` while open."""

    def __init__(self, fail_when: set[int] | None = None) -> None:
        self.batches: list[list[int]] = []
        self.opened = asyncio.Event()  # a batch has begun
        self.release = asyncio.Event()
        self.release.set()
        self.fail_when = fail_when or set()

    async def __call__(self, items: Sequence[int]) -> list[str]:
        self.batches.append(list(items))
        self.opened.set()
        await self.release.wait()
        if self.fail_when & set(items):
            raise RuntimeError("refused")
        return [f"done {item}" for item in items]


async def test_a_lone_item_is_a_batch_of_one_at_once() -> None:
    runner = Recorder()
    lane: GroupCommitLane[int, str] = GroupCommitLane("t", runner, max_batch=8)
    assert await lane.submit(1) == "done 1"
    assert runner.batches == [[1]]


async def test_items_arriving_during_a_batch_share_the_next_in_arrival_order_up_to_the_bound() -> None:
    runner = Recorder()
    lane: GroupCommitLane[int, str] = GroupCommitLane("t", runner, max_batch=3)
    runner.release.clear()
    first = asyncio.create_task(lane.submit(0))
    await runner.opened.wait()  # the first batch is open and holds item 0 alone
    later = [asyncio.create_task(lane.submit(n)) for n in range(1, 6)]
    await asyncio.sleep(0)
    runner.release.set()
    results = await asyncio.gather(first, *later)
    assert results == [f"done {n}" for n in range(6)]
    assert runner.batches == [[0], [1, 2, 3], [4, 5]]


async def test_with_weights_the_bound_counts_units_and_a_heavy_item_goes_alone() -> None:
    runner = Recorder()
    # Each item weighs its own value: a message listing that many orders.
    lane: GroupCommitLane[int, str] = GroupCommitLane("t", runner, max_batch=10, weight=lambda n: n)
    runner.release.clear()
    first = asyncio.create_task(lane.submit(1))
    await runner.opened.wait()
    later = [asyncio.create_task(lane.submit(n)) for n in (4, 5, 2, 12, 3)]
    await asyncio.sleep(0)
    runner.release.set()
    await asyncio.gather(first, *later)
    # 4 + 5 fit under 10, 2 would pass it; 12 is heavier than the bound: a batch of its own.
    assert runner.batches == [[1], [4, 5], [2], [12], [3]]


async def test_a_failed_batch_reports_none_for_each_item() -> None:
    runner = Recorder(fail_when={2})
    lane: GroupCommitLane[int, str] = GroupCommitLane("t", runner, max_batch=8)
    runner.release.clear()
    first = asyncio.create_task(lane.submit(0))
    await runner.opened.wait()
    later = [asyncio.create_task(lane.submit(n)) for n in (1, 2, 3)]
    await asyncio.sleep(0)
    runner.release.set()
    assert await asyncio.gather(first, *later) == ["done 0", None, None, None]


def test_a_batch_holds_at_least_one_item() -> None:
    with pytest.raises(ValueError):
        GroupCommitLane("t", Recorder(), max_batch=0)


async def test_an_item_whose_caller_went_away_while_waiting_is_not_done() -> None:
    runner = Recorder()
    lane: GroupCommitLane[int, str] = GroupCommitLane("t", runner, max_batch=8)
    runner.release.clear()
    first = asyncio.create_task(lane.submit(0))
    await runner.opened.wait()
    gone = asyncio.create_task(lane.submit(1))
    stays = asyncio.create_task(lane.submit(2))
    await asyncio.sleep(0)
    gone.cancel()
    runner.release.set()
    assert await asyncio.gather(first, stays) == ["done 0", "done 2"]
    assert gone.cancelled()
    assert runner.batches == [[0], [2]]


async def test_a_batch_that_answers_for_too_few_items_counts_as_failed() -> None:
    async def short(items: Sequence[int]) -> list[str]:
        return ["one answer"]

    lane: GroupCommitLane[int, str] = GroupCommitLane("t", short, max_batch=8)
    assert await asyncio.gather(lane.submit(1), lane.submit(2)) == [None, None]


# A lingering lane (a read model's): a batch that is not full waits for more, up to the linger.


async def test_a_lingering_lane_gathers_items_that_arrive_apart() -> None:
    runner = Recorder()
    lane: GroupCommitLane[int, str] = GroupCommitLane("t", runner, max_batch=8, linger=0.5)
    submitted = []
    for n in range(4):
        submitted.append(asyncio.create_task(lane.submit(n)))
        await asyncio.sleep(0.02)  # arrivals 20 ms apart, as messages come in a rush
    assert await asyncio.gather(*submitted) == [f"done {n}" for n in range(4)]
    assert runner.batches == [[0, 1, 2, 3]]


async def test_without_linger_items_arriving_apart_are_batches_of_their_own() -> None:
    runner = Recorder()
    lane: GroupCommitLane[int, str] = GroupCommitLane("t", runner, max_batch=8)
    submitted = []
    for n in range(4):
        submitted.append(asyncio.create_task(lane.submit(n)))
        await asyncio.sleep(0.02)
    await asyncio.gather(*submitted)
    assert runner.batches == [[0], [1], [2], [3]]


async def test_a_lingering_lane_starts_at_once_when_a_batch_is_full() -> None:
    runner = Recorder()
    lane: GroupCommitLane[int, str] = GroupCommitLane(
        "t", runner, max_batch=10, weight=lambda n: n, linger=60
    )
    done = await asyncio.wait_for(asyncio.gather(lane.submit(4), lane.submit(6)), timeout=5)
    assert done == ["done 4", "done 6"]
    assert runner.batches == [[4, 6]]


def test_a_lane_cannot_linger_for_a_negative_time() -> None:
    with pytest.raises(ValueError):
        GroupCommitLane("t", Recorder(), max_batch=1, linger=-1)
