"""The order state machine never moves backwards."""

from __future__ import annotations

import itertools

import pytest

from purchase_svc.domain.order import TERMINAL, TRANSITIONS, OrderEvent, OrderStatus, next_status

S, E = OrderStatus, OrderEvent

# The order in which statuses may be reached; a transition may only go to a later rank.
RANK = {
    S.PENDING: 0,
    S.AWAITING_PAYMENT: 1,
    S.REJECTED: 2,
    S.CANCELLED: 2,
    S.EXPIRED: 2,
    S.PAID: 3,
    S.PARTIALLY_REFUNDED: 4,
    S.REFUNDED: 5,
}


def test_the_happy_path():
    status = S.PENDING
    for event in (E.RESERVED, E.PAYMENT_APPROVED, E.PARTIALLY_REFUNDED, E.REFUNDED):
        status = next_status(status, event)
    assert status == S.REFUNDED


@pytest.mark.parametrize(("current", "event"), list(itertools.product(OrderStatus, OrderEvent)))
def test_no_transition_goes_backwards(current, event):
    target = next_status(current, event)
    if target is not None and target != current:
        assert RANK[target] > RANK[current]


def test_terminal_statuses_accept_nothing():
    for status, event in itertools.product(TERMINAL, OrderEvent):
        assert next_status(status, event) is None


def test_an_approval_after_a_refund_changes_nothing():
    assert next_status(S.REFUNDED, E.PAYMENT_APPROVED) is None
    assert next_status(S.PAID, E.PAYMENT_APPROVED) is None  # a duplicate
    assert next_status(S.AWAITING_PAYMENT, E.RESERVED) is None


def test_late_payments_are_accepted_or_refunded():
    assert next_status(S.EXPIRED, E.LATE_PAYMENT_ACCEPTED) == S.PAID
    assert next_status(S.EXPIRED, E.LATE_PAYMENT_REFUSED) == S.REFUNDED
    assert next_status(S.EXPIRED, E.PAYMENT_APPROVED) is None  # must go through re-taking the tickets


def test_every_status_is_reachable():
    reachable = {S.PENDING} | set(TRANSITIONS.values())
    assert reachable == set(OrderStatus)
