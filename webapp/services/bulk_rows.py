"""Many rows written with one statement, whatever their number.

On PostgreSQL the rows travel as one array per column and ``unnest()`` turns them back into
rows: one statement of a fixed shape (compiled once, prepared by the server), one round trip,
no per-row work in the driver. Elsewhere (SQLite) an executemany does the same job. Used where
the sending pipeline writes a batch's parts, messages, timeline and ledger rows.
"""
from __future__ import annotations

import json
from functools import lru_cache

from sqlalchemy import JSON, Table, bindparam, insert, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

_PG = postgresql.dialect()


def _on_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _quote(name: str) -> str:
    return _PG.identifier_preparer.quote(name)


def _array(table: Table, column: str) -> tuple[str, object]:
    """The SQL array cast of a column's values and the bind type that processes each value."""
    type_ = table.c[column].type
    if isinstance(type_, JSON):   # sent as JSON text, cast by the server
        return "JSON[]", postgresql.ARRAY(postgresql.TEXT)
    return f"{type_.compile(dialect=_PG)}[]", postgresql.ARRAY(type_)


def _unnest(table: Table, columns: tuple[str, ...]) -> tuple[str, list]:
    arrays, binds = [], []
    for column in columns:
        sql_type, bind_type = _array(table, column)
        arrays.append(f"CAST(:{column} AS {sql_type})")
        binds.append(bindparam(column, type_=bind_type))
    return f"unnest({', '.join(arrays)}) AS v({', '.join(_quote(c) for c in columns)})", binds


@lru_cache(maxsize=64)
def _pg_update(table: Table, columns: tuple[str, ...], key: str):
    source, binds = _unnest(table, columns)
    assignments = ", ".join(f"{_quote(c)} = v.{_quote(c)}" for c in columns if c != key)
    name = _quote(table.name)
    return text(f"UPDATE {name} SET {assignments} FROM {source} WHERE {name}.{_quote(key)} = v.{_quote(key)}") \
        .bindparams(*binds)


@lru_cache(maxsize=256)
def _pg_insert(table: Table, columns: tuple[str, ...], constants: tuple[str, ...] = ()):
    """INSERT … SELECT FROM unnest(): ``columns`` as arrays, ``constants`` (a value every row
    shares, like a campaign's text) as one parameter each, sent once instead of once per row."""
    source, binds = _unnest(table, columns)
    for column in constants:
        binds.append(bindparam(column, type_=_scalar(table, column)))
    selected = [f"v.{_quote(c)}" for c in columns] + [f"CAST(:{c} AS {_array(table, c)[0][:-2]})" for c in constants]
    names = ", ".join(_quote(c) for c in columns + constants)
    return text(f"INSERT INTO {_quote(table.name)} ({names}) SELECT {', '.join(selected)} FROM {source}") \
        .bindparams(*binds)


def _scalar(table: Table, column: str):
    type_ = table.c[column].type
    return postgresql.TEXT() if isinstance(type_, JSON) else type_


def _json(table: Table, column: str, value):
    return json.dumps(value) if value is not None and isinstance(table.c[column].type, JSON) else value


def _values(table: Table, column: str, rows: list[dict]) -> list:
    """The column's values of these rows, JSON written out as text."""
    if isinstance(table.c[column].type, JSON):
        return [None if row[column] is None else json.dumps(row[column]) for row in rows]
    return [row[column] for row in rows]


def _columns(table: Table, rows: list[dict]) -> dict[str, list]:
    return {column: _values(table, column, rows) for column in rows[0]}


def update_rows(session: Session, table: Table, rows: list[dict], key: str = "id") -> None:
    """Set, in each row of ``table`` whose ``key`` is given, the other columns given. Every row
    names the same columns."""
    if not rows:
        return
    columns = tuple(rows[0])
    if _on_postgresql(session):
        session.execute(_pg_update(table, columns, key), _columns(table, rows))
        return
    statement = update(table).where(table.c[key] == bindparam(f"b_{key}")).values(
        {c: bindparam(f"b_{c}", type_=table.c[c].type) for c in columns if c != key})
    session.execute(statement, [{f"b_{c}": row[c] for c in columns} for row in rows])


def insert_rows(session: Session, table: Table, rows: list[dict]) -> None:
    """Insert these rows (every row names the same columns; the others take their defaults)."""
    if not rows:
        return
    if _on_postgresql(session):
        first = rows[0]
        same = tuple(c for c in first if len(rows) > 1 and all(row[c] == first[c] for row in rows))
        varying = tuple(c for c in first if c not in same)
        if not varying:     # unnest() needs one array to count the rows by
            same, varying = same[1:], same[:1]
        values = _columns(table, rows) if not same else {
            **{c: _values(table, c, rows) for c in varying},
            **{c: _json(table, c, first[c]) for c in same}}
        session.execute(_pg_insert(table, varying, same), values)
        return
    session.execute(insert(table), rows)


def insert_rows_returning_ids(session: Session, table: Table, rows: list[dict]) -> list[int]:
    """Insert these rows and return their ids in the order given. On PostgreSQL the ids are
    drawn from the table's sequence first, so the rows go in with one unnest() INSERT."""
    if not rows:
        return []
    if _on_postgresql(session):
        ids = list(session.scalars(text(
            "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
            {"table": table.name, "n": len(rows)}))
        insert_rows(session, table, [{**row, "id": id_} for row, id_ in zip(rows, ids)])
        return ids
    return list(session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars())
