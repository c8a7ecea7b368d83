"""Startup's objects frozen out of the garbage collector's full collections (crowdify.heap)."""

from __future__ import annotations

import gc
import weakref

from crowdify.heap import freeze_after_startup


class Node:
    """Something only the cyclic collector can free once it points at itself."""

    def __init__(self) -> None:
        self.me = self


def test_startup_objects_are_frozen_only_when_asked_and_garbage_is_collected_first() -> None:
    assert gc.get_freeze_count() == 0, "an earlier test left objects frozen"
    freeze_after_startup(False)
    assert gc.get_freeze_count() == 0

    garbage = weakref.ref(Node())
    kept = Node()
    try:
        freeze_after_startup(True)
        assert gc.get_freeze_count() > 0
        assert garbage() is None  # collected before the freeze, not frozen for good
        assert kept.me is kept
    finally:
        gc.unfreeze()
