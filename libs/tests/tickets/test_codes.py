"""Ticket codes: roundtrip, tampering, key ids, versions, garbage, rotation and size."""

from __future__ import annotations

import random
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from crowdify.tickets import (
    MAX_CODE_LENGTH,
    InvalidTicketCode,
    KeyRing,
    SigningKey,
    TicketClaims,
    code_digest,
    read_known_ticket,
    sign_ticket,
    verify_ticket,
)
from crowdify.tickets.codes import DIGEST_BYTES, MIN_CODE_LENGTH, PAYLOAD_CHARS, SIGNATURE_CHARS

KEY = SigningKey.generate("K2025A")
OTHER = SigningKey.generate("K2025B")
RING = KeyRing.from_signing_keys([KEY, OTHER])
DIGEST_KEY = b"k" * 32

# QR capacity in alphanumeric characters at error correction M (ISO/IEC 18004, table 7).
QR_ALPHANUMERIC_CAPACITY_M = {6: 154, 7: 178, 8: 221, 9: 262, 10: 311}
QR_ALPHANUMERIC = re.compile(r"[0-9A-Z $%*+\-./:]+")


def claims(**overrides) -> TicketClaims:
    values = {
        "ticket_id": uuid.uuid4(),
        "event_id": uuid.uuid4(),
        "ticket_type_id": uuid.uuid4(),
        "issued_at": datetime(2025, 3, 14, 21, 30, 5, tzinfo=UTC),
    }
    return TicketClaims(**(values | overrides))


def reason_of(code: object, ring: KeyRing = RING) -> str:
    with pytest.raises(InvalidTicketCode) as caught:
        verify_ticket(code, ring)
    return caught.value.reason


def test_roundtrip_gives_back_the_claims():
    original = claims(serial=7)
    code = sign_ticket(original, KEY)
    assert verify_ticket(code, RING) == original
    assert code.startswith("CF1.K2025A.")


def test_issued_at_is_kept_to_the_second_in_utc():
    santiago = timezone(timedelta(hours=-3))
    original = claims(issued_at=datetime(2025, 3, 14, 18, 30, 5, 999_999, tzinfo=santiago))
    assert original.issued_at == datetime(2025, 3, 14, 21, 30, 5, tzinfo=UTC)
    assert verify_ticket(sign_ticket(original, KEY), RING).issued_at == original.issued_at


@pytest.mark.parametrize(
    "overrides",
    [
        {"issued_at": datetime(2025, 1, 1)},  # naive
        {"issued_at": datetime(2107, 1, 1, tzinfo=UTC)},  # past uint32 seconds
        {"serial": -1},
        {"serial": 65_536},
    ],
)
def test_claims_out_of_range_are_refused(overrides):
    with pytest.raises(ValueError):
        claims(**overrides)


def test_claims_need_uuids():
    with pytest.raises(TypeError):
        claims(ticket_id=str(uuid.uuid4()))


def test_extreme_but_valid_claims_roundtrip():
    for original in [
        claims(
            ticket_id=uuid.UUID(int=0),
            event_id=uuid.UUID(int=0),
            ticket_type_id=uuid.UUID(int=0),
            issued_at=datetime(1970, 1, 1, tzinfo=UTC),
            serial=0,
        ),
        claims(
            ticket_id=uuid.UUID(int=2**128 - 1),
            event_id=uuid.UUID(int=2**128 - 1),
            ticket_type_id=uuid.UUID(int=2**128 - 1),
            issued_at=datetime.fromtimestamp(2**32 - 1, UTC),
            serial=65_535,
        ),
    ]:
        assert verify_ticket(sign_ticket(original, KEY), RING) == original


def test_every_single_character_change_of_payload_or_signature_is_refused():
    code = sign_ticket(claims(), KEY)
    payload_start = code.index(".", 4) + 1
    for position in range(payload_start, len(code)):
        if code[position] == ".":
            continue
        for replacement in "A7Q":
            if replacement == code[position]:
                continue
            tampered = code[:position] + replacement + code[position + 1 :]
            # Changed data bits: bad_signature. A changed spare bit of the last character: the
            # spelling is no longer canonical, malformed. Never accepted either way.
            assert reason_of(tampered) in ("bad_signature", "malformed"), position


