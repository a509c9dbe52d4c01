"""Opaque global ids and the ``Node`` interface (G1).

A global id is base64 of ``"TypeName:databaseId"`` (Relay's format). Clients must treat ids as
opaque; the server checks type and scope on every use. An id that is malformed, of another type,
unknown, or outside the actor's scope all answer the same NOT_FOUND (B3).
"""

from __future__ import annotations

import base64
import binascii

import strawberry

from resolvers.errors import NotFound

_MAX_KEY = 2**63 - 1


@strawberry.interface(description="An object with an opaque global id (G1).")
class Node:
    id: strawberry.ID = strawberry.field(description="The object's opaque global id.")


def encode_id(type_name: str, key: int) -> strawberry.ID:
    return strawberry.ID(base64.b64encode(f"{type_name}:{key}".encode()).decode())


def split_id(value: str) -> tuple[str, int] | None:
    """``(type name, database id)`` of a well-formed global id, else None."""
    if not isinstance(value, str) or len(value) > 200:
        return None
    try:
        decoded = base64.b64decode(value.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, separator, key = decoded.partition(":")
    if not separator or not key.isascii() or not key.isdigit():
        return None
    number = int(key)
    if not 0 < number <= _MAX_KEY:
        return None
    return type_name, number


def decode_id(value: str, type_name: str, field: str = "id") -> int:
    """The database id in a global id of ``type_name``; anything else is NOT_FOUND."""
    parts = split_id(value)
    if parts is None or parts[0] != type_name:
        raise NotFound(field)
    return parts[1]
