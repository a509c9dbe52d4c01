"""Reading portal users within the actor's scope."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import User

from .actor import Actor
from .errors import NotFound


async def users_by_ids(db: AsyncSession, actor: Actor, ids: Sequence[int]) -> list[User | None]:
    """Users of the actor's own home collectivity (staff: all users); others None (B3).

    A linked collectivity's users stay out of sight (A7): a link shares insured, not users."""
    statement = select(User).where(User.id.in_(set(ids)))
    if not actor.is_staff:
        statement = statement.where(User.home_collectivity_id == actor.home_collectivity_id)
    found = {u.id: u for u in await db.scalars(statement)}
    return [found.get(i) for i in ids]


async def get_user(db: AsyncSession, actor: Actor, user_id: int) -> User:
    (user,) = await users_by_ids(db, actor, [user_id])
    if user is None:
        raise NotFound("id")
    return user


async def get_self(db: AsyncSession, actor: Actor) -> User:
    """The acting user's own account."""
    user = await db.get(User, actor.user_id)
    if user is None:
        raise NotFound()
    return user
