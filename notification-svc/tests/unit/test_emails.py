"""Email identity and the retry schedule."""

from __future__ import annotations

import uuid

from notification_svc.domain.emails import Kind, email_id, message_id, retry_delay


def test_an_email_is_named_by_its_order_kind_and_reference() -> None:
    order = uuid.uuid4()
    assert email_id(order, Kind.TICKETS) == email_id(order, Kind.TICKETS)
    assert email_id(order, Kind.TICKETS) != email_id(order, Kind.TICKETS, "resend-1")
    assert email_id(order, Kind.REFUND, "r1") != email_id(order, Kind.REFUND, "r2")
    assert email_id(order, Kind.TICKETS) != email_id(uuid.uuid4(), Kind.TICKETS)
    row = email_id(order, Kind.TICKETS)
    assert message_id(row, "crowdify.cl") == f"<{row}@crowdify.cl>"


def test_retries_back_off_exponentially_up_to_a_cap() -> None:
    delays = [retry_delay(n, base=30, cap=3600) for n in range(1, 10)]
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert retry_delay(0, base=30, cap=3600) == 0
    assert retry_delay(10_000, base=30, cap=3600) == 3600  # no overflow however many attempts
