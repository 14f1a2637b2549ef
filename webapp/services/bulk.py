"""Writing many rows at once: PostgreSQL's COPY where available, executemany elsewhere."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import JSON, insert, text
from sqlalchemy.orm import Session

# ``model`` is a mapped class (a db.Model subclass). Flask-SQLAlchemy makes db.Model at run time,
# so mypy sees no __table__ on it: the class is typed as type[Any]. A row maps column names to
# values of whatever type each column takes.
RowValues = dict[str, Any]


def bulk_insert(session: Session, model: type[Any], rows: list[RowValues]) -> None:
    """Many rows at once: PostgreSQL's COPY (several times faster than INSERTs), else executemany.
    Values go through each column's own bind processing, so types (JSON, UTC times) match."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        session.execute(insert(model), rows)
        return
    table, dialect = model.__table__, connection.dialect
    columns = list(rows[0])
    processors = []
    for name in columns:
        column_type = table.c[name].type
        bind = getattr(column_type, "process_bind_param", None)
        processors.append((bind, json.dumps if isinstance(column_type, JSON) else None))
    driver_connection = connection.connection.driver_connection  # psycopg's; None only once closed
    assert driver_connection is not None
    with driver_connection.cursor() as cursor:
        quote = dialect.identifier_preparer.quote  # `to` and other reserved words as column names
        with cursor.copy(f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN") as copy:
            for row in rows:
                values = []
                for name, (bind, to_text) in zip(columns, processors):
                    value = row[name]
                    if to_text is not None:
                        value = to_text(value, ensure_ascii=False)
                    elif bind is not None and value is not None:
                        value = bind(value, dialect)
                    values.append(value)
                copy.write_row(values)


def insert_returning_ids(session: Session, model: type[Any], rows: list[RowValues]) -> list[int]:
    """Insert rows and give their new ids in order. On PostgreSQL the ids are taken from the
    table's sequence first and the rows go in by COPY; elsewhere an INSERT … RETURNING."""
    if not rows:
        return []
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return list(session.execute(insert(model).returning(model.id, sort_by_parameter_order=True), rows).scalars())
    table = model.__table__.name
    ids = list(
        session.execute(
            text(
                f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS id FROM generate_series(1, :n) ORDER BY id"
            ),
            {"n": len(rows)},
        ).scalars()
    )
    for row, new_id in zip(rows, ids):
        row["id"] = new_id
    bulk_insert(session, model, rows)
    return ids