def test_every_single_bit_flip_of_payload_or_signature_bytes_is_a_bad_signature():
    """Flip every bit of the decoded bytes and re-encode canonically: the signature catches it."""
    from crowdify.tickets.codes import _b32decode, _b32encode

    code = sign_ticket(claims(), KEY)
    version, kid, payload_text, signature_text = code.split(".")
    for part, n_bytes in ((2, 54), (3, 64)):
        parts = [version, kid, payload_text, signature_text]
        data = _b32decode(parts[part], n_bytes)
        for bit in range(n_bytes * 8):
            flipped = bytearray(data)
            flipped[bit // 8] ^= 0x80 >> (bit % 8)
            parts[part] = _b32encode(bytes(flipped))
            assert reason_of(".".join(parts)) == "bad_signature", (part, bit)


def test_a_signature_from_another_ticket_does_not_fit():
    first, second = sign_ticket(claims(), KEY), sign_ticket(claims(), KEY)
    spliced = first.rsplit(".", 1)[0] + "." + second.rsplit(".", 1)[1]
    assert reason_of(spliced) == "bad_signature"


def test_swapping_the_kid_is_refused():
    code = sign_ticket(claims(), KEY)
    assert reason_of(code.replace(".K2025A.", ".K2025B.", 1)) == "bad_signature"
    assert reason_of(code.replace(".K2025A.", ".K1999Z.", 1)) == "unknown_kid"


def test_a_code_signed_with_a_key_outside_the_ring_is_unknown_kid():
    stranger = SigningKey.generate("K2025C")
    assert reason_of(sign_ticket(claims(), stranger)) == "unknown_kid"


def test_a_forger_reusing_our_kid_with_their_own_key_is_a_bad_signature():
    forger = SigningKey.generate("K2025A")
    assert reason_of(sign_ticket(claims(), forger)) == "bad_signature"


@pytest.mark.parametrize("version", ["CF2", "CF0", "CF10", "CF999"])
def test_other_versions_are_unsupported(version):
    code = sign_ticket(claims(), KEY)
    assert reason_of(version + code[3:]) == "unsupported_version"
    # A future format may look quite different after its version: still unsupported, not malformed.
    assert reason_of(f"{version}.WHATEVER") == "unsupported_version"


GARBAGE = [
    "",
    " ",
    ".",
    "...",
    "CF1",
    "CF1.",
    "CF1...",
    "CF1.K2025A",
    "CF1.K2025A.AAAA.AAAA",
    "CF",
    "CFX.K2025A.A.A",
    "cf1",
    "https://crowdify.cl/t/123",
    "ticket-7f3e",
    "\x00" * 10,
    "CF1.K2025A." + "A" * PAYLOAD_CHARS + "." + "A" * SIGNATURE_CHARS + ".",  # extra dot
    "CF1..K2025A." + "A" * PAYLOAD_CHARS + "." + "A" * SIGNATURE_CHARS,
    "CF1.K2025A." + "A" * (PAYLOAD_CHARS - 1) + "." + "A" * SIGNATURE_CHARS,  # short payload
    "CF1.K2025A." + "A" * PAYLOAD_CHARS + "." + "A" * (SIGNATURE_CHARS + 1),  # long signature
    "CF1.K2025A." + "1" * PAYLOAD_CHARS + "." + "A" * SIGNATURE_CHARS,  # 1 is not base32
    "CF1.K2025A." + "A" * (PAYLOAD_CHARS - 1) + "=." + "A" * SIGNATURE_CHARS,  # padding
    "CF1.K2025A." + "A" * PAYLOAD_CHARS + "." + "A" * (SIGNATURE_CHARS - 1) + "_",
    "CF1.K2025A." + "A" * PAYLOAD_CHARS + "." + "+" * SIGNATURE_CHARS,
    "CF1.K2025A." + "A" * PAYLOAD_CHARS + "." + "-" * SIGNATURE_CHARS,
    "CF1.K2025A." + "A" * PAYLOAD_CHARS + "." + " " * SIGNATURE_CHARS,
    "CF1.K2025A." + "A" * PAYLOAD_CHARS + ".__" + "A" * (SIGNATURE_CHARS - 2),
    "CF1.-K1." + "A" * PAYLOAD_CHARS + "." + "A" * SIGNATURE_CHARS,  # bad kid
    "CF1.K" * 3 + "." + "A" * PAYLOAD_CHARS + "." + "A" * SIGNATURE_CHARS,
    "CF1." + "K" * 17 + "." + "A" * PAYLOAD_CHARS + "." + "A" * SIGNATURE_CHARS,  # kid too long
    "CF1.KÉY." + "A" * PAYLOAD_CHARS + "." + "A" * SIGNATURE_CHARS,  # not ASCII
    "CF1.K2025A." + "A" * PAYLOAD_CHARS + "." + "A" * SIGNATURE_CHARS + "\u200b",
    "A" * 10_000_000,  # huge
    "CF1." + "." * 100_000,
]


@pytest.mark.parametrize("garbage", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_is_malformed(garbage):
    assert reason_of(garbage) == "malformed"


@pytest.mark.parametrize("not_a_string", [None, b"CF1.K2025A", 42, ["CF1"]])
def test_non_strings_are_malformed(not_a_string):
    assert reason_of(not_a_string) == "malformed"


def test_non_canonical_spare_bits_are_malformed():
    """The last base32 character carries 3 spare bits: only the spelling with them zero passes."""
    code = sign_ticket(claims(), KEY)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    last = alphabet.index(code[-1])
    assert last & 0b111 == 0
    for spare in range(1, 8):
        assert reason_of(code[:-1] + alphabet[last | spare]) == "malformed"


def test_random_mutations_raise_nothing_but_invalid_ticket_code():
    rng = random.Random(6)
    code = sign_ticket(claims(), KEY)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567.-=_+/ \n\x00é0189abc"
    for _ in range(5_000):
        chars = list(code)
        for _ in range(rng.randint(1, 4)):
            operation = rng.choice(("replace", "insert", "delete"))
            position = rng.randrange(len(chars))
            if operation == "replace":
                chars[position] = rng.choice(alphabet)
            elif operation == "insert":
                chars.insert(position, rng.choice(alphabet))
            else:
                del chars[position]
        mutated = "".join(chars)
        try:
            verified = verify_ticket(mutated, RING)
        except InvalidTicketCode:
            continue
        # Only case changes, surrounding whitespace or no-op mutations may still verify.
        assert mutated.strip().upper() == code, mutated
        assert verified is not None


def test_case_and_surrounding_whitespace_do_not_matter():
    original = claims()
    code = sign_ticket(original, KEY)
    for variant in (code.lower(), code.swapcase(), f"  {code}\r\n", f"\t{code.lower()} "):
        assert verify_ticket(variant, RING) == original


def test_inner_whitespace_is_malformed():
    code = sign_ticket(claims(), KEY)
    assert reason_of(code[:50] + " " + code[50:]) == "malformed"


def test_rotation_old_tickets_verify_until_their_key_is_removed():
    old_key, new_key = SigningKey.generate("K2024"), SigningKey.generate("K2025")
    old_ticket, new_ticket = claims(), claims()
    old_code = sign_ticket(old_ticket, old_key)
    new_code = sign_ticket(new_ticket, new_key)

    ring = KeyRing.from_signing_keys([new_key, old_key])
    assert verify_ticket(old_code, ring) == old_ticket
    assert verify_ticket(new_code, ring) == new_ticket

    revoked = ring.without("K2024")
    assert reason_of(old_code, revoked) == "unknown_kid"
    assert verify_ticket(new_code, revoked) == new_ticket
    # The ring is immutable: the original still holds both keys.
    assert ring.kids == ("K2025", "K2024")


def test_a_ring_rebuilt_from_its_jwks_verifies_the_same_codes():
    code = sign_ticket(claims(), KEY)
    rebuilt = KeyRing.from_jwks(RING.to_jwks())
    assert verify_ticket(code, rebuilt) == verify_ticket(code, RING)
    assert reason_of(code, KeyRing()) == "unknown_kid"


def test_length_fits_a_version_8_qr_code_at_error_correction_m():
    longest_kid = SigningKey.generate("K" * 16)
    shortest_kid = SigningKey.generate("K")
    assert len(sign_ticket(claims(), shortest_kid)) == MIN_CODE_LENGTH == 197
    assert len(sign_ticket(claims(), longest_kid)) == MAX_CODE_LENGTH == 212
    assert len(sign_ticket(claims(), KEY)) == 202  # a six-character kid, as recommended
    assert QR_ALPHANUMERIC_CAPACITY_M[8] >= MAX_CODE_LENGTH


def test_every_character_is_in_the_qr_alphanumeric_set():
    for _ in range(200):
        assert QR_ALPHANUMERIC.fullmatch(sign_ticket(claims(), KEY))


def test_codes_are_deterministic_and_differ_per_ticket():
    # Ed25519 signatures are deterministic: re-rendering a PDF prints the same code.
    same = claims()
    assert sign_ticket(same, KEY) == sign_ticket(same, KEY)
    assert sign_ticket(same, KEY) != sign_ticket(claims(ticket_id=same.ticket_id, serial=1), KEY)


def test_the_error_never_repeats_the_code():
    code = sign_ticket(claims(), KEY)
    tampered = code[:-2] + ("A" if code[-2] != "A" else "B") + code[-1]
    with pytest.raises(InvalidTicketCode) as caught:
        verify_ticket(tampered, RING)
    assert code[12:40] not in str(caught.value)
    assert caught.value.reason in ("bad_signature", "malformed")


def test_the_benchmark_runs_and_asserts_nothing_about_time():
    from crowdify.tickets.bench import run

    names = [name for name, _best, _median in run(number=2, repeat=1)]
    assert names[0] == "verify_ticket, genuine code" and len(names) == 7


def test_a_malleated_signature_is_refused():
    """S + L is the same signature to a lax verifier; libsodium insists on S < L (one spelling)."""
    from crowdify.tickets.codes import _b32decode, _b32encode

    order = 2**252 + 27742317777372353535851937790883648493  # L, the Ed25519 group order
    code = sign_ticket(claims(), KEY)
    signed_text, signature_text = code.rsplit(".", 1)
    signature = _b32decode(signature_text, 64)
    s = int.from_bytes(signature[32:], "little")
    malleated = signature[:32] + (s + order).to_bytes(32, "little")
    assert reason_of(f"{signed_text}.{_b32encode(malleated)}") == "bad_signature"


def test_a_known_code_reads_back_its_claims_and_its_digest():
    issued = claims(serial=7)
    code = sign_ticket(issued, KEY)
    known = read_known_ticket(code, RING, DIGEST_KEY)
    assert (known.ticket_id, known.event_id, known.serial) == (issued.ticket_id, issued.event_id, 7)
    assert known.digest == code_digest(code, DIGEST_KEY)
    assert len(known.digest) == DIGEST_BYTES


def test_the_digest_is_of_the_one_canonical_spelling():
    code = sign_ticket(claims(), KEY)
    assert code_digest(f"  {code.lower()}\n", DIGEST_KEY) == code_digest(code, DIGEST_KEY)
    assert read_known_ticket(code.lower(), RING, DIGEST_KEY).digest == code_digest(code, DIGEST_KEY)


def test_every_code_has_its_own_digest():
    codes = [sign_ticket(claims(), KEY) for _ in range(50)]
    assert len({code_digest(code, DIGEST_KEY) for code in codes}) == 50


def test_a_forged_signature_changes_the_digest_but_reads_the_same_claims():
    """What keeps a forgery out is the registry's digest, not the read: the read trusts nothing."""
    issued = claims()
    code = sign_ticket(issued, KEY)
    forged = sign_ticket(issued, SigningKey.generate(KEY.kid))
    known = read_known_ticket(forged, RING, DIGEST_KEY)
    assert known.ticket_id == issued.ticket_id
    assert known.digest != code_digest(code, DIGEST_KEY)
    assert reason_of(forged) == "bad_signature"


def test_reading_refuses_what_verifying_refuses_before_the_signature():
    code = sign_ticket(claims(), KEY)
    outside = sign_ticket(claims(), SigningKey.generate("K2030Z"))
    for bad in ("", "CF2.K.A.B", code.replace(".", "", 1), code[:-1], outside, code[:20] + " " + code[21:]):
        with pytest.raises(InvalidTicketCode) as caught:
            read_known_ticket(bad, RING, DIGEST_KEY)
        assert caught.value.reason == reason_of(bad)
    with pytest.raises(InvalidTicketCode) as caught:
        code_digest(code[:-1], DIGEST_KEY)
    assert caught.value.reason == "malformed"


def test_a_signature_with_spare_bits_set_is_refused_on_reading_as_on_verifying():
    code = sign_ticket(claims(), KEY)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    for spare in range(1, 8):
        respelled = code[:-1] + alphabet[alphabet.index(code[-1]) | spare]
        with pytest.raises(InvalidTicketCode) as caught:
            read_known_ticket(respelled, RING, DIGEST_KEY)
        assert caught.value.reason == reason_of(respelled) == "malformed"
    outside = sign_ticket(claims(), SigningKey.generate("K2030Z"))
    respelled = outside[:-1] + alphabet[alphabet.index(outside[-1]) | 1]
    with pytest.raises(InvalidTicketCode) as caught:
        read_known_ticket(respelled, RING, DIGEST_KEY)
    assert caught.value.reason == reason_of(respelled) == "malformed"


def test_a_reissued_code_of_one_ticket_has_another_digest():
    issued = claims()
    again = TicketClaims(issued.ticket_id, issued.event_id, issued.ticket_type_id, issued.issued_at, serial=1)
    assert code_digest(sign_ticket(issued, KEY), DIGEST_KEY) != code_digest(
        sign_ticket(again, KEY), DIGEST_KEY
    )


def test_the_digest_is_keyed():
    """Without the key nobody can make the digest of a code, whatever they can read or write."""
    code = sign_ticket(claims(), KEY)
    assert code_digest(code, DIGEST_KEY) != code_digest(code, b"j" * 32)
    with pytest.raises(ValueError):
        code_digest(code, b"short")
