"""Domain errors: every expected business failure carries a stable, language-neutral code (G2, G6).

Resolvers raise these; the GraphQL layer turns them into ``userErrors`` (in mutation payloads) or
into top-level errors with ``extensions.code`` (in queries), and picks the message from its catalogue.
"""

from __future__ import annotations

import enum
from typing import Any


class ErrorCode(enum.StrEnum):
    # Top-level (G2): unauthenticated, forbidden, not found, bad input to a query.
    UNAUTHENTICATED = "UNAUTHENTICATED"
    NOT_FOUND = "NOT_FOUND"
    INVALID_CURSOR = "INVALID_CURSOR"
    PAGE_SIZE_OUT_OF_RANGE = "PAGE_SIZE_OUT_OF_RANGE"
    TOO_MANY_IDS = "TOO_MANY_IDS"
    # Login and sessions (A2, A4, A8).
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"


class DomainError(Exception):
    """An expected failure: ``code`` for programs, ``field`` for forms, ``params`` for the message."""

    def __init__(self, code: ErrorCode, *, field: str | None = None, **params: Any) -> None:
        super().__init__(code.value)
        self.code = code
        self.field = field
        self.params = params

    def __repr__(self) -> str:
        return f"DomainError({self.code.value}, field={self.field!r})"


class NotFound(DomainError):
    """Raised for ids that do not exist *and* for ids outside the actor's scope (B3)."""

    def __init__(self, field: str | None = None) -> None:
        super().__init__(ErrorCode.NOT_FOUND, field=field)
