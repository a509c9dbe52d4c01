"""The users of a collectivity: the overview and deactivation (A7).

Inviting a colleague is in ``invitations.py``. Only the main user manages users; colleagues see
the overview read-only; a linked collectivity's users do not see it; staff see every one (B4).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import TotpDevice, User
from storage.enums import AuditOutcome, TokenPurpose, UserRole, UserStatus

from . import audit
from .actor import Actor
from .errors import DomainError, ErrorCode, NotFound
from .permissions import require_home_member, require_main_user_audited
from .sessions import revoke_all_sessions
from .tokens import revoke_tokens


async def users_of_collectivity(db: AsyncSession, actor: Actor, collectivity_id: int) -> list[User]:
    """Every user whose home is ``collectivity_id``, in every status, by name (A7)."""
    require_home_member(actor, collectivity_id)
    rows = await db.scalars(
        select(User)
        .where(User.home_collectivity_id == collectivity_id)
        .order_by(User.name, User.email_key, User.id)
    )
    return list(rows)


async def two_factor_enabled_by_user_ids(
    db: AsyncSession, actor: Actor, user_ids: Sequence[int]
) -> list[bool]:
    """Batch load: whether each user has a confirmed authenticator (A6, A7), in one query.

    Users the actor may not see (another home collectivity, unless staff) answer False."""
    statement = (
        select(TotpDevice.user_id)
        .join(User, User.id == TotpDevice.user_id)
        .where(TotpDevice.user_id.in_(set(user_ids)), TotpDevice.confirmed_at.is_not(None))
    )
    if not actor.is_staff:
        statement = statement.where(User.home_collectivity_id == actor.home_collectivity_id)
    enabled = set(await db.scalars(statement))
    return [i in enabled for i in user_ids]


async def deactivate_user(
    db: AsyncSession,
    actor: Actor,
    user_id: int,
    *,
    now: dt.datetime,
    client_address: str | None,
) -> User:
    """The main user deactivates a colleague of the home collectivity (A7).

    The user's sessions end at once (the next request of that user is unauthenticated) and their
    open tokens (invitation, reset, challenge) are voided. Users of another collectivity are
    NOT_FOUND (B3); one's own account and a main user cannot be deactivated.
    """
    home_id = await require_main_user_audited(
        db, actor, action="deactivate_user", now=now, client_address=client_address
    )
    user = await db.scalar(
        select(User).where(User.id == user_id, User.home_collectivity_id == home_id)
    )
    if user is None:
        raise NotFound("id")
    if user.id == actor.user_id:
        raise DomainError(ErrorCode.CANNOT_DEACTIVATE_SELF, field="id")
    if user.role is not UserRole.COLLEAGUE:
        raise DomainError(ErrorCode.CANNOT_DEACTIVATE_MAIN_USER, field="id")
    if user.status is UserStatus.DEACTIVATED:
        raise DomainError(ErrorCode.USER_ALREADY_DEACTIVATED, field="id")
    previous_status = user.status
    user.status = UserStatus.DEACTIVATED
    user.deactivated_at = now
    await revoke_all_sessions(db, user.id, now=now)
    for purpose in TokenPurpose:
        await revoke_tokens(db, user.id, purpose, now=now)
    audit.record(
        db,
        action="deactivate_user",
        outcome=AuditOutcome.SUCCESS,
        at=now,
        actor_user_id=actor.user_id,
        collectivity_id=home_id,
        client_address=client_address,
        user_id=user.id,
        previous_status=previous_status.value,
    )
    await db.commit()
    return user
