"""Where an order's emails go: the address of the buyer's account, never one typed into the
order. A token's ``email`` claim is an address Supabase Auth has verified (or, for a backend
token, one Crowdify itself vouched for), so the tickets, and every later email about the order,
reach the person who owns the account and nobody else (docs/security.md, "Email")."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from crowdify.auth import Principal
from purchase_svc.service.errors import InvalidOrder


def verified_buyer_email(user: Principal, stated: str | None, *, special_use_domains: bool) -> str:
    """The account's address, normalised. ``stated`` (the order's optional ``buyer.email``) must be
    that same address. ``special_use_domains`` lets development and tests use the seeded
    ``@crowdify.test`` accounts; production refuses such addresses, which no mail server delivers."""
    if user.email is None:
        raise InvalidOrder(
            "Tu cuenta no tiene un correo verificado: agrégalo y confírmalo antes de comprar",
            code="verified_email_required",
        )
    if stated is not None and stated.strip().casefold() != user.email.casefold():
        raise InvalidOrder(
            "Los correos de la compra se envían al correo verificado de tu cuenta; "
            "buyer.email debe ser ese mismo correo o no enviarse",
            code="buyer_email_not_verified",
        )
    try:
        checked = validate_email(user.email, check_deliverability=False, test_environment=special_use_domains)
    except EmailNotValidError:
        raise InvalidOrder(
            "El correo de tu cuenta no es una dirección a la que podamos escribir",
            code="buyer_email_undeliverable",
        ) from None
    return checked.normalized
