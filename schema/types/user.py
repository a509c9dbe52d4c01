"""The acting user (``me``) and portal users."""

from __future__ import annotations

import strawberry
from strawberry import relay

from storage import User as UserRow

from .enums import UserRole


@strawberry.type(description="A portal user. The e-mail address is the username (A2).")
class User(relay.Node):
    id: relay.NodeID[int]
    email: str
    name: str
    role: UserRole
    language: str = strawberry.field(description="nl or en: the language of e-mails and messages.")

    @classmethod
    def from_row(cls, row: UserRow) -> User:
        return cls(id=row.id, email=row.email, name=row.name, role=row.role, language=row.language)
