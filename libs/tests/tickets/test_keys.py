"""Signing keys and key rings: loading, JWKS in docs/api.md's shape, and the key generation command."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crowdify.tickets import KeyRing, SigningKey, TicketClaims, parse_signing_keys, sign_ticket, verify_ticket
from crowdify.tickets.keys.__main__ import main as keys_cli

CLAIMS = TicketClaims(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), datetime(2025, 6, 1, tzinfo=UTC))


def seed_of(key: SigningKey) -> bytes:
    return key.private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def same_key(a: SigningKey, b: SigningKey) -> bool:
    return a.kid == b.kid and seed_of(a) == seed_of(b)


# ---------------------------------------------------------------- signing keys


def test_private_text_roundtrips_and_is_base64url_of_the_seed():
    key = SigningKey.generate("K1")
    text = key.private_text()
    assert len(text) == 43 and "=" not in text
    assert base64.urlsafe_b64decode(text + "=") == seed_of(key)
    assert same_key(SigningKey.from_string("K1", text), key)


def test_standard_base64_with_padding_is_read_too():
    key = SigningKey.generate("K1")
    assert same_key(SigningKey.from_string("K1", base64.b64encode(seed_of(key)).decode()), key)


def test_pem_is_read_from_a_string_and_a_file(tmp_path):
    key = SigningKey.generate("K1")
    assert same_key(SigningKey.from_string("K1", key.private_pem()), key)
    path = tmp_path / "ticket.pem"
    path.write_text(key.private_pem())
    assert same_key(SigningKey.from_file(path, "K1"), key)
    (tmp_path / "ticket.key").write_text(key.private_text() + "\n")
    assert same_key(SigningKey.from_file(tmp_path / "ticket.key", "K1"), key)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not base64!",
        base64.b64encode(b"x" * 31).decode(),
        base64.b64encode(b"x" * 64).decode(),
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    ],
)
def test_unreadable_private_keys_are_refused_without_quoting_them(text):
    with pytest.raises(ValueError) as caught:
        SigningKey.from_string("K1", text)
    if text:
        assert text.strip() not in str(caught.value)


def test_a_pem_of_another_key_type_is_refused():
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    with pytest.raises(ValueError, match="not an Ed25519 key"):
        SigningKey.from_string("K1", pem)


@pytest.mark.parametrize("kid", ["", "k1", "K.1", "-K1", "K1-", "K" * 17, "K 1", "KÉ", 7, None])
def test_bad_kids_are_refused(kid):
    with pytest.raises(ValueError):
        SigningKey(kid, Ed25519PrivateKey.generate())


@pytest.mark.parametrize("kid", ["K", "K2025A", "2025-06", "K" * 16, "A-B-C"])
def test_good_kids(kid):
    assert SigningKey.generate(kid).kid == kid


def test_repr_never_shows_the_private_key():
    key = SigningKey.generate("K1")
    assert key.private_text() not in repr(key)
    assert "private_key" not in repr(key)


# ---------------------------------------------------------------- parse_signing_keys


def test_parse_keeps_order_and_skips_blanks_and_comments():
    first, second = SigningKey.generate("K2"), SigningKey.generate("K1")
    text = f"# newest first\n{first.kid}:{first.private_text()},\n\n , {second.kid}:{second.private_text()}\n"
    keys = parse_signing_keys(text)
    assert [k.kid for k in keys] == ["K2", "K1"]
    assert same_key(keys[0], first) and same_key(keys[1], second)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("K1", "entry 1 of TICKET_SIGNING_KEYS is not kid:key"),
        ("k1:AAAA", "entry 1 of TICKET_SIGNING_KEYS is not kid:key"),
        ("K1:c2VjcmV0LWJ1dC1icm9rZW4", "the key for kid K1"),
    ],
)
def test_parse_errors_name_the_entry_not_the_key(text, message):
    with pytest.raises(ValueError, match=message) as caught:
        parse_signing_keys(text)
    assert "c2VjcmV0" not in str(caught.value)


def test_parse_refuses_a_kid_twice():
    a, b = SigningKey.generate("K1"), SigningKey.generate("K1")
    with pytest.raises(ValueError, match="twice"):
        parse_signing_keys(f"K1:{a.private_text()},K1:{b.private_text()}")


# ---------------------------------------------------------------- key rings and JWKS


def test_jwks_has_the_manifest_shape_and_roundtrips():
    keys = [SigningKey.generate("K2"), SigningKey.generate("K1")]
    ring = KeyRing.from_signing_keys(keys)
    jwks = ring.to_jwks()
    assert [set(jwk) for jwk in jwks["keys"]] == [{"kty", "crv", "kid", "x"}] * 2
    for jwk, key in zip(jwks["keys"], keys, strict=True):
        assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and jwk["kid"] == key.kid
        raw = key.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        assert base64.urlsafe_b64decode(jwk["x"] + "=") == raw
        assert "=" not in jwk["x"]
    rebuilt = KeyRing.from_jwks(json.loads(json.dumps(jwks)))
    assert rebuilt.kids == ("K2", "K1")
    assert rebuilt.to_jwks() == jwks
    # The manifest carries the bare list.
    assert KeyRing.from_jwks(jwks["keys"]).to_jwks() == jwks


def test_from_jwks_verifies_codes_signed_by_the_issuer():
    key = SigningKey.generate("K1")
    ring = KeyRing.from_jwks({"keys": [key.public_jwk()]})
    assert verify_ticket(sign_ticket(CLAIMS, key), ring) == CLAIMS


def test_from_jwks_skips_keys_of_other_types():
    key = SigningKey.generate("K1")
    others = [
        {"kty": "EC", "crv": "P-256", "kid": "ec", "x": "AA", "y": "AA"},
        {"kty": "OKP", "crv": "X25519", "kid": "x", "x": key.public_jwk()["x"]},
    ]
    assert KeyRing.from_jwks({"keys": [*others, key.public_jwk()]}).kids == ("K1",)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"x": "AAAA"}, "32-byte"),
        ({"x": None}, "32-byte"),
        ({"x": "not base64 at all!"}, "32-byte"),
        ({"kid": "lower"}, "key id"),
        ({"kid": None}, "key id"),
        ({"use": "enc"}, "not a signature key"),
        ({"alg": "ES256"}, "not a signature key"),
        ({"d": "AAAA"}, "private key"),
    ],
)
def test_from_jwks_refuses_broken_ed25519_keys(change, message):
    jwk = SigningKey.generate("K1").public_jwk() | change
    with pytest.raises(ValueError, match=message):
        KeyRing.from_jwks({"keys": [jwk]})


@pytest.mark.parametrize("document", [{}, {"keys": "K1"}, {"keys": ["K1"]}])
def test_from_jwks_refuses_documents_that_are_not_jwks(document):
    with pytest.raises(ValueError):
        KeyRing.from_jwks(document)


def test_from_jwks_refuses_a_kid_twice():
    a, b = SigningKey.generate("K1"), SigningKey.generate("K1")
    with pytest.raises(ValueError, match="twice"):
        KeyRing.from_jwks([a.public_jwk(), b.public_jwk()])


def test_ring_operations():
    a, b = SigningKey.generate("K1"), SigningKey.generate("K2")
    ring = KeyRing().with_key("K1", a.public_key).with_key("K2", b.public_key)
    assert ring.kids == ("K1", "K2") and len(ring) == 2 and "K1" in ring and list(ring) == ["K1", "K2"]
    assert ring.without("K1").kids == ("K2",)
    assert ring.without("nope").kids == ("K1", "K2")
    assert ring.get("K3") is None
    assert repr(ring) == "KeyRing(kids=['K1', 'K2'])"
    with pytest.raises(TypeError):
        KeyRing({"K1": a.private_key})  # type: ignore[dict-item]


# ---------------------------------------------------------------- the command


def test_generate_prints_a_key_file_and_the_public_jwk(capsys, tmp_path):
    assert keys_cli(["generate", "--kid", "K2025A"]) == 0
    out = capsys.readouterr().out
    (key,) = parse_signing_keys(out)  # the output is a valid key file as it stands
    assert key.kid == "K2025A"
    jwk_line = next(line for line in out.splitlines() if "public JWK" in line)
    jwk = json.loads(jwk_line.split(": ", 1)[1])
    assert jwk == key.public_jwk()
    assert verify_ticket(sign_ticket(CLAIMS, key), KeyRing.from_jwks([jwk])) == CLAIMS


def test_generate_json_and_pem(capsys):
    keys_cli(["generate", "--kid", "K1", "--json"])
    document = json.loads(capsys.readouterr().out)
    key = SigningKey.from_string(document["kid"], document["private_key"])
    assert document["public_jwk"] == key.public_jwk()

    keys_cli(["generate", "--kid", "K1", "--pem"])
    out = capsys.readouterr().out
    assert out.startswith("-----BEGIN PRIVATE KEY-----")
    pem_key = SigningKey.from_string("K1", out)
    assert json.loads(out.split("public JWK: ", 1)[1]) == pem_key.public_jwk()


def test_generate_refuses_a_bad_kid(capsys):
    with pytest.raises(SystemExit) as caught:
        keys_cli(["generate", "--kid", "lower"])
    assert caught.value.code == 2
    assert "key id" in capsys.readouterr().err


def test_generated_keys_differ(capsys):
    keys_cli(["generate", "--kid", "K1", "--json"])
    keys_cli(["generate", "--kid", "K1", "--json"])
    first, second = capsys.readouterr().out.splitlines()
    assert json.loads(first)["private_key"] != json.loads(second)["private_key"]


def test_module_runs_as_a_command_and_prints_the_configured_jwks(tmp_path):
    key = SigningKey.generate("K9")
    env = {"TICKET_SIGNING_KEYS": f"K9:{key.private_text()}", "CROWDIFY_ENV": "production", "PATH": ""}
    result = subprocess.run(
        [sys.executable, "-m", "crowdify.tickets.keys", "jwks"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,  # no .env file here
        check=True,
        timeout=60,
    )
    assert json.loads(result.stdout) == {"keys": [key.public_jwk()]}
    assert result.stderr == ""
