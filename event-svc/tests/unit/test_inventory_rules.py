"""Pure rules of the inventory, no I/O."""

from __future__ import annotations

import uuid

from crowdify.contracts.common import OrderLine
from event_svc.service.counters import Line
from event_svc.service.counters import merge as _merge
from event_svc.service.snapshots import available

A, B = uuid.UUID(int=1), uuid.UUID(int=2)


def test_lines_of_one_type_merge_and_sort_by_id():
    merged = _merge(
        [
            OrderLine(ticket_type_id=B, quantity=1),
            OrderLine(ticket_type_id=A, quantity=2),
            OrderLine(ticket_type_id=B, quantity=3),
        ]
    )
    assert merged == [Line(A, 2), Line(B, 4)]


def test_available_is_bounded_by_the_venue_and_never_negative():
    ticket_type = {"capacity": 100, "sold": 10, "held": 5}
    assert available(ticket_type) == 85
    assert available(ticket_type, {"capacity": 50, "sold": 30, "held": 5}) == 15
    assert available(ticket_type, {"capacity": None, "sold": 0, "held": 0}) == 85
    assert available({"capacity": 5, "sold": 5, "held": 1}) == 0
