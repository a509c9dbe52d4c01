"""The acting user (``me``) and portal users."""

from __future__ import annotations

import strawberry

from storage import User as UserRow

from ..ids import Node, encode_id
from .enums import UserRole


@strawberry.type(description="A portal user. The e-mail address is the username (A2).")
class User(Node):
    email: str
    name: str
    role: UserRole
    language: str = strawberry.field(description="nl or en: the language of e-mails and messages.")

    @classmethod
    def from_row(cls, row: UserRow) -> User:
        return cls(
            id=encode_id("User", row.id),
            email=row.email,
            name=row.name,
            role=row.role,
            language=row.language,
        )
