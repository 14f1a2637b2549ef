"""Many rows written with one statement, whatever their number.

On PostgreSQL the rows travel as one array per column and ``unnest()`` turns them back into
rows: one statement of a fixed shape (prepared by the server), one round trip, no per-row
work in the driver. The arrays are sent in PostgreSQL's binary format (``%(name)b``): in text
format psycopg quotes and escapes every element that holds a space, a quote or a comma (times,
texts, JSON), which cost a fifth of a sending worker's CPU. A value every row shares (a
campaign's text, sender, account) is sent once. Values are converted as SQLAlchemy binds them
(money in ten-thousandths, times in UTC, JSON as text). Elsewhere (SQLite) an executemany does
the same job. Used where accepting and the sending pipeline write a batch's messages, parts,
timeline and ledger rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Table, bindparam, insert, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

_PG: Dialect = postgresql.dialect()  # type: ignore[no-untyped-call]  # SQLAlchemy's dialect __init__ is unannotated

# A row maps column names to values of whatever type each column takes.
RowValues = dict[str, Any]


def _on_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _quote(name: str) -> str:
    return _PG.identifier_preparer.quote(name)


def _sql_type(table: Table, column: str) -> str:
    type_ = table.c[column].type
    return "JSON" if isinstance(type_, JSON) else type_.compile(dialect=_PG)


@lru_cache(maxsize=256)
def _converter(table: Table, column: str) -> Callable[[Any], Any] | None:
    """What makes a Python value of the column the value the driver is given (None: as is)."""
    type_ = table.c[column].type
    if isinstance(type_, JSON):
        return json.dumps
    return type_.bind_processor(_PG)


def _values(table: Table, column: str, rows: list[RowValues]) -> list[Any]:
    convert = _converter(table, column)
    if convert is None:
        return [row[column] for row in rows]
    return [None if row[column] is None else convert(row[column]) for row in rows]


def _one(table: Table, column: str, value: Any) -> Any:
    convert = _converter(table, column)
    return value if convert is None or value is None else convert(value)


def _unnest(table: Table, columns: tuple[str, ...]) -> str:
    arrays = ", ".join(f"CAST(%({c})b AS {_sql_type(table, c)}[])" for c in columns)
    return f"unnest({arrays}) AS v({', '.join(_quote(c) for c in columns)})"


@lru_cache(maxsize=64)
def _pg_update(table: Table, columns: tuple[str, ...], key: str) -> str:
    assignments = ", ".join(f"{_quote(c)} = v.{_quote(c)}" for c in columns if c != key)
    name = _quote(table.name)
    return (
        f"UPDATE {name} SET {assignments} FROM {_unnest(table, columns)} WHERE {name}.{_quote(key)} = v.{_quote(key)}"
    )


@lru_cache(maxsize=256)
def _pg_insert(table: Table, columns: tuple[str, ...], constants: tuple[str, ...] = ()) -> str:
    """INSERT … SELECT FROM unnest(): ``columns`` as arrays, ``constants`` (a value every row
    shares, like a campaign's text) as one parameter each, sent once instead of once per row."""
    selected = [f"v.{_quote(c)}" for c in columns] + [f"CAST(%({c})b AS {_sql_type(table, c)})" for c in constants]
    names = ", ".join(_quote(c) for c in columns + constants)
    return f"INSERT INTO {_quote(table.name)} ({names}) SELECT {', '.join(selected)} FROM {_unnest(table, columns)}"


def _execute(session: Session, statement: str, parameters: dict[str, Any]) -> None:
    """Straight to psycopg (its %(name)b placeholders), in the session's transaction."""
    session.connection().exec_driver_sql(statement, parameters)


def update_rows(session: Session, table: Table, rows: list[RowValues], key: str = "id") -> None:
    """Set, in each row of ``table`` whose ``key`` is given, the other columns given. Every row
    names the same columns."""
    if not rows:
        return
    columns = tuple(rows[0])
    if _on_postgresql(session):
        _execute(session, _pg_update(table, columns, key), {c: _values(table, c, rows) for c in columns})
        return
    statement = (
        update(table)
        .where(table.c[key] == bindparam(f"b_{key}"))
        .values({c: bindparam(f"b_{c}", type_=table.c[c].type) for c in columns if c != key})
    )
    session.execute(statement, [{f"b_{c}": row[c] for c in columns} for row in rows])


def insert_rows(session: Session, table: Table, rows: list[RowValues]) -> None:
    """Insert these rows (every row names the same columns; the others take their defaults)."""
    if not rows:
        return
    if _on_postgresql(session):
        first = rows[0]
        same = tuple(c for c in first if len(rows) > 1 and all(row[c] == first[c] for row in rows))
        varying = tuple(c for c in first if c not in same)
        if not varying:  # unnest() needs one array to count the rows by
            same, varying = same[1:], same[:1]
        values = {**{c: _values(table, c, rows) for c in varying}, **{c: _one(table, c, first[c]) for c in same}}
        _execute(session, _pg_insert(table, varying, same), values)
        return
    session.execute(insert(table), rows)


def insert_rows_returning_ids(session: Session, table: Table, rows: list[RowValues]) -> list[int]:
    """Insert these rows and return their ids in the order given. On PostgreSQL the ids are
    drawn from the table's sequence first, so the rows go in with one unnest() INSERT."""
    if not rows:
        return []
    if _on_postgresql(session):
        ids = list(
            session.scalars(
                text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
                {"table": table.name, "n": len(rows)},
            )
        )
        insert_rows(session, table, [{**row, "id": id_} for row, id_ in zip(rows, ids)])
        return ids
    return list(session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars())
