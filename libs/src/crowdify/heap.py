"""Keeping the garbage collector's full collections off the request path.

A service process holds some 130,000 objects once started (modules, the app, pools, caches), and
CPython's full (generation 2) collection walks all of them: about 40 ms on an idle core, 70-340 ms
measured in validation-api under a door rush, where it ran every two seconds in each process and
freed nothing. Requests in flight survive the young collections and push the full one to run that
often; the objects it walks are the ones made at startup, which live as long as the process.

``gc.freeze()`` once started moves those objects to a permanent generation that collections skip
(CPython's documented use of it), so a full collection walks only what was made since. Cycles
among frozen objects are never collected: nothing is frozen before a collection has cleared the
garbage of startup, and nearly all of what is frozen lives as long as the process. The exception
is the connections open at startup (the pools' first ones, the broker's): one that is later
closed and replaced stays in memory if it was part of a cycle, once per connection open at the
freeze, a bounded cost paid once. In-process test suites, which
build and drop an app per test, turn it off (``GC_FREEZE_AFTER_STARTUP``), or every dropped app
would stay in memory.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


def freeze_after_startup(enabled: bool) -> None:
    """Collect startup's garbage, then freeze what is left (see the module's docstring)."""
    if not enabled:
        return
    gc.collect()
    gc.freeze()
    log.info("startup objects frozen out of garbage collection", extra={"frozen": gc.get_freeze_count()})
