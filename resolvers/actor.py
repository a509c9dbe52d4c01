"""The acting user of a request and the collectivities in their scope (B1, B3, B4)."""

from __future__ import annotations

import dataclasses

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


async def collectivities_in_scope(db: AsyncSession, user: User) -> frozenset[int] | None:
    """B1: the home collectivity plus the collectivities actively linked to it; staff: all."""
    if user.role is UserRole.STAFF:
        return None
    assert user.home_collectivity_id is not None
    linked = await db.scalars(
        select(ContractLink.linked_collectivity_id).where(
            ContractLink.collectivity_id == user.home_collectivity_id,
            ContractLink.status == ContractLinkStatus.ACTIVE,
        )
    )
    return frozenset({user.home_collectivity_id, *linked})


async def actor_for(db: AsyncSession, user: User, session_id: int | None = None) -> Actor:
    return Actor(
        user_id=user.id,
        role=user.role,
        home_collectivity_id=user.home_collectivity_id,
        scope=await collectivities_in_scope(db, user),
        session_id=session_id,
        language=user.language,
    )
