"""The shared input types: what they refuse, what they clean, and the check that finds inputs
declared without them."""

from __future__ import annotations

from typing import Annotated

import httpx
import pytest
from fastapi import FastAPI, Query
from pydantic import BaseModel, StringConstraints, ValidationError

from crowdify.errors import install_problem_handlers
from crowdify.inputs import (
    _PLAIN_NAME,  # the short way's test, to check which way a name takes
    INT32_MAX,
    MAX_PAGE,
    Moment,
    NonNegativeInt32,
    Page,
    PersonName,
    Text,
    clean_person_name,
    scrubbed_name,
)
from crowdify.testing.inputs import unguarded_inputs


class Note(BaseModel):
    text: Text
    tags: list[Text] = []
    count: NonNegativeInt32 = 0


class Person(BaseModel):
    name: PersonName


class Loose(BaseModel):
    name: str
    nested: list[Note]
    amount: int
    optional: str | None = None


@pytest.mark.parametrize("bad", ["\x00", "a\x00b", "\ud800", "x\udfffy", "\udc00\ud800"])
def test_text_refuses_nul_and_unpaired_surrogates(bad):
    with pytest.raises(ValidationError) as refused:
        Note(text=bad)
    assert refused.value.errors()[0]["type"] in ("string_pattern_mismatch", "string_unicode")
    with pytest.raises(ValidationError):
        Note(text="fine", tags=["ok", bad])


@pytest.mark.parametrize("good", ["", "Ñandú 🎉", "tab\there", "\U0001f600", "\ufffd"])
def test_text_keeps_everything_else(good):
    assert Note(text=good).text == good


def test_integers_stay_within_what_postgres_integer_holds():
    assert Note(text="", count=INT32_MAX).count == INT32_MAX
    for bad in (INT32_MAX + 1, -1, 10**30):
        with pytest.raises(ValidationError):
            Note(text="", count=bad)


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("Hola cliente. Tu cuenta fue bloqueada, verifica en http://evil.example/x?y=1", None),
        ("Ana www.banco-falso.com Pérez", "Ana Pérez"),
        ("José bit.ly/abc", "José"),
        ("Ana pago.xyz Soto", "Ana Soto"),
        ("Ana hxxp://evil.cl Soto", "Ana Soto"),
        ("Ana escribe a soporte@evil.cl", "Ana escribe a"),
        ("Ana\r\nBcc: otro\u202eSoto", "Ana Bcc: otro Soto"),
        ("  María   José\tO'Higgins-Pérez ", "María José O'Higgins-Pérez"),
        ("J.R.R. Tolkien", "J.R.R. Tolkien"),
        ("Dr. Juan P. Soto", "Dr. Juan P. Soto"),
    ],
)
def test_person_names_lose_links_and_control_characters(typed, shown):
    cleaned = clean_person_name(typed)
    if shown is None:
        assert "http" not in cleaned and "evil" not in cleaned
        assert cleaned.startswith("Hola cliente.")
    else:
        assert cleaned == shown


@pytest.mark.parametrize(
    "name",
    [
        "Comprador Bench",
        "María José O'Higgins-Pérez",
        "Ñuñoa Muñoz",
        "D\u2019Alessandro",
        "Jean-Luc Picard",
        "Łukasz Żółć",
        "Ólafur Þórðarson",
        "Αλέξανδρος Παπαδόπουλος",
        "Юлия Иванова",
        "山田 太郎",
        "محمد علي",
        "x",
    ],
)
def test_a_name_of_plain_words_is_what_the_whole_scan_makes_of_it(name):
    # The short way (no scan for links) must agree with the scan wherever it is taken.
    assert _PLAIN_NAME.fullmatch(name)
    assert clean_person_name(name) == scrubbed_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "Ana  Soto",
        " Ana",
        "Ana pago.xyz",
        "Ana\u200bSoto",
        "Ana\u00adSoto",
        "Ana_Soto",
        "Ana2 Soto",
        "Ana e\u0301",
        "Ana -Soto",
        "Ana--Soto",
    ],
)
def test_a_name_with_anything_but_plain_words_is_cleaned_as_the_whole_scan_cleans_it(name):
    assert not _PLAIN_NAME.fullmatch(name)
    assert clean_person_name(name) == scrubbed_name(name)


def test_a_name_that_was_only_a_link_is_refused():
    with pytest.raises(ValidationError) as refused:
        Person(name="https://evil.example/login")
    assert refused.value.errors()[0]["type"] == "person_name_empty"
    with pytest.raises(ValidationError):
        Person(name="Ana\x00")


def test_unguarded_inputs_names_each_string_and_integer_declared_without_the_shared_types():
    app = FastAPI()

    @app.post("/loose")
    async def loose(body: Loose, search: str | None = None, page: int = 1) -> None: ...

    @app.post("/strict")
    async def strict(
        body: Note, page: Page = 1, search: Annotated[Text | None, Query(max_length=10)] = None
    ) -> None: ...

    assert unguarded_inputs(app) == [
        "POST /loose body.amount: int without both bounds",
        "POST /loose body.name: str without Text",
        "POST /loose body.optional: str without Text",
        "POST /loose page: int without both bounds",
        "POST /loose search: str without Text",
    ]


async def test_nul_in_a_query_and_a_huge_page_answer_422_problems():
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/items")
    async def items(page: Page = 1, search: Annotated[Text | None, Query()] = None) -> dict[str, int]:
        return {"page": page}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for query in ("search=%00", f"page={MAX_PAGE + 1}", "page=99999999999999999999999"):
            answer = await client.get(f"/items?{query}")
            assert answer.status_code == 422, query
            assert answer.headers["content-type"] == "application/problem+json"
        assert (await client.get(f"/items?page={MAX_PAGE}&search=ñ")).json() == {"page": MAX_PAGE}


def test_fields_keep_their_own_lengths_stripping_and_patterns():
    class Named(BaseModel):
        name: Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=5)]
        code: Annotated[Text, StringConstraints(pattern=r"^[A-Z]{3}$")] = "CLP"

    assert Named(name="  ab  ").name == "ab"
    for bad, error in (("   ", "string_too_short"), ("abcdefg", "string_too_long")):
        with pytest.raises(ValidationError) as refused:
            Named(name=bad)
        assert refused.value.errors()[0]["type"] == error
    for bad_code in ("clp", "C\x00P", "C\ud800P"):
        with pytest.raises(ValidationError):
            Named(name="a", code=bad_code)


def test_moments_must_exist_in_utc():
    class When(BaseModel):
        at: Moment

    assert When(at="2026-12-05T20:00:00-03:00").at.utcoffset() is not None
    for bad in ("0001-01-01T00:00:00+00:01", "9999-12-31T23:59:00-01:00"):
        with pytest.raises(ValidationError) as refused:
            When(at=bad)
        assert refused.value.errors()[0]["type"] == "datetime_out_of_range"
