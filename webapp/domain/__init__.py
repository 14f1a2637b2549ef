"""Pure business rules: no Flask, SQLAlchemy or Redis imports here."""
