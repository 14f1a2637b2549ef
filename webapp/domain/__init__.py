"""Pure business rules: no Flask, SQLAlchemy or Redis imports here."""

from __future__ import annotations


def N_(message: str) -> str:
    """Marks a message for translation (extracted by pybabel); the web layer translates it."""
    return message
