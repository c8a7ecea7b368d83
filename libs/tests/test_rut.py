"""Chilean RUT: the vectors of docs/integrations.md section 4, the accepted spellings, and every body."""

from __future__ import annotations

import random

import pytest
from pydantic import BaseModel, ValidationError

from crowdify.rut import (
    CHECK_DIGIT_MESSAGE,
    FORMAT_MESSAGE,
    Rut,
    format_rut,
    is_valid_rut,
    normalize_rut,
    rut_check_digit,
)

# docs/integrations.md section 4: all valid, plus the K case.
VALID = [
    ("12.345.678-5", "12345678-5"),
    ("76.086.428-5", "76086428-5"),
    ("15.509.661-6", "15509661-6"),
    ("12.678.579-8", "12678579-8"),
    ("11.222.333-9", "11222333-9"),
    ("12.531.909-2", "12531909-2"),
    ("10000013-K", "10000013-K"),
]
DIGITS = "0123456789K"


def reference_check_digit(body: str) -> str:
    """The check digit as docs/integrations.md section 4 states it, kept apart as the oracle."""
    s = sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(body)))
    r = 11 - s % 11
    return "0" if r == 11 else "K" if r == 10 else str(r)


@pytest.mark.parametrize(("raw", "canonical"), VALID)
def test_documented_valid_ruts(raw, canonical):
    assert normalize_rut(raw) == canonical
    assert is_valid_rut(raw)
    if "." in raw:
        assert format_rut(canonical) == raw


def test_documented_invalid_rut_names_the_check_digit():
    with pytest.raises(ValueError, match="dígito verificador"):
        normalize_rut("12531909-3")
    assert not is_valid_rut("12531909-3")


def test_k_case_in_lower_case_and_display_form():
    assert normalize_rut("10.000.013-k") == "10000013-K"
    assert format_rut("10000013-K") == "10.000.013-K"
    assert rut_check_digit("10000013") == "K"


@pytest.mark.parametrize(
    "raw",
    [
        "12.345.678-5",
        "12345678-5",
        "123456785",
        "12 345 678 5",
        " 12.345.678 - 5 ",
        "12\u00a0345\u00a0678-5",  # no-break spaces from copy and paste
        "12.345.678\u20135",  # en dash from a word processor
        "CL12.345.678-5",
        "cl 12345678-5",
        "012.345.678-5",
        "0012345678-5",
    ],
)
def test_accepted_spellings_normalize_to_one_canonical_form(raw):
    assert normalize_rut(raw) == "12345678-5"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "-",
        "5",  # check digit without a body
        "0-0",  # passes modulo 11 but is nobody's RUT
        "12.345.678-",
        "12345678-55",
        "123.456.789-2",  # nine body digits
        "12-345678-5",  # a dash that is not before the check digit
        "12.345.678-X",
        "12.345.678/5",
        "CL",
        "ES12345678-5",
        "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18-5",  # full-width digits are not ASCII digits
        "1" * 100,
    ],
)
def test_bad_format_is_a_spanish_format_error(raw):
    with pytest.raises(ValueError) as caught:
        normalize_rut(raw)
    assert str(caught.value) == FORMAT_MESSAGE
    assert not is_valid_rut(raw)


@pytest.mark.parametrize("raw", [None, 12345678, b"12345678-5"])
def test_non_strings_are_not_ruts(raw):
    assert not is_valid_rut(raw)
    with pytest.raises(ValueError):
        normalize_rut(raw)


@pytest.mark.parametrize(
    ("canonical", "display"),
    [("1-9", "1-9"), ("999-7", "999-7"), ("1000-6", "1.000-6"), ("99999999-9", "99.999.999-9")],
)
def test_display_form_groups_thousands(canonical, display):
    assert format_rut(canonical) == display
    assert normalize_rut(display) == canonical


def test_format_refuses_an_invalid_rut():
    with pytest.raises(ValueError, match="dígito verificador"):
        format_rut("12345678-4")


def sample_bodies() -> list[str]:
    """Every body below 20 000, every length up to 8 digits, and 20 000 random bodies (fixed seed)."""
    rng = random.Random(20240813)
    bodies = [str(n) for n in range(1, 20_000)]
    bodies += [str(10**k) for k in range(8)] + [str(10**k - 1) for k in range(1, 9)]
    bodies += [str(rng.randrange(1, 100_000_000)) for _ in range(20_000)]
    return bodies


def test_every_computed_check_digit_validates_and_every_other_digit_fails():
    for body in sample_bodies():
        check_digit = rut_check_digit(body)
        assert check_digit == reference_check_digit(body), body
        canonical = f"{body}-{check_digit}"
        assert normalize_rut(canonical) == canonical
        assert normalize_rut(format_rut(canonical).lower()) == canonical
        for wrong in DIGITS:
            if wrong != check_digit:
                assert not is_valid_rut(f"{body}-{wrong}"), (body, wrong)


def test_wrong_check_digit_message_is_spanish():
    with pytest.raises(ValueError) as caught:
        normalize_rut("12.345.678-0")
    assert str(caught.value) == CHECK_DIGIT_MESSAGE


class Child(BaseModel):
    nombre: str
    rut: Rut


def test_pydantic_type_stores_the_canonical_form():
    child = Child(nombre="Tomás Pérez", rut="12.345.678-5")
    assert child.rut == "12345678-5"
    assert child.model_dump() == {"nombre": "Tomás Pérez", "rut": "12345678-5"}
    assert Child.model_validate_json('{"nombre": "x", "rut": "10.000.013-k"}').rut == "10000013-K"


@pytest.mark.parametrize(
    ("raw", "message"), [("12531909-3", CHECK_DIGIT_MESSAGE), ("abc", FORMAT_MESSAGE), ("1" * 40, None)]
)
def test_pydantic_type_refuses_with_a_stable_error_type(raw, message):
    with pytest.raises(ValidationError) as caught:
        Child(nombre="x", rut=raw)
    (error,) = caught.value.errors()
    assert error["loc"] == ("rut",)
    if message is None:
        assert error["type"] == "string_too_long"
    else:
        assert error["type"] == "rut_invalid"
        assert error["msg"] == message


def test_pydantic_type_refuses_numbers():
    with pytest.raises(ValidationError):
        Child(nombre="x", rut=12345678)


def test_json_schema_shows_an_example():
    schema = Child.model_json_schema()["properties"]["rut"]
    assert schema["type"] == "string"
    assert schema["examples"] == ["12.345.678-5"]
    assert schema["maxLength"] == 32
