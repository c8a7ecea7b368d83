"""Many rows in one statement, their values sent as one array per column.

``INSERT INTO t (a, b) SELECT * FROM unnest(CAST(:a AS UUID[]), CAST(:b AS TEXT[])) ON CONFLICT
...`` writes any number of rows with the same text: the statement (and the prepared statement
asyncpg keeps for it) is built once per kind of write, never per batch, and a batch of any size
stays within PostgreSQL's limit on parameters. A multi-row ``VALUES`` list would be a new
statement, compiled again, for every batch size.

Columns are named from the table's metadata, so a column renamed there cannot be missed here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Column, String, Table, TextClause, text
from sqlalchemy.dialects import postgresql

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]


def _array_of(column: Column[Any]) -> str:
    # Strings travel as TEXT: a cast to VARCHAR(n) would cut a value too long without a word,
    # where the insert's own assignment to the column refuses it, as a single-row insert does.
    if isinstance(column.type, String):
        return "TEXT[]"
    return f"{column.type.compile(dialect=_DIALECT)}[]"


def _qualified(table: Table) -> str:
    return f"{table.schema}.{table.name}" if table.schema else table.name


@cache
def insert_arrays(table: Table, columns: tuple[str, ...], conflict: str, returning: str = "") -> TextClause:
    """``INSERT INTO table AS <name> (columns) SELECT * FROM unnest(<one array per column>)``
    followed by ``conflict`` (its ``ON CONFLICT`` clause; the table is referred to by its name)
    and ``returning``. Execute it with :func:`arrays`."""
    names = ", ".join(columns)
    unnested = ", ".join(f"CAST(:{name} AS {_array_of(table.c[name])})" for name in columns)
    return text(
        f"INSERT INTO {_qualified(table)} AS {table.name} ({names}) "
        f"SELECT * FROM unnest({unnested}) {conflict} {returning}".rstrip()
    )


def arrays(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> dict[str, list[Any]]:
    """The rows as the parameters of :func:`insert_arrays`: one list per column."""
    by_column: dict[str, list[Any]] = {name: [] for name in columns}
    for row in rows:
        for name in columns:
            by_column[name].append(row[name])
    return by_column


def keep_first_value(table: Table, key: Sequence[str], columns: Iterable[str]) -> str:
    """The ``ON CONFLICT`` clause of a row whose columns keep the first value they were given."""
    keep = ", ".join(f"{name} = COALESCE({table.name}.{name}, EXCLUDED.{name})" for name in columns)
    return (
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {keep}"
        if keep
        else f"ON CONFLICT ({', '.join(key)}) DO NOTHING"
    )
