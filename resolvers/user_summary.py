"""How a user appears in another user's view: in a contract link or an audit event (A9, B2).

Only name, e-mail and role: not the status, login times or 2FA of a user of another employer.
"""

from __future__ import annotations

import dataclasses

from storage import User
from storage.enums import UserRole


@dataclasses.dataclass(frozen=True)
class UserSummary:
    user_id: int
    name: str
    email: str
    role: UserRole


def summary_of(user: User | None) -> UserSummary | None:
    if user is None:
        return None
    return UserSummary(user_id=user.id, name=user.name, email=user.email, role=user.role)
