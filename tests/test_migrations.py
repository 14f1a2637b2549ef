"""The schema the tests run on is built by the migrations and matches the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from webapp.extensions import db


def test_migrations_match_the_models(app):
    with app.app_context(), db.engine.connect() as conn:
        postgresql = conn.dialect.name == "postgresql"

        def include_object(obj, name, type_, reflected, compare_to):
            """Indexes PostgreSQL alone has (a trigram index, 0023) are not made on SQLite."""
            return postgresql or not (type_ == "index" and getattr(obj, "info", {}).get("postgresql_only"))

        context = MigrationContext.configure(conn, opts={"compare_type": False, "include_object": include_object})
        diff = compare_metadata(context, db.metadata)
    assert diff == []
