"""Chilean RUT/RUN: check digit, canonical form, display form and a pydantic type.

The canonical form is what we store and compare: the body without dots or leading zeros, a dash,
and the check digit upper-case (``12345678-5``, ``10000013-K``). Input is forgiving about how people
type it (dots, spaces, a dash or none, lower-case ``k``, a ``CL`` prefix, the dashes a word
processor puts in), and strict about the number itself: the check digit (modulo 11) must match.

The check digit only catches typos; it says nothing about whether the RUT exists.
Error messages are Spanish because they reach the buyer (``docs/integrations.md`` section 4).
"""

from __future__ import annotations

import re
from typing import Annotated, Final

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from crowdify.inputs import Text

__all__ = ["Rut", "format_rut", "is_valid_rut", "normalize_rut", "rut_check_digit"]

FORMAT_MESSAGE: Final = "El RUT no tiene un formato válido (ejemplo: 12.345.678-5)"
CHECK_DIGIT_MESSAGE: Final = "El dígito verificador del RUT no es válido"

# Body digits: up to 8 in practice (companies reach 99.999.999). Leading zeros are dropped first.
_MAX_BODY_DIGITS: Final = 8
# Longest input worth looking at: a padded, dotted, prefixed RUT is well under this.
_MAX_INPUT_LENGTH: Final = 32
# What people type between the groups: dots, any whitespace (no-break spaces from copy and paste).
_SEPARATORS: Final = re.compile(r"[.\s]")
# The ASCII hyphen-minus and the dashes that word processors and phones substitute for it.
_DASHES: Final = re.compile("[\u2010\u2011\u2012\u2013\u2014\u2212]")
_COMPACT: Final = re.compile(r"(\d+)-?([0-9K])")


def rut_check_digit(body: str | int) -> str:
    """The modulo 11 check digit of ``body`` (digits only): ``"0"``-``"9"`` or ``"K"``.

    Right to left, the digits are weighted 2, 3, 4, 5, 6, 7, 2, 3, ...; ``11 - sum % 11`` gives the
    digit, with 11 written ``0`` and 10 written ``K``.
    """
    digits = str(body)
    if not digits.isascii() or not digits.isdigit():
        raise ValueError(FORMAT_MESSAGE)
    total = sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(digits)))
    remainder = 11 - total % 11
    return "0" if remainder == 11 else "K" if remainder == 10 else str(remainder)


def normalize_rut(raw: str) -> str:
    """The canonical form ``"12345678-5"`` of a RUT typed any usual way.

    Raises ``ValueError`` with a Spanish message when the format is wrong or the check digit
    does not match.
    """
    if not isinstance(raw, str) or len(raw) > _MAX_INPUT_LENGTH:
        raise ValueError(FORMAT_MESSAGE)
    compact = _DASHES.sub("-", _SEPARATORS.sub("", raw)).upper().removeprefix("CL")
    match = _COMPACT.fullmatch(compact) if compact.isascii() else None
    if match is None:
        raise ValueError(FORMAT_MESSAGE)
    body, check_digit = match.group(1).lstrip("0"), match.group(2)
    # Body 0 passes modulo 11 ("0-0") but is nobody's RUT.
    if not body or len(body) > _MAX_BODY_DIGITS:
        raise ValueError(FORMAT_MESSAGE)
    if rut_check_digit(body) != check_digit:
        raise ValueError(CHECK_DIGIT_MESSAGE)
    return f"{body}-{check_digit}"


def format_rut(rut: str) -> str:
    """The display form with thousands dots, ``"12.345.678-5"``, of any valid RUT input."""
    body, check_digit = normalize_rut(rut).split("-")
    return f"{int(body):,}".replace(",", ".") + "-" + check_digit


def is_valid_rut(raw: object) -> bool:
    """Whether ``raw`` is a RUT in any accepted spelling with a matching check digit."""
    if not isinstance(raw, str):
        return False
    try:
        normalize_rut(raw)
    except ValueError:
        return False
    return True


def _validate_rut(value: str) -> str:
    try:
        return normalize_rut(value)
    except ValueError as exc:
        # A stable error type for clients (the 422's ``errors[].type``), the Spanish text as message.
        raise PydanticCustomError("rut_invalid", str(exc)) from None


Rut = Annotated[
    Text,
    Field(
        description="RUT chileno; se acepta con o sin puntos, guion, espacios y k minúscula; "
        "se guarda en forma canónica (12345678-5)",
        examples=["12.345.678-5"],
        max_length=_MAX_INPUT_LENGTH,
    ),
    AfterValidator(_validate_rut),
]
"""A request-model field that accepts any usual spelling and holds the canonical ``12345678-5``."""
