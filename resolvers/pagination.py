"""Cursor pagination (G1): opaque keyset cursors, page size 1..100."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from .errors import DomainError, ErrorCode

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool

    @property
    def start_cursor(self) -> str | None:
        return self.cursors[0] if self.cursors else None

    @property
    def end_cursor(self) -> str | None:
        return self.cursors[-1] if self.cursors else None


def check_page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE_SIZE
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise DomainError(ErrorCode.PAGE_SIZE_OUT_OF_RANGE, field="first", maximum=MAX_PAGE_SIZE)
    return first


# One encoder for all cursors: json.dumps with options builds a new encoder per call, which cost
# more than the rest of a 50-row page's cursors together.
_CURSOR_JSON = json.JSONEncoder(separators=(",", ":"), default=str)


def encode_cursor(kind: str, values: Sequence[Any]) -> str:
    raw = _CURSOR_JSON.encode([kind, *values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str, arity: int) -> list[Any]:
    """The key values in a cursor made by ``encode_cursor`` for the same listing and sort."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        raise DomainError(ErrorCode.INVALID_CURSOR, field="after") from None
    if not isinstance(decoded, list) or len(decoded) != arity + 1 or decoded[0] != kind:
        raise DomainError(ErrorCode.INVALID_CURSOR, field="after")
    return decoded[1:]
