"""The acting user (``me``) and portal users."""

from __future__ import annotations

import datetime as dt

import strawberry

from storage import User as UserRow

from ..context import RequestContext
from ..ids import Node, encode_id
from .enums import UserRole, UserStatus


@strawberry.type(description="A portal user. The e-mail address is the username (A2).")
class User(Node):
    email: str
    name: str
    role: UserRole
    language: str = strawberry.field(description="nl or en: the language of e-mails and messages.")
    status: UserStatus = strawberry.field(
        description="INVITED (has not chosen a password yet), ACTIVE or DEACTIVATED (A7)."
    )
    last_login_at: dt.datetime | None = strawberry.field(
        description="The last successful login; null when never logged in (A7)."
    )
    _key: strawberry.Private[int]

    @strawberry.field(description="Whether the user has a confirmed authenticator app (A6, A7).")
    async def two_factor_enabled(self, info: strawberry.Info[RequestContext, None]) -> bool:
        return await info.context.loaders.two_factor.load(self._key)

    @classmethod
    def from_row(cls, row: UserRow) -> User:
        return cls(
            id=encode_id("User", row.id),
            email=row.email,
            name=row.name,
            role=row.role,
            language=row.language,
            status=row.status,
            last_login_at=row.last_login_at,
            _key=row.id,
        )
