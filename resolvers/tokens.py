"""Single-use tokens sent to a user: activation and invitation (7 days), password reset (1 hour),
and the short-lived two-factor challenge (A1, A5, A6, A7).

Only a SHA-256 hash is stored. Using a token is one conditional UPDATE (``used_at IS NULL`` and
not expired), so two concurrent uses of the same token cannot both succeed.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import User, UserToken
from storage.enums import TokenPurpose

from .sessions import new_token, token_hash

LIFETIMES: dict[TokenPurpose, dt.timedelta] = {
    TokenPurpose.ACTIVATION: dt.timedelta(days=7),
    TokenPurpose.INVITATION: dt.timedelta(days=7),
    TokenPurpose.PASSWORD_RESET: dt.timedelta(hours=1),
    TokenPurpose.TWO_FACTOR_CHALLENGE: dt.timedelta(minutes=5),
}


async def issue_token(
    db: AsyncSession,
    user_id: int,
    purpose: TokenPurpose,
    *,
    now: dt.datetime,
    lifetime: dt.timedelta | None = None,
) -> str:
    """Create a token for ``user_id``; returns the raw token (to mail or hand out once)."""
    token = new_token()
    db.add(
        UserToken(
            user_id=user_id,
            purpose=purpose,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + (lifetime or LIFETIMES[purpose]),
        )
    )
    await db.flush()
    return token


async def use_token(
    db: AsyncSession, token: str, purpose: TokenPurpose, *, now: dt.datetime
) -> User | None:
    """Mark the token used and return its user; None when unknown, used, expired or of another
    purpose. The caller commits (or rolls back, which un-uses the token)."""
    if not token or len(token) > 200:
        return None
    used = await db.execute(
        update(UserToken)
        .where(
            UserToken.token_hash == token_hash(token),
            UserToken.purpose == purpose,
            UserToken.used_at.is_(None),
            UserToken.expires_at > now,
        )
        .values(used_at=now)
        .returning(UserToken.user_id)
    )
    user_id = used.scalar_one_or_none()
    if user_id is None:
        return None
    return await db.scalar(select(User).where(User.id == user_id))


async def peek_token(
    db: AsyncSession, token: str, purpose: TokenPurpose, *, now: dt.datetime
) -> User | None:
    """The user of a live token without using it (e.g. to show whose account is activated)."""
    if not token or len(token) > 200:
        return None
    return await db.scalar(
        select(User)
        .join(UserToken, UserToken.user_id == User.id)
        .where(
            UserToken.token_hash == token_hash(token),
            UserToken.purpose == purpose,
            UserToken.used_at.is_(None),
            UserToken.expires_at > now,
        )
    )


async def revoke_tokens(
    db: AsyncSession, user_id: int, purpose: TokenPurpose, *, now: dt.datetime
) -> None:
    """Use up every open token of a purpose (a new reset link voids the older ones)."""
    await db.execute(
        update(UserToken)
        .where(
            UserToken.user_id == user_id,
            UserToken.purpose == purpose,
            UserToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
