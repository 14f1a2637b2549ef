from __future__ import annotations


class ServiceError(Exception):
    """A refusal the user should read: carries field-specific messages when it has them."""

    def __init__(self, message: str, field_errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}
