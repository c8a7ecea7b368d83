"""The x-signature matches docs/integrations.md's test vectors and the official SDK validator."""

from __future__ import annotations

import pytest
from mercadopago.webhook import (
    InvalidWebhookSignatureError,
    SignatureFailureReason,
    WebhookSignatureValidator,
)

from mp_emulator.signing import manifest, sign, signature_header

SECRET = "test-webhook-secret"
DATA_ID = "1234567890"
REQUEST_ID = "f7b2a1d4-0b1c-4ec2-aaaa-9e8b1d2f3c4d"
TS = 1716651000
WITH_REQUEST_ID = "a5d4c59e6e4186a8de509eef9febf25e80ec2c7247826fe66234bec003caccc8"
WITHOUT_REQUEST_ID = "db399ad1812f120f8c1810c2e261321f7414f936b1e5ab232e18eb6f22b6d335"


def test_manifest_template_and_dropped_pairs() -> None:
    assert manifest(DATA_ID, REQUEST_ID, TS) == f"id:{DATA_ID};request-id:{REQUEST_ID};ts:{TS};"
    assert manifest(DATA_ID, None, TS) == f"id:{DATA_ID};ts:{TS};"
    assert manifest(None, REQUEST_ID, TS) == f"request-id:{REQUEST_ID};ts:{TS};"


@pytest.mark.parametrize(
    ("request_id", "expected"), [(REQUEST_ID, WITH_REQUEST_ID), (None, WITHOUT_REQUEST_ID)]
)
def test_documented_vectors(request_id: str | None, expected: str) -> None:
    assert sign(SECRET, DATA_ID, request_id, TS) == expected
    header = signature_header(SECRET, DATA_ID, request_id, TS)
    assert header == f"ts={TS},v1={expected}"
    WebhookSignatureValidator.validate(header, request_id, DATA_ID, SECRET)


def test_the_sdk_rejects_another_secret_or_id() -> None:
    header = signature_header(SECRET, DATA_ID, REQUEST_ID, TS)
    for secret, data_id in (("another-secret", DATA_ID), (SECRET, "1234567891")):
        with pytest.raises(InvalidWebhookSignatureError) as failure:
            WebhookSignatureValidator.validate(header, REQUEST_ID, data_id, secret)
        assert failure.value.reason is SignatureFailureReason.SIGNATURE_MISMATCH
