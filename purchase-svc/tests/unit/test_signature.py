"""Webhook signatures against the docs/integrations.md 1.5 test vectors and the SDK's own validator."""

from __future__ import annotations

import pytest
from mercadopago.webhook import WebhookSignatureValidator

from purchase_svc.adapters.signature import manifest, parse_signature, sign, ts_seconds, verify_signature

SECRET = "test-webhook-secret"
DATA_ID = "1234567890"
REQUEST_ID = "f7b2a1d4-0b1c-4ec2-aaaa-9e8b1d2f3c4d"
TS = "1716651000"
V1_WITH_REQUEST_ID = "a5d4c59e6e4186a8de509eef9febf25e80ec2c7247826fe66234bec003caccc8"
V1_WITHOUT_REQUEST_ID = "db399ad1812f120f8c1810c2e261321f7414f936b1e5ab232e18eb6f22b6d335"


def test_documented_manifests_and_vectors() -> None:
    assert manifest(DATA_ID, REQUEST_ID, TS) == f"id:{DATA_ID};request-id:{REQUEST_ID};ts:{TS};"
    assert manifest(DATA_ID, None, TS) == f"id:{DATA_ID};ts:{TS};"
    assert sign(SECRET, DATA_ID, REQUEST_ID, TS) == V1_WITH_REQUEST_ID
    assert sign(SECRET, DATA_ID, None, TS) == V1_WITHOUT_REQUEST_ID
    assert verify_signature([SECRET], f"ts={TS},v1={V1_WITH_REQUEST_ID}", REQUEST_ID, DATA_ID)
    assert verify_signature([SECRET], f"ts={TS},v1={V1_WITHOUT_REQUEST_ID}", None, DATA_ID)


def test_agrees_with_the_sdk_validator() -> None:
    header = f"ts={TS},v1={sign(SECRET, DATA_ID, REQUEST_ID, TS)}"
    WebhookSignatureValidator.validate(header, REQUEST_ID, DATA_ID, SECRET)  # raises if it disagrees
    assert verify_signature([SECRET], header, REQUEST_ID, DATA_ID)


def test_previous_secret_is_accepted_during_rotation() -> None:
    header = f"ts={TS},v1={V1_WITH_REQUEST_ID}"
    assert verify_signature(["new-secret", SECRET], header, REQUEST_ID, DATA_ID)
    assert verify_signature([None, SECRET], header, REQUEST_ID, DATA_ID)
    assert not verify_signature(["new-secret", "other"], header, REQUEST_ID, DATA_ID)


def test_raw_or_lower_case_data_id() -> None:
    raw = "ORD01ABC"
    signed_lower = f"ts={TS},v1={sign(SECRET, raw.lower(), REQUEST_ID, TS)}"
    signed_raw = f"ts={TS},v1={sign(SECRET, raw, REQUEST_ID, TS)}"
    assert verify_signature([SECRET], signed_lower, REQUEST_ID, raw)
    assert verify_signature([SECRET], signed_raw, REQUEST_ID, raw)
    # ...but an id signed in upper case does not match a different id.
    assert not verify_signature([SECRET], signed_raw, REQUEST_ID, "ORD01ABD")


def test_ts_in_milliseconds_and_old_timestamps_are_accepted() -> None:
    ms = "1716651000123"
    assert ts_seconds(ms) == pytest.approx(1716651000.123)
    assert ts_seconds(TS) == 1716651000.0
    assert ts_seconds("soon") is None
    header = f"ts={ms},v1={sign(SECRET, DATA_ID, REQUEST_ID, ms)}"
    assert verify_signature([SECRET], header, REQUEST_ID, DATA_ID)
    # A signature from 2024 is still good: drift is never a reason to refuse.
    assert verify_signature([SECRET], f"ts={TS},v1={V1_WITH_REQUEST_ID}", REQUEST_ID, DATA_ID)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "garbage",
        f"ts={TS}",
        f"v1={V1_WITH_REQUEST_ID}",
        f"ts={TS},v1={'0' * 64}",
        f"ts={int(TS) + 1},v1={V1_WITH_REQUEST_ID}",
        f"ts={TS},v1=",
    ],
)
def test_bad_headers_are_refused(header: str | None) -> None:
    assert not verify_signature([SECRET], header, REQUEST_ID, DATA_ID)


def test_tampered_fields_are_refused() -> None:
    header = f"ts={TS},v1={V1_WITH_REQUEST_ID}"
    assert not verify_signature([SECRET], header, "another-request", DATA_ID)
    assert not verify_signature([SECRET], header, REQUEST_ID, "1234567891")
    assert not verify_signature([SECRET], header, REQUEST_ID, None)
    assert not verify_signature(["wrong"], header, REQUEST_ID, DATA_ID)
    assert not verify_signature([], header, REQUEST_ID, DATA_ID)


def test_header_parsing_is_lenient_about_spaces_case_and_order() -> None:
    parsed = parse_signature(f" V1 = {V1_WITH_REQUEST_ID.upper()} , ts = {TS} ,junk")
    assert parsed.ts == TS and parsed.hashes == {"v1": V1_WITH_REQUEST_ID}
    assert verify_signature([SECRET], f"v1={V1_WITH_REQUEST_ID.upper()}, ts={TS}", REQUEST_ID, DATA_ID)
