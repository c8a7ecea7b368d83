"""The address an order's emails go to, decided from the token alone."""

from __future__ import annotations

import pytest

from crowdify.auth import Principal
from purchase_svc.service.buyer_email import verified_buyer_email
from purchase_svc.service.errors import InvalidOrder


def buyer(email: str | None) -> Principal:
    return Principal(user_id="u1", role="user", email=email, token_kind="supabase")


def test_the_accounts_address_whatever_the_order_says_in_its_case():
    assert (
        verified_buyer_email(buyer("Ana@Example.COM"), None, special_use_domains=False) == "Ana@example.com"
    )
    stated = " ana@example.com "
    assert (
        verified_buyer_email(buyer("Ana@Example.COM"), stated, special_use_domains=False) == "Ana@example.com"
    )


@pytest.mark.parametrize(
    ("email", "stated", "code"),
    [
        (None, None, "verified_email_required"),
        ("ana@example.com", "otra@example.com", "buyer_email_not_verified"),
        ("not-an-address", None, "buyer_email_undeliverable"),
    ],
)
def test_refusals_name_their_reason(email, stated, code):
    with pytest.raises(InvalidOrder) as refused:
        verified_buyer_email(buyer(email), stated, special_use_domains=True)
    assert refused.value.status == 422 and refused.value.code == code


def test_seeded_dot_test_accounts_buy_in_development_and_test_only():
    seeded = buyer("buyer@crowdify.test")
    assert verified_buyer_email(seeded, None, special_use_domains=True) == "buyer@crowdify.test"
    with pytest.raises(InvalidOrder) as refused:
        verified_buyer_email(seeded, None, special_use_domains=False)
    assert refused.value.code == "buyer_email_undeliverable"
