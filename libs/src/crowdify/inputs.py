"""The types every API input is declared with, so that no value a client sends can reach the
database or a template in a shape that breaks it (docs/security.md, "Input").

- :data:`Text`: any string field, body or query. PostgreSQL cannot store NUL in text, and a
  lone UTF-16 surrogate (JSON allows ``"\\ud800"``) cannot be encoded as UTF-8 at all; both are
  refused with 422 here (``string_pattern_mismatch``, ``string_unicode``) instead of failing
  later as a 500.
- :data:`PersonName`: a person's name as it will be shown to other people (emails, PDFs, the
  door): :data:`Text`, then stripped of links and control characters (:func:`clean_person_name`).
- :data:`Moment`: a date and time with its UTC offset that exists in UTC too
  (``0001-01-01T00:00+00:01`` does not: it falls before year 1).
- :data:`Int32`, :data:`NonNegativeInt32`, :data:`PositiveInt32`: integers a PostgreSQL
  ``integer`` column holds; :data:`Page` and :data:`PageSize` for paginated lists, bounded so that
  ``OFFSET (page - 1) * page_size`` stays small.

Error messages are Spanish: they reach the people who typed the value.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Final

from annotated_types import Ge, Le
from fastapi import Query
from linkify_it import LinkifyIt
from pydantic import AfterValidator, AwareDatetime, StringConstraints
from pydantic_core import PydanticCustomError

__all__ = [
    "INT32_MAX",
    "INT32_MIN",
    "INT64_MAX",
    "MAX_PAGE",
    "MAX_PAGE_SIZE",
    "TEXT_PATTERN",
    "Int32",
    "NonNegativeInt32",
    "Page",
    "PageSize",
    "PersonName",
    "PositiveInt32",
    "Text",
    "clean_person_name",
    "scrubbed_name",
]

INT32_MIN: Final = -(2**31)
INT32_MAX: Final = 2**31 - 1
INT64_MAX: Final = 2**63 - 1
# 10,000 pages of 100 rows: beyond any list a person pages through; a crawler uses filters.
MAX_PAGE: Final = 10_000
MAX_PAGE_SIZE: Final = 100

# No NUL. pydantic-core matches patterns on a UTF-8 copy of the value, so a string with an
# unpaired surrogate fails before the pattern is tried (error type ``string_unicode``). The check
# is a constraint of the core string schema, not a validator around it, so the lengths,
# stripping and patterns a field adds still work as pydantic documents them.
TEXT_PATTERN: Final = "^[^\x00]*$"

Text = Annotated[str, StringConstraints(pattern=TEXT_PATTERN)]


def _exists_in_utc(value: datetime) -> datetime:
    # Everything is stored and compared in UTC; an offset that pushes the moment past year 1 or
    # 9999 cannot be converted (OverflowError), so it is refused here rather than in the driver.
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError(
            "datetime_out_of_range", "La fecha y hora está fuera del rango admitido"
        ) from None
    return value


Moment = Annotated[AwareDatetime, AfterValidator(_exists_in_utc)]

Int32 = Annotated[int, Ge(INT32_MIN), Le(INT32_MAX)]
NonNegativeInt32 = Annotated[int, Ge(0), Le(INT32_MAX)]
PositiveInt32 = Annotated[int, Ge(1), Le(INT32_MAX)]
Page = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"1 to {MAX_PAGE}")]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]

_LINKS: Final = LinkifyIt()
# A word that reads as an address even when linkify-it does not know its top-level domain
# ("pago.xyz", "hxxp://..."): a scheme separator, a slash, an @, or a dot followed by letters.
_ADDRESS_LIKE: Final = re.compile(r"://|[/\\@]|[^\W_]\.[^\W\d_]{2,}")
_NAME_MAX_LENGTH: Final = 200
# Words of letters alone, joined by one space, apostrophe or hyphen ("María José O'Higgins-Pérez"):
# nothing in such a name can be a link, an address or a control character, so it is its own clean
# form. Most names are, and it spares them linkify-it's scan (40-80 µs a name).
_PLAIN_NAME: Final = re.compile(r"[^\W\d_]+(?:[ '\u2019-][^\W\d_]+)*")


def _is_control(character: str) -> bool:
    # Cc: C0/C1 controls (tabs and newlines included); Cf: invisible format characters such as
    # bidirectional overrides and zero-width spaces, which make text read differently than it is.
    return unicodedata.category(character) in ("Cc", "Cf")


def clean_person_name(value: str) -> str:
    """A name with its links and control characters taken out and its spaces collapsed.

    Names travel into emails, PDFs and the door screen, so a name must not be able to carry a
    message of its own ("Tu cuenta fue bloqueada, verifica en http://..."). Whatever is left is
    the name; an empty result means there was no name.
    """
    if _PLAIN_NAME.fullmatch(value):
        return value
    return scrubbed_name(value)


def scrubbed_name(value: str) -> str:
    """:func:`clean_person_name` by the whole scan, for any name."""
    spaced = "".join(" " if _is_control(c) or c.isspace() else c for c in value)
    for link in reversed(_LINKS.match(spaced) or []):
        spaced = spaced[: link.index] + " " + spaced[link.last_index :]
    words = [word for word in spaced.split() if not _ADDRESS_LIKE.search(word)]
    return " ".join(words)


def _person_name(value: str) -> str:
    cleaned = clean_person_name(value)
    if not cleaned:
        raise PydanticCustomError("person_name_empty", "El nombre no puede quedar vacío")
    return cleaned


PersonName = Annotated[Text, StringConstraints(max_length=_NAME_MAX_LENGTH), AfterValidator(_person_name)]
