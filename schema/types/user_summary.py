"""A user as shown in a contract link or an audit event: who did it (A9, B2)."""

from __future__ import annotations

import strawberry

from resolvers.user_summary import UserSummary as UserSummaryRow

from .enums import UserRole


@strawberry.type(
    description="Who requested, approved or did something: name, e-mail and role only, also "
    "for a user of another employer or of the insurer (STAFF)."
)
class UserSummary:
    name: str
    email: str
    role: UserRole

    @classmethod
    def from_row(cls, row: UserSummaryRow | None) -> UserSummary | None:
        if row is None:
            return None
        return cls(name=row.name, email=row.email, role=row.role)
