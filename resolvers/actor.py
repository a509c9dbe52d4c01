"""The acting user of a request and the collectivities in their scope (B1, B3, B4)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import ContractLink, User
from storage.enums import ContractLinkStatus, UserRole

from .errors import NotFound


@dataclasses.dataclass(frozen=True)
class Actor:
    user_id: int
    role: UserRole
    home_collectivity_id: int | None
    # Collectivity ids in scope; ``None`` for staff, who see all collectivities (B4).
    scope: frozenset[int] | None
    session_id: int | None = None
    language: str = "nl"

    @property
    def is_staff(self) -> bool:
        return self.role is UserRole.STAFF

    def can_see(self, collectivity_id: int) -> bool:
        return self.scope is None or collectivity_id in self.scope

    def require_scope(self, collectivity_id: int, field: str | None = None) -> None:
        """B3: a collectivity outside the scope is reported exactly like a missing one."""
        if not self.can_see(collectivity_id):
            raise NotFound(field)


def actor_from(user: User, linked_collectivity_ids: Iterable[int], session_id: int | None) -> Actor:
    """B1: the scope is the home collectivity plus the actively linked ones; staff: all (B4)."""
    scope = None
    if user.role is not UserRole.STAFF:
        assert user.home_collectivity_id is not None
        scope = frozenset({user.home_collectivity_id, *linked_collectivity_ids})
    return Actor(
        user_id=user.id,
        role=user.role,
        home_collectivity_id=user.home_collectivity_id,
        scope=scope,
        session_id=session_id,
        language=user.language,
    )


async def actor_for(db: AsyncSession, user: User, session_id: int | None = None) -> Actor:
    """The actor for ``user``, reading the contract links of the home collectivity (B1)."""
    linked: Iterable[int] = ()
    if user.home_collectivity_id is not None:
        linked = await db.scalars(
            select(ContractLink.linked_collectivity_id).where(
                ContractLink.collectivity_id == user.home_collectivity_id,
                ContractLink.status == ContractLinkStatus.ACTIVE,
            )
        )
    return actor_from(user, linked, session_id)
