"""Validation and defaults of ``POST /checkout/preferences`` (docs/integrations.md 1.2 and 1.11).

The body is read as raw JSON rather than through a pydantic model on purpose: a model would coerce
``15000.0`` into ``15000`` and hide the float a CLP integration must never send.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, TypeGuard

from mp_emulator.errors import Cause, MPError, cause

CURRENCIES = frozenset({"ARS", "BRL", "CLP", "MXN", "COP", "PEN", "UYU"})
# Currencies without decimals: Mercado Pago requires integer amounts for them (MLC, "For Chile").
INTEGER_CURRENCIES = frozenset({"CLP", "COP"})
EXTERNAL_REFERENCE = re.compile(r"[A-Za-z0-9_-]{0,64}")
URL = re.compile(r"https?://[^\s]+")


def is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_integer(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_items(items: Any) -> list[Cause]:
    if not isinstance(items, list) or not items:
        return [cause("invalid_items", "items needed", "items")]
    problems: list[Cause] = []
    currencies = set()
    for index, item in enumerate(items):
        where = f"items[{index}]"
        if not isinstance(item, dict):
            problems.append(cause("invalid_items", "item must be an object", where))
            continue
        if not isinstance(item.get("title"), str) or not item["title"].strip():
            problems.append(cause("invalid_items", "title needed", f"{where}.title"))
        quantity = item.get("quantity")
        if not is_integer(quantity) or quantity < 1:
            problems.append(cause("invalid_items", "quantity invalid", f"{where}.quantity"))
        currency = item.get("currency_id", "CLP")
        currencies.add(currency)
        if currency not in CURRENCIES:
            problems.append(cause("invalid_items", "currency_id invalid", f"{where}.currency_id"))
        price = item.get("unit_price")
        if not is_number(price) or price <= 0:
            problems.append(cause("invalid_items", "unit_price invalid", f"{where}.unit_price"))
        elif currency in INTEGER_CURRENCIES and not is_integer(price):
            message = f"unit_price invalid: it must be an integer for {currency}"
            problems.append(cause("invalid_items", message, f"{where}.unit_price"))
    if len(currencies) > 1:
        problems.append(cause("invalid_items", "all items must share one currency_id", "items"))
    return problems


def _parse_date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def validate_fields(body: dict[str, Any]) -> list[Cause]:
    problems: list[Cause] = []
    reference = body.get("external_reference")
    if reference is not None and (
        not isinstance(reference, str) or not EXTERNAL_REFERENCE.fullmatch(reference)
    ):
        message = "external_reference invalid: at most 64 letters, digits, '-' or '_'"
        problems.append(cause("invalid_external_reference", message, "external_reference"))
    url = body.get("notification_url")
    if url is not None and (not isinstance(url, str) or len(url) > 248 or not URL.fullmatch(url)):
        message = "notification_url invalid: an absolute http(s) URL of at most 248 characters"
        problems.append(cause("invalid_notification_url", message, "notification_url"))
    descriptor = body.get("statement_descriptor")
    if descriptor is not None and (not isinstance(descriptor, str) or len(descriptor) > 16):
        message = "statement_descriptor invalid: at most 16 characters"
        problems.append(cause("invalid_statement_descriptor", message, "statement_descriptor"))
    problems += _validate_back_urls(body)
    if "binary_mode" in body and not isinstance(body["binary_mode"], bool):
        problems.append(cause("invalid_binary_mode", "binary_mode must be a boolean", "binary_mode"))
    for name in ("expiration_date_from", "expiration_date_to"):
        if body.get(name) is not None and _parse_date(body[name]) is None:
            problems.append(cause(f"invalid_{name}", f"{name} invalid: yyyy-MM-ddTHH:mm:ss.SSSz", name))
    installments = (body.get("payment_methods") or {}).get("installments")
    if installments is not None and (not is_integer(installments) or not 1 <= installments <= 36):
        message = "installments must be between 1 and 36"
        problems.append(cause("invalid_payment_methods", message, "payment_methods.installments"))
    if "metadata" in body and not isinstance(body["metadata"], dict):
        problems.append(cause("invalid_metadata", "metadata must be an object", "metadata"))
    return problems


def _validate_back_urls(body: dict[str, Any]) -> list[Cause]:
    back_urls = body.get("back_urls")
    problems: list[Cause] = []
    if back_urls is not None and (
        not isinstance(back_urls, dict)
        or any(not isinstance(back_urls.get(k, ""), str) for k in ("success", "pending", "failure"))
    ):
        problems.append(cause("invalid_back_urls", "back_urls invalid", "back_urls"))
        return problems
    auto_return = body.get("auto_return")
    if auto_return is not None and auto_return not in ("approved", "all", ""):
        problems.append(cause("invalid_auto_return", "auto_return invalid", "auto_return"))
    elif auto_return and not (back_urls or {}).get("success"):
        message = "auto_return invalid. back_url.success must be defined"
        problems.append(cause("invalid_auto_return", message, "auto_return"))
    return problems


def validate(body: Any) -> None:
    """Raise the 400 Mercado Pago answers for an invalid preference (every problem in ``cause``)."""
    if not isinstance(body, dict):
        raise MPError(400, "bad_request", "the body must be a JSON object")
    problems = validate_items(body.get("items")) + validate_fields(body)
    if problems:
        first = problems[0]
        raise MPError(400, str(first["code"]), str(first["description"]), problems)


def build(
    body: dict[str, Any],
    *,
    preference_id: str,
    base_url: str,
    collector_id: int,
    client_id: str,
    created: str | None,
) -> dict[str, Any]:
    """The preference as the API answers it: the request echoed plus ids, links and defaults."""
    defaults = {"id": "", "description": "", "picture_url": "", "category_id": "", "currency_id": "CLP"}
    items = [{**defaults, **item} for item in body["items"]]
    total = sum(item["quantity"] * item["unit_price"] for item in items)
    init_point = f"{base_url}/checkout/v1/redirect?pref_id={preference_id}"
    return {
        "additional_info": "",
        "auto_return": "",
        "back_urls": {"success": "", "pending": "", "failure": ""},
        "binary_mode": False,
        "expires": False,
        "expiration_date_from": None,
        "expiration_date_to": None,
        "external_reference": "",
        "marketplace": "NONE",
        "marketplace_fee": 0,
        "metadata": {},
        "notification_url": None,
        "operation_type": "regular_payment",
        "payer": {},
        "payment_methods": {
            "default_card_id": None,
            "default_payment_method_id": None,
            "excluded_payment_methods": [],
            "excluded_payment_types": [],
            "installments": None,
            "default_installments": None,
        },
        "statement_descriptor": None,
        **body,
        "items": items,
        "id": preference_id,
        "init_point": init_point,
        # Real Mercado Pago serves the sandbox from another host; here both links open the same page.
        "sandbox_init_point": init_point,
        "client_id": client_id,
        "collector_id": collector_id,
        "date_created": created,
        "site_id": "MLC",
        "total_amount": total,
    }


def expired(body: dict[str, Any], moment: datetime) -> bool:
    """Whether the preference's validity window (``expires`` + dates) excludes ``moment``."""
    if not body.get("expires"):
        return False
    start, end = _parse_date(body.get("expiration_date_from")), _parse_date(body.get("expiration_date_to"))
    return (start is not None and moment < start) or (end is not None and moment > end)
